import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { buildConsoleTypes, CONSOLE_TYPES_FILE } from '../console-types.ts';
import { apiSchemaOf } from '../compose.ts';
import { buildManifest, MANIFEST_FILE } from '../operations.ts';
import { REPO_ROOT, SUPERGRAPH_FILE } from '../subgraphs.ts';

const { manifest } = buildManifest(REPO_ROOT);
writeFileSync(join(REPO_ROOT, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
console.log(`wrote ${MANIFEST_FILE} (${manifest.operations.length} operations)`);
const types = await buildConsoleTypes(REPO_ROOT, apiSchemaOf(readFileSync(join(REPO_ROOT, SUPERGRAPH_FILE), 'utf8')), manifest);
mkdirSync(dirname(join(REPO_ROOT, CONSOLE_TYPES_FILE)), { recursive: true });
writeFileSync(join(REPO_ROOT, CONSOLE_TYPES_FILE), types);
console.log(`wrote ${CONSOLE_TYPES_FILE}`);
