import { describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, rmSync, symlinkSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_DIR, consoleIsStale, ensureConsoleBuilt } from '../src/console-build.ts';

describe('building the console for npm start', () => {
  it('builds when stale, in a child process that leaves this process environment alone', async () => {
    const root = mkdtempSync(join(tmpdir(), 'palisade-admin-'));
    const dir = join(root, 'admin');
    try {
      for (const f of ['src', 'index.html', 'vite.config.ts', 'tsconfig.json']) cpSync(join(ADMIN_DIR, f), join(dir, f), { recursive: true });
      cpSync(join(ADMIN_DIR, '..', 'tsconfig.base.json'), join(root, 'tsconfig.base.json'));
      symlinkSync(join(ADMIN_DIR, '..', 'node_modules'), join(root, 'node_modules'));
      expect(consoleIsStale(dir)).toBe(true);
      const before = process.env.NODE_ENV;
      delete process.env.NODE_ENV; // as under npm start, where Vite would otherwise set it to production here
      try {
        await ensureConsoleBuilt(dir);
        expect(process.env.NODE_ENV).toBeUndefined();
      } finally {
        process.env.NODE_ENV = before;
      }
      expect(consoleIsStale(dir)).toBe(false);
      const later = new Date(Date.now() + 60_000);
      utimesSync(join(dir, 'src', 'App.tsx'), later, later);
      expect(consoleIsStale(dir)).toBe(true);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 120_000);
});
