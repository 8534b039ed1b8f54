import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Routes } from '@palisade/kit';

export const DEFAULT_CONSOLE_DIR = fileURLToPath(new URL('../../../admin/dist', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

// The console is same-origin scripts and styles only: no inline code, nothing from elsewhere.
export const CONSOLE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

/**
 * Serves the built console (admin/dist) at /admin. Hashed assets are cached for a year, since their
 * names change with their content; the page itself is revalidated every time. Files are read once at
 * start: the set of routes is fixed, and nothing on disk is reachable by a path the client writes.
 */
export function useAdminConsole(dir = DEFAULT_CONSOLE_DIR): Routes {
  const send = (body: Buffer | string, type: string, cache: string) => ({ res }: Parameters<Routes[string]>[0]) => {
    res.writeHead(200, { 'content-type': type, 'cache-control': cache, 'content-security-policy': CONSOLE_CSP, 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY', 'referrer-policy': 'no-referrer' });
    res.end(body);
  };
  const index = join(dir, 'index.html');
  if (!existsSync(index)) {
    const missing = send('<!doctype html><title>Palisade console</title><p>The console is not built. <code>npm start</code> builds it.</p>', TYPES['.html']!, 'no-store');
    return { 'GET /admin': missing, 'GET /admin/': missing };
  }
  const page = send(readFileSync(index), TYPES['.html']!, 'no-cache');
  const routes: Routes = { 'GET /admin': page, 'GET /admin/': page };
  const assets = join(dir, 'assets');
  if (existsSync(assets)) {
    for (const file of readdirSync(assets)) {
      routes[`GET /admin/assets/${file}`] = send(readFileSync(join(assets, file)), TYPES[extname(file)] ?? 'application/octet-stream', 'public, max-age=31536000, immutable');
    }
  }
  return routes;
}
