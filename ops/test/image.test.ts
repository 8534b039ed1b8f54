import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PORTS } from '@palisade/kit';
import { ambiguousPatterns, buildContextFiles, DOCKERFILE, missingCopySources, readDockerfile, REPO_ROOT } from '../src/dry-build-context.ts';
import { commandOf, contextCopies, parseAssignments } from '../src/dry-build-dockerfile.ts';
import { ENTRY_POINTS, RUNTIME_FILES } from '../docker/bundle.ts';

// The cheap half of `npm run image:dry-build` (which CI runs in full): a Dockerfile or .dockerignore change that
// would break `docker build` fails here. No Docker engine on this machine.
const files = buildContextFiles();
const { stages } = readDockerfile();
const runtime = stages.at(-1)!;
const last = (keyword: string) => runtime.instructions.filter((i) => i.keyword === keyword).at(-1)?.args;

describe('the build context', () => {
  it('holds every COPY source of the Dockerfile', () => {
    expect(contextCopies(stages).length).toBeGreaterThan(10);
    expect(missingCopySources(files)).toEqual([]);
  });

  it('honours .dockerignore: no dependencies, local data, keys, tests or end-to-end suites, but every workspace manifest', () => {
    for (const f of files) expect(f, f).not.toMatch(/(^|\/)(node_modules|\.data|\.git|test)\/|\.env$|\.jwk\.json$|^e2e\/(?!package\.json$)/);
    for (const m of ['package-lock.json', 'e2e/package.json', 'admin/package.json', 'ops/docker/bundle.ts', 'auth/data/common-passwords.txt']) expect(files).toContain(m);
  });

  it('writes each .dockerignore pattern so that Docker and the `ignore` package read it alike', () => {
    expect(ambiguousPatterns(readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8'))).toEqual([]);
    expect(ambiguousPatterns('node_modules\n**/dist\n/out\ne2e/*\n!e2e/package.json')).toEqual(['node_modules']);
  });

  it('fails when a COPY source is excluded (the old image: e2e/ ignored, e2e/package.json copied)', () => {
    const root = mkdtempSync(join(tmpdir(), 'palisade-context-'));
    try {
      cpSync(join(REPO_ROOT, 'ops/docker'), join(root, 'ops/docker'), { recursive: true });
      for (const f of contextCopies(stages).flatMap((c) => c.sources).filter((s) => s !== '.')) cpSync(join(REPO_ROOT, f), join(root, f), { recursive: true });
      writeFileSync(join(root, '.dockerignore'), readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8'));
      expect(missingCopySources(buildContextFiles(root), root)).toEqual([]);
      writeFileSync(join(root, '.dockerignore'), '**/node_modules\ne2e\n');
      expect(missingCopySources(buildContextFiles(root), root)).toEqual([expect.stringMatching(/e2e\/package\.json$/), expect.stringMatching(/e2e\/package\.json$/)]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('the Dockerfile', () => {
  it('builds in one stage and runs compiled JavaScript in another, with production dependencies only', () => {
    expect(stages.map((s) => s.name)).toEqual(['build', 'runtime']);
    for (const s of stages) expect(s.base, 'base image pinned to a full version tag').toMatch(/^node:\d+\.\d+\.\d+-[a-z]+-slim$/);
    const runs = (s: (typeof stages)[number]) => s.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args).join('\n');
    expect(runs(stages[0]!)).toMatch(/npm ci .*--ignore-scripts/);
    expect(runs(stages[0]!)).toContain('ops/docker/bundle.ts');
    expect(runs(runtime)).toMatch(/npm ci --omit=dev --ignore-scripts/);
    expect(runtime.instructions.some((i) => i.keyword === 'COPY' && i.args.includes('--from=build'))).toBe(true);
  });

  it('runs as the node user with NODE_ENV=production, a readiness HEALTHCHECK and `node dist/<service>.js`', () => {
    expect(last('USER')).toBe('node');
    const env = Object.assign({}, ...runtime.instructions.filter((i) => i.keyword === 'ENV').map((i) => parseAssignments(i.args))) as Record<string, string>;
    expect(env.NODE_ENV).toBe('production');
    expect(last('HEALTHCHECK')).toContain('/health/ready');
    for (const [s, port] of Object.entries(DEFAULT_PORTS)) expect(last('HEALTHCHECK')).toContain(`${s}:${port}`);
    expect(commandOf(last('CMD')!)).toEqual(['node', 'dist/service.js']);
  });

  it('bundles every service, the one-process start and the CLI, and ships the files they read', () => {
    for (const s of Object.keys(DEFAULT_PORTS)) expect(ENTRY_POINTS[s], s).toBeDefined();
    expect(Object.keys(ENTRY_POINTS)).toEqual(expect.arrayContaining(['start-all', 'cli']));
    for (const f of RUNTIME_FILES.filter((x) => x !== 'admin/dist')) expect(files.some((c) => c === f || c.startsWith(`${f}/`)), f).toBe(true);
    expect(readFileSync(join(REPO_ROOT, DOCKERFILE), 'utf8')).toContain('npm run build --workspace admin');
  });
});
