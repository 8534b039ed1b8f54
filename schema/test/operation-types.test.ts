import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { apiSchemaOf } from '../src/compose.ts';
import { OPERATION_TYPES, staleOperationTypes } from '../src/operation-types.ts';
import { buildManifest, OPERATIONS_DIR } from '../src/operations.ts';
import { REPO_ROOT, SUPERGRAPH_FILE } from '../src/subgraphs.ts';

const apiSchema = apiSchemaOf(readFileSync(join(REPO_ROOT, SUPERGRAPH_FILE), 'utf8'));
const [consoleTypes, clientTypes] = OPERATION_TYPES;

/** A throwaway root holding the repo's operation documents and the generated files committed for them. */
function copyOfRepo(): string {
  const root = mkdtempSync(join(tmpdir(), 'palisade-operation-types-'));
  cpSync(join(REPO_ROOT, OPERATIONS_DIR), join(root, OPERATIONS_DIR), { recursive: true });
  for (const t of OPERATION_TYPES) {
    mkdirSync(dirname(join(root, t.file)), { recursive: true });
    cpSync(join(REPO_ROOT, t.file), join(root, t.file));
  }
  return root;
}

describe('operation types generated from schema/operations', () => {
  it('are committed as the documents and the supergraph generate them', async () => {
    expect(await staleOperationTypes(REPO_ROOT, apiSchema, buildManifest(REPO_ROOT).manifest)).toEqual([]);
  });

  it('go stale, each file on its own, when a document they cover changes or when they are missing', async () => {
    const root = copyOfRepo();
    try {
      const storefront = join(root, OPERATIONS_DIR, 'storefront.graphql');
      writeFileSync(storefront, readFileSync(storefront, 'utf8').replace('categories { id name slug parent { id } }', 'categories { id name slug }'));
      expect(await staleOperationTypes(root, apiSchema, buildManifest(root).manifest)).toEqual([
        `stale: ${clientTypes!.file} does not match ${clientTypes!.from}; run npm run schema:operations`,
      ]);
      rmSync(join(root, consoleTypes!.file));
      expect(await staleOperationTypes(root, apiSchema, buildManifest(root).manifest)).toHaveLength(2);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('cover every document once: the console gets only admin/, clients get the rest', () => {
    const files = ['admin/session.graphql', 'storefront.graphql', 'account.graphql'];
    expect(files.map((f) => OPERATION_TYPES.filter((t) => t.covers(f)).map((t) => t.file))).toEqual([[consoleTypes!.file], [clientTypes!.file], [clientTypes!.file]]);
  });
});
