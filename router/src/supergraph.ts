import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const SUPERGRAPH_PATH = fileURLToPath(new URL('../../schema/supergraph.graphql', import.meta.url));

// Apollo Gateway refuses supergraphs whose `for: SECURITY` features it cannot enforce. It need not:
// the subgraphs enforce @authenticated/@requiresScopes/@policy on every field and every entity.
// The committed supergraph keeps them (for Apollo Router and tooling); the gateway reads them as plain links.
const SECURITY_LINK = /(@link\(url: "https:\/\/specs\.apollo\.dev\/(?:authenticated|requiresScopes|policy)\/v[0-9.]+"), for: SECURITY\)/g;

export function loadSupergraph(path = SUPERGRAPH_PATH): string {
  return readFileSync(path, 'utf8').replace(SECURITY_LINK, '$1)');
}
