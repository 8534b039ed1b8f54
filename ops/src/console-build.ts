import { execFile } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { childEnvironment } from '@palisade/kit/config/load';

export const ADMIN_DIR = fileURLToPath(new URL('../../admin', import.meta.url));

function newest(path: string): number {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  return Math.max(s.mtimeMs, ...readdirSync(path).map((f) => newest(join(path, f))));
}

/** True when admin/dist is missing or older than anything it is built from. */
export function consoleIsStale(dir = ADMIN_DIR): boolean {
  const built = join(dir, 'dist', 'index.html');
  if (!existsSync(built)) return true;
  const sources = ['src', 'index.html', 'vite.config.ts'].map((f) => join(dir, f)).filter(existsSync);
  return Math.max(...sources.map(newest)) > statSync(built).mtimeMs;
}

function viteBin(): string | null {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('vite/package.json')), 'bin', 'vite.js');
  } catch {
    return null;
  }
}

/**
 * Builds the admin console when its sources changed since the last build, so `npm start` serves a
 * current console with no further command. The build runs in a child process: Vite sets NODE_ENV to
 * production in the process it runs in, which would switch this one into production rules.
 */
export async function ensureConsoleBuilt(dir = ADMIN_DIR, log: (line: string) => void = () => {}): Promise<void> {
  if (!consoleIsStale(dir)) return;
  const bin = viteBin();
  if (!bin) {
    // A production install without dev dependencies serves what its image built; say so if nothing was.
    log('admin console not rebuilt: vite is not installed (install dev dependencies, or build admin/dist in the image)');
    return;
  }
  log('building the admin console (admin/dist)…');
  await promisify(execFile)(process.execPath, [bin, 'build', '--logLevel', 'warn'], { cwd: dir, env: childEnvironment({ NODE_ENV: 'production' }) });
}
