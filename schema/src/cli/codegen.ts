import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { buildResolverTypes, RESOLVER_TYPES, resolverTypesFileOf, schemaFileOf } from '../resolver-types.ts';
import { REPO_ROOT } from '../subgraphs.ts';
import { readSubgraphSdl } from '@palisade/auth';

for (const spec of RESOLVER_TYPES) {
  const out = join(REPO_ROOT, resolverTypesFileOf(spec));
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, await buildResolverTypes(spec, readSubgraphSdl(join(REPO_ROOT, schemaFileOf(spec)))));
  console.log(`wrote ${resolverTypesFileOf(spec)}`);
}
