import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listInputGuards, readAccessAnnotations, readInputGuards, requirementsFor } from '@palisade/auth';
import type { SubgraphSource } from './subgraphs.ts';

export const README_FILE = 'README.md';
const START = '<!-- input-permissions:start (npm run schema:compose writes this table) -->';
const END = '<!-- input-permissions:end -->';

const alternatives = (anyOf: string[][]) => anyOf.map((g) => g.map((s) => `\`${s}\``).join(' + ')).join(' or ');

/**
 * The published result of reviewing every argument and input field for a weaker permission's way
 * around a stronger one: each row is a `@requiresScopesToSet` annotation, read from the subgraphs' SDL.
 */
export function inputPermissionsTable(subgraphs: readonly SubgraphSource[]): string {
  const rows = subgraphs.flatMap((s) => {
    const access = readAccessAnnotations(s.typeDefs);
    return listInputGuards(readInputGuards(s.typeDefs)).map((g) => {
      const [type, field] = g.field.split('.') as [string, string];
      const own = requirementsFor(access, type, field).flatMap((r) => (r.kind === 'scopes' || r.kind === 'policy' ? [alternatives(r.anyOf)] : [r.kind]));
      return `| \`${field}\` (${type.toLowerCase()}) | \`${g.path.join('.')}\` | ${own.join(', ')} | ${alternatives(g.anyOf)} |`;
    });
  });
  return [START, '| operation | input | the operation needs | setting the input also needs |', '|---|---|---|---|', ...rows, END].join('\n');
}

/** README text with its table replaced; null when the README has no table markers. */
export function withInputPermissions(readme: string, table: string): string | null {
  const a = readme.indexOf(START);
  const b = readme.indexOf(END);
  if (a < 0 || b < a) return null;
  return readme.slice(0, a) + table + readme.slice(b + END.length);
}

/** A problem line when the README's table no longer says what the SDL does. */
export function staleInputPermissions(root: string, subgraphs: readonly SubgraphSource[]): string[] {
  const path = join(root, README_FILE);
  if (!existsSync(path)) return [];
  const readme = readFileSync(path, 'utf8');
  const updated = withInputPermissions(readme, inputPermissionsTable(subgraphs));
  if (updated === null) return [];
  return updated === readme ? [] : [`stale: the input permission table in ${README_FILE} does not match the SDL; run npm run schema:compose`];
}
