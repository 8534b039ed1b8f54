import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ErrorCode } from '@palisade/auth';
import { HttpError } from '@palisade/kit';

export type PersistedMode = 'off' | 'allow' | 'enforce';
export const DEFAULT_MANIFEST = fileURLToPath(new URL('../../../schema/operations/manifest.json', import.meta.url));

interface Body {
  query?: unknown;
  documentId?: unknown;
  extensions?: { persistedQuery?: { sha256Hash?: unknown } } & Record<string, unknown>;
  [k: string]: unknown;
}

/**
 * Trusted documents: operations known ahead of time (schema/operations/*.graphql → manifest.json, by
 * sha256). `allow` resolves their ids and still runs other queries; `enforce` runs nothing else.
 * Automatic persisted queries (APQ) keep working in `off` and `allow`, through Apollo Server.
 */
export function usePersistedOperations(mode: PersistedMode, manifestPath = DEFAULT_MANIFEST) {
  const byId = new Map<string, string>();
  if (mode !== 'off') {
    if (!existsSync(manifestPath)) throw new Error(`persisted operations manifest not found: ${manifestPath}`);
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { operations: { id: string; body: string }[] };
    for (const op of manifest.operations) byId.set(op.id, op.body);
  }
  const notFound = () => new HttpError(mode === 'enforce' ? 400 : 200, ErrorCode.PERSISTED_QUERY_NOT_FOUND, 'Only trusted operations are accepted here');

  /** Rewrites a request naming a trusted document into one carrying its text; refuses strangers in enforce. */
  return function resolve(body: Body): Body {
    if (mode === 'off') return body;
    const hash = typeof body.documentId === 'string' ? body.documentId.replace(/^sha256:/, '') : body.extensions?.persistedQuery?.sha256Hash;
    if (typeof body.query === 'string') {
      if (mode === 'enforce' && !byId.has(createHash('sha256').update(body.query).digest('hex'))) throw notFound();
      return body;
    }
    if (typeof hash === 'string' && byId.has(hash)) {
      const { documentId: _drop, ...rest } = body;
      return { ...rest, query: byId.get(hash)! };
    }
    // An unknown hash: in allow mode Apollo's APQ may know it; in enforce mode nothing else runs.
    if (mode === 'enforce') throw notFound();
    return body;
  };
}
