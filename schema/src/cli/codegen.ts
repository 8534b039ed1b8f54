import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { buildResolverTypes, RESOLVER_TYPES, resolverTypesFileOf, schemaFileOf } from '../resolver-types.ts';
import { REPO_ROOT } from '../subgraphs.ts';

for (const spec of RESOLVER_TYPES) {
  const out = join(REPO_ROOT, resolverTypesFileOf(spec));
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, await buildResolverTypes(spec, readFileSync(join(REPO_ROOT, schemaFileOf(spec)), 'utf8')));
  console.log(`wrote ${resolverTypesFileOf(spec)}`);
}
