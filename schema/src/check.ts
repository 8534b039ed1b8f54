import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiSchemaOf, composeSupergraph } from './compose.ts';
import { buildManifest, MANIFEST_FILE, OPERATIONS_DIR, validateOperations } from './operations.ts';
import { findUnannotatedFields } from './annotations.ts';
import { findBreakingChanges } from './breaking.ts';
import { staleInputPermissions } from './input-permissions.ts';
import { staleOperationTypes } from './operation-types.ts';
import { staleResolverTypes } from './resolver-types.ts';
import { loadSubgraphs, REPO_ROOT, SUBGRAPHS, SUPERGRAPH_FILE } from './subgraphs.ts';

export interface CheckOptions {
  root?: string;
  subgraphs?: readonly { name: string; file: string; url: string }[];
  /** The base branch's supergraph; null when there is none to compare with. */
  baseSupergraphSdl: string | null;
  allowBreaking?: boolean;
}

/** Every check CI runs on the schema; each problem is one line. */
export async function runSchemaCheck(o: CheckOptions): Promise<{ problems: string[]; notes: string[] }> {
  const root = o.root ?? REPO_ROOT;
  const subgraphs = loadSubgraphs(root, o.subgraphs ?? SUBGRAPHS);
  const problems: string[] = [...subgraphs.flatMap(findUnannotatedFields), ...staleInputPermissions(root, subgraphs)];
  const notes: string[] = [];
  problems.push(...(await staleResolverTypes(root)));
  const composed = composeSupergraph(subgraphs);
  if (!composed.supergraphSdl) return { problems: [...problems, ...composed.errors], notes };
  if (existsSync(join(root, OPERATIONS_DIR))) {
    const { manifest, documents } = buildManifest(root);
    const apiSchema = apiSchemaOf(composed.supergraphSdl);
    const invalid = validateOperations(apiSchema, documents);
    problems.push(...invalid);
    const manifestPath = join(root, MANIFEST_FILE);
    const committedManifest = existsSync(manifestPath) ? readFileSync(manifestPath, 'utf8') : null;
    if (committedManifest !== JSON.stringify(manifest, null, 2) + '\n') problems.push(`stale: ${MANIFEST_FILE} does not match ${OPERATIONS_DIR}; run npm run schema:operations`);
    // Types cannot be generated from documents the schema refuses; those are reported above.
    if (!invalid.length) problems.push(...(await staleOperationTypes(root, apiSchema, manifest)));
  }
  const committedPath = join(root, SUPERGRAPH_FILE);
  const committed = existsSync(committedPath) ? readFileSync(committedPath, 'utf8') : null;
  if (committed !== composed.supergraphSdl) problems.push(`stale: ${SUPERGRAPH_FILE} does not match the subgraphs; run npm run schema:compose`);
  if (o.baseSupergraphSdl) {
    const breaking = await findBreakingChanges(o.baseSupergraphSdl, composed.supergraphSdl);
    if (o.allowBreaking) notes.push(...breaking.map((b) => `allowed ${b}`));
    else problems.push(...breaking);
  } else notes.push('no base supergraph to compare with; breaking-change check skipped');
  return { problems, notes };
}
