import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_PORTS, rowsOf, SETTINGS, type ServiceName, type Setting } from '@palisade/kit/config/index';

/** What the code says a deployment must match: ports, routes, settings, and the secrets the README documents. */
export interface CodeFacts {
  ports: Readonly<Record<ServiceName, number>>;
  /** Each service's `GET` paths; one ending in `/*` stands for the files served under it. */
  routes: Readonly<Record<ServiceName, ReadonlySet<string>>>;
  settings: ReadonlyMap<string, Setting<unknown>>;
  /** Secret name → the keys the README's table lists for it. */
  secrets: ReadonlyMap<string, ReadonlySet<string>>;
}

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.isDirectory()) return ['node_modules', 'test', 'testing', 'db'].includes(e.name) ? [] : sources(join(dir, e.name));
    return e.name.endsWith('.ts') ? [join(dir, e.name)] : [];
  });
}

// Route tables are written as `'GET /path': handler` (or a template for files served under a folder).
const ROUTE = /['`]GET (\/[^'`$]*)(\$\{)?/g;

function routesIn(dirs: string[]): Set<string> {
  const found = new Set<string>();
  for (const file of dirs.flatMap((d) => sources(join(ROOT, d))))
    for (const m of readFileSync(file, 'utf8').matchAll(ROUTE)) found.add(m[2] ? `${m[1]}*` : m[1]!);
  return found;
}

/** Rows of the table between the README's k8s-secrets markers: backticked names in the first cell, keys in the second. */
export function documentedSecrets(readme: string): Map<string, Set<string>> {
  const start = readme.indexOf('<!-- k8s-secrets:start');
  const end = readme.indexOf('<!-- k8s-secrets:end -->');
  const secrets = new Map<string, Set<string>>();
  if (start < 0 || end < start) return secrets;
  for (const line of readme.slice(start, end).split('\n')) {
    const cells = line.split('|').slice(1, -1);
    if (cells.length < 2 || /^\s*-+/.test(cells[0]!)) continue;
    const ticks = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
    for (const name of ticks(cells[0]!)) secrets.set(name, new Set(ticks(cells[1]!)));
  }
  return secrets;
}

export function codeFacts(readme = readFileSync(join(ROOT, 'README.md'), 'utf8')): CodeFacts {
  const settings = new Map<string, Setting<unknown>>();
  for (const row of rowsOf(SETTINGS)) for (const s of row.kind === 'family' ? Object.values(row.members) : [row]) settings.set(s.env, s);
  const subgraph = (name: string) => routesIn(['kit/src', `subgraphs/${name}`]);
  return {
    ports: DEFAULT_PORTS,
    routes: { router: routesIn(['router/src']), user: subgraph('user'), product: subgraph('product'), order: subgraph('order'), security: subgraph('security') },
    settings,
    secrets: documentedSecrets(readme),
  };
}

/** Whether `path` (an Ingress path or probe path) is served: exactly, or, for a Prefix, something under it. */
export function serves(routes: ReadonlySet<string>, path: string, prefix = false): boolean {
  if (routes.has(path)) return true;
  return [...routes].some((r) => (prefix && r.startsWith(`${path}/`)) || (r.endsWith('/*') && path.startsWith(r.slice(0, -1)) && path.length > r.length - 1));
}
