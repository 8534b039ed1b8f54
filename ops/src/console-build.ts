import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

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

/**
 * Builds the admin console when its sources changed since the last build, so `npm start` serves a
 * current console with no further command. Vite comes with the admin workspace's dev dependencies.
 */
export async function ensureConsoleBuilt(dir = ADMIN_DIR, log: (line: string) => void = () => {}): Promise<void> {
  if (!consoleIsStale(dir)) return;
  let vite: typeof import('vite');
  try {
    vite = await import('vite');
  } catch {
    // A production install without dev dependencies serves what its image built; say so if nothing was.
    log('admin console not rebuilt: vite is not installed (install dev dependencies, or build admin/dist in the image)');
    return;
  }
  log('building the admin console (admin/dist)…');
  await vite.build({ configFile: join(dir, 'vite.config.ts'), root: dir, logLevel: 'warn' });
}
