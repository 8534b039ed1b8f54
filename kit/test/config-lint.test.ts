import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The one rule of configuration: settings are read once, by a configuration module, and passed down.
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Files that may read the environment, and why. Keep it short: anything else receives a configuration. */
const ALLOWED: Record<string, string> = {
  'kit/src/config/load.ts': 'loadConfig / loadSettings read the environment once; childEnvironment hands it to a child process',
  'schema/src/cli/settings.ts': "the schema check's CI flags (schema/ may not import kit)",
  'ops/test/console-build.test.ts': "checks that building the console leaves this process's NODE_ENV alone",
};

const SKIPPED_DIRS = new Set(['node_modules', 'dist', '.data', '.git', '.ci', 'generated']);
// Written without the word itself, so this file does not match its own rule.
const READS_ENV = new RegExp(['\\bprocess', '\\s*(\\.\\s*|\\[\\s*[\'"`])env\\b'].join(''));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.isDirectory()) return SKIPPED_DIRS.has(e.name) ? [] : sources(join(dir, e.name));
    return /\.(ts|tsx|mts|cts)$/.test(e.name) && !e.name.endsWith('.d.ts') ? [join(dir, e.name)] : [];
  });
}

describe('configuration is read in one place', () => {
  const files = sources(ROOT).map((f) => relative(ROOT, f).split('\\').join('/'));

  it('scans the whole repository', () => {
    for (const f of ['kit/src/config/load.ts', 'router/src/main.ts', 'e2e/harness/supergraph.ts', 'admin/src/main.tsx']) expect(files).toContain(f);
  });

  it('finds the environment read nowhere but the allowed configuration modules', () => {
    const offenders = files.filter((f) => !(f in ALLOWED) && READS_ENV.test(readFileSync(join(ROOT, f), 'utf8')));
    expect(offenders, 'these files read the environment; take the value from the configuration instead (kit/src/config)').toEqual([]);
  });

  it('lists only files that still exist and still read it', () => {
    for (const f of Object.keys(ALLOWED)) expect(READS_ENV.test(readFileSync(join(ROOT, f), 'utf8')), f).toBe(true);
  });
});
