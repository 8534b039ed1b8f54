import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { composeSupergraph } from '../compose.ts';
import { loadSubgraphs, REPO_ROOT, SUPERGRAPH_FILE } from '../subgraphs.ts';

const composed = composeSupergraph(loadSubgraphs());
if (!composed.supergraphSdl) {
  for (const e of composed.errors) console.error(e);
  process.exit(1);
}
writeFileSync(join(REPO_ROOT, SUPERGRAPH_FILE), composed.supergraphSdl);
console.log(`wrote ${SUPERGRAPH_FILE}`);
