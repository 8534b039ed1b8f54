import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildManifest, MANIFEST_FILE } from '../operations.ts';
import { REPO_ROOT } from '../subgraphs.ts';

const { manifest } = buildManifest(REPO_ROOT);
writeFileSync(join(REPO_ROOT, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
console.log(`wrote ${MANIFEST_FILE} (${manifest.operations.length} operations)`);
