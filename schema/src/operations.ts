import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kind, parse, print, validate, type DocumentNode, type GraphQLSchema } from 'graphql';

export const OPERATIONS_DIR = 'schema/operations';
export const MANIFEST_FILE = 'schema/operations/manifest.json';

/** Apollo's persisted query manifest format, so Apollo clients and routers read it too. */
export interface PersistedManifest {
  format: 'apollo-persisted-query-manifest';
  version: 1;
  operations: { id: string; name: string; type: 'query' | 'mutation' | 'subscription'; body: string }[];
}

export const operationId = (body: string) => createHash('sha256').update(body).digest('hex');

/** Every .graphql file under dir, at any depth, as paths relative to it (sorted, so output is stable). */
export function operationFiles(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith('.graphql')).map((f) => f.split('\\').join('/')).sort();
}

/** Every operation in schema/operations/**\/*.graphql, printed canonically and keyed by sha256 of that text. */
export function buildManifest(root: string): { manifest: PersistedManifest; documents: DocumentNode[] } {
  const dir = join(root, OPERATIONS_DIR);
  const files = operationFiles(dir);
  const documents: DocumentNode[] = [];
  const operations: PersistedManifest['operations'] = [];
  for (const file of files) {
    const doc = parse(readFileSync(join(dir, file), 'utf8'));
    documents.push(doc);
    for (const def of doc.definitions) {
      if (def.kind !== Kind.OPERATION_DEFINITION || !def.name) throw new Error(`${file}: every persisted operation needs a name`);
      const body = print({ kind: Kind.DOCUMENT, definitions: [def] });
      operations.push({ id: operationId(body), name: def.name.value, type: def.operation, body });
    }
  }
  operations.sort((a, b) => a.name.localeCompare(b.name));
  const names = operations.map((o) => o.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new Error(`persisted operation name ${dup} is used twice`);
  return { manifest: { format: 'apollo-persisted-query-manifest', version: 1, operations }, documents };
}

export function validateOperations(schema: GraphQLSchema, documents: DocumentNode[]): string[] {
  return documents.flatMap((d) => validate(schema, d).map((e) => `operations: ${e.message}`));
}
