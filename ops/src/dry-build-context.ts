import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ignore from 'ignore';
import { contextCopies, parseDockerfile } from './dry-build-dockerfile.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DOCKERFILE = 'ops/docker/Dockerfile';

export const readDockerfile = (root = REPO_ROOT) => parseDockerfile(readFileSync(join(root, DOCKERFILE), 'utf8'));

/**
 * Patterns whose meaning differs between Docker (matched from the context root) and gitignore (a name
 * without a slash matches at any depth): the `ignore` package would answer for the wrong one.
 */
export function ambiguousPatterns(dockerignore: string): string[] {
  return dockerignore
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .filter((l) => {
      const p = l.replace(/^!/, '').replace(/\/$/, '');
      return !p.startsWith('**/') && !p.includes('/');
    });
}

/**
 * The files Docker would send as the build context: every file under the root that .dockerignore does not
 * exclude, as paths relative to the root with forward slashes. Directories are pruned when excluded and no
 * `!` pattern could let something inside them back in.
 */
export function buildContextFiles(root = REPO_ROOT): string[] {
  const text = existsSync(join(root, '.dockerignore')) ? readFileSync(join(root, '.dockerignore'), 'utf8') : '';
  const ig = ignore().add(text);
  const exceptions = text.split('\n').filter((l) => l.trim().startsWith('!')).map((l) => l.trim().slice(1).replace(/^\//, ''));
  const files: string[] = [];
  const walk = (rel: string) => {
    for (const e of readdirSync(join(root, rel), { withFileTypes: true })) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (ig.ignores(`${path}/`) && !exceptions.some((x) => x.startsWith(`${path}/`))) continue;
        walk(path);
      } else if ((e.isFile() || e.isSymbolicLink()) && !ig.ignores(path)) files.push(path);
    }
  };
  walk('');
  return files.sort();
}

/** COPY/ADD sources of the build context that are not in it: each one would fail `docker build`. */
export function missingCopySources(files: string[], root = REPO_ROOT): string[] {
  const present = new Set(files);
  const isDir = (p: string) => files.some((f) => f.startsWith(`${p}/`));
  return contextCopies(readDockerfile(root).stages).flatMap((c) =>
    c.sources
      .map((s) => s.replace(/^\.\//, '').replace(/\/$/, ''))
      .filter((s) => s !== '.' && s !== '' && !present.has(s) && !isDir(s))
      .map((s) => `line ${c.line}: ${s}`),
  );
}

/** Copies the context files into a directory, as the daemon receives them. */
export function assembleContext(files: string[], into: string, root = REPO_ROOT): void {
  for (const f of files) {
    mkdirSync(dirname(join(into, f)), { recursive: true });
    cpSync(join(root, f), join(into, f), { verbatimSymlinks: true });
  }
}
