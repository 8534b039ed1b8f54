import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { composeSupergraph } from '../compose.ts';
import { inputPermissionsTable, README_FILE, withInputPermissions } from '../input-permissions.ts';
import { loadSubgraphs, REPO_ROOT, SUPERGRAPH_FILE } from '../subgraphs.ts';

const subgraphs = loadSubgraphs();
const composed = composeSupergraph(subgraphs);
if (!composed.supergraphSdl) {
  for (const e of composed.errors) console.error(e);
  process.exit(1);
}
writeFileSync(join(REPO_ROOT, SUPERGRAPH_FILE), composed.supergraphSdl);
console.log(`wrote ${SUPERGRAPH_FILE}`);
const readmePath = join(REPO_ROOT, README_FILE);
const readme = withInputPermissions(readFileSync(readmePath, 'utf8'), inputPermissionsTable(subgraphs));
if (readme !== null) {
  writeFileSync(readmePath, readme);
  console.log(`wrote the input permission table in ${README_FILE}`);
}
