import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { buildOperationTypes, OPERATION_TYPES } from '../operation-types.ts';
import { apiSchemaOf } from '../compose.ts';
import { buildManifest, MANIFEST_FILE, OPERATIONS_DIR, operationFiles } from '../operations.ts';
import { REPO_ROOT, SUPERGRAPH_FILE } from '../subgraphs.ts';

const { manifest } = buildManifest(REPO_ROOT);
writeFileSync(join(REPO_ROOT, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
console.log(`wrote ${MANIFEST_FILE} (${manifest.operations.length} operations)`);
const apiSchema = apiSchemaOf(readFileSync(join(REPO_ROOT, SUPERGRAPH_FILE), 'utf8'));
const files = operationFiles(join(REPO_ROOT, OPERATIONS_DIR));
for (const target of OPERATION_TYPES) {
  if (!files.some(target.covers)) continue;
  const out = join(REPO_ROOT, target.file);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, await buildOperationTypes(REPO_ROOT, apiSchema, manifest, target));
  console.log(`wrote ${target.file}`);
}
