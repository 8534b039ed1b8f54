import { CONTEXT_HEADER, ContextRejected, verifyContext, type SignedContextClaims } from '@palisade/auth';
import type { CryptoKey } from 'jose';
import { HttpError, type HttpContext } from './http.ts';
import { StoreUnavailable, type Store } from './store.ts';
import type { Logger } from './logger.ts';

export interface SignedRequestGuard {
  audience: string;
  trusted: ReadonlyMap<string, CryptoKey>;
  store: Store;
  log: Logger;
}

/**
 * Admits a request only with a fresh signed context from a trusted issuer, bound to this very body,
 * used once. Everything else is 401 before anything executes.
 */
export async function admitSignedRequest(g: SignedRequestGuard, h: HttpContext, digest: string): Promise<SignedContextClaims> {
  const header = h.req.headers[CONTEXT_HEADER];
  try {
    const claims = await verifyContext(typeof header === 'string' ? header : null, { trusted: g.trusted, audience: g.audience, digest });
    if (!(await g.store.setIfAbsent(`ctx-jti:${g.audience}:${claims.tokenId}`, '1', 60))) throw new ContextRejected('replayed');
    return claims;
  } catch (err) {
    // Without the replay guard nothing can be admitted: refuse as unavailable, not as unauthenticated.
    if (err instanceof StoreUnavailable) throw new HttpError(503, 'SERVICE_UNAVAILABLE', err.message);
    const reason = err instanceof ContextRejected ? err.reason : 'unverifiable';
    g.log.warn({ requestId: h.requestId, ip: h.ip, reason }, 'refused unsigned or forged request');
    throw new HttpError(401, 'UNAUTHENTICATED', 'Request is not signed by a trusted service');
  }
}
