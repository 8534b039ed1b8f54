import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, type DocumentNode } from 'graphql';
import { readSubgraphSdl } from '@palisade/auth';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SUPERGRAPH_FILE = 'schema/supergraph.graphql';

/** The composition: subgraph name → its SDL file → the URL the supergraph records for it. */
export const SUBGRAPHS = [
  { name: 'user', file: 'subgraphs/user/schema.graphql', url: 'http://localhost:4001/graphql' },
  { name: 'product', file: 'subgraphs/product/schema.graphql', url: 'http://localhost:4002/graphql' },
  { name: 'order', file: 'subgraphs/order/schema.graphql', url: 'http://localhost:4003/graphql' },
  { name: 'security', file: 'subgraphs/security/schema.graphql', url: 'http://localhost:4004/graphql' },
] as const;

export interface SubgraphSource {
  name: string;
  url: string;
  typeDefs: DocumentNode;
}

export function loadSubgraphs(root = REPO_ROOT, list: readonly { name: string; file: string; url: string }[] = SUBGRAPHS): SubgraphSource[] {
  return list.map((s) => ({ name: s.name, url: s.url, typeDefs: parse(readSubgraphSdl(join(root, s.file))) }));
}
