import { createRemoteJWKSet, decodeJwt } from 'jose';
import { GraphQLError } from 'graphql';
import {
  anonymousCaller, cachedVerifier, createAccessTokenVerifier, createExternalVerifier, ErrorCode, TokenRejected, type AccessTokenVerifier, type Caller, type ExternalIssuerConfig,
} from '@palisade/auth';
import { isSessionRevoked, StoreUnavailable, type HttpContext, type Logger, type Store } from '@palisade/kit';
import type { AuditForwarder } from './useAuditForwarding.ts';

export interface JwtAuthOptions {
  issuer: string;
  audience: string;
  jwksUrl: string;
  log: Logger;
  /** Where revoked sessions are listed; a revoked session's tokens stop working at once (null: not checked). */
  store: Store | null;
  /** Other OpenID Connect issuers whose tokens are accepted, with their role mapping. */
  externalIssuers?: ExternalIssuerConfig[];
  audit?: AuditForwarder;
  onRejected?: (reason: string) => void;
}

// On an unknown kid (a key rotation) the key set is fetched again, at most this often.
const JWKS_COOLDOWN_MS = 5_000;

// Apollo Server reads http.status and http.headers (a Map) from the error thrown while building the context.
const rejected = (message: string) =>
  new GraphQLError(message, { extensions: { code: ErrorCode.UNAUTHENTICATED, http: { status: 401, headers: new Map([['www-authenticate', 'Bearer error="invalid_token"']]) } } as never });

const remoteKeys = (url: string) => createRemoteJWKSet(new URL(url), { cooldownDuration: JWKS_COOLDOWN_MS, cacheMaxAge: 10 * 60_000, timeoutDuration: 5_000 });

/**
 * Turns the Authorization header into a caller. No header is anonymous; a header that does not verify
 * is refused outright, never downgraded to anonymous.
 */
export function useJwtAuth(o: JwtAuthOptions) {
  const verifiers = new Map<string, AccessTokenVerifier>([[o.issuer, cachedVerifier(createAccessTokenVerifier({ issuer: o.issuer, audience: o.audience, keys: remoteKeys(o.jwksUrl) }))]]);
  for (const ext of o.externalIssuers ?? []) verifiers.set(ext.issuer, cachedVerifier(createExternalVerifier(ext, remoteKeys(ext.jwksUrl))));

  return async function authenticate(h: HttpContext): Promise<Caller> {
    const ua = h.req.headers['user-agent']?.slice(0, 256) ?? null;
    const header = h.req.headers.authorization;
    if (!header) return anonymousCaller(h.requestId, h.ip, ua);
    const match = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)$/.exec(header);
    if (!match) throw rejected('Malformed Authorization header');
    try {
      // The unverified issuer only picks which keys to check against; it grants nothing by itself.
      let iss: string | undefined;
      try {
        iss = decodeJwt(match[1]!).iss;
      } catch {
        throw new TokenRejected('malformed');
      }
      const verify = iss ? verifiers.get(iss) : undefined;
      if (!verify) throw new TokenRejected('unknown issuer');
      const claims = await verify(match[1]!);
      if (o.store && (await isSessionRevoked(o.store, claims.sessionId))) throw new TokenRejected('session revoked');
      return { userId: claims.userId, sessionId: claims.sessionId, roles: claims.roles, scopes: claims.scopes, requestId: h.requestId, ip: h.ip, userAgent: ua };
    } catch (err) {
      // Revocation could not be checked: the token may be dead, so it is not honoured (503, retry later).
      if (err instanceof StoreUnavailable) throw err;
      const reason = err instanceof TokenRejected ? err.reason : 'unverifiable';
      o.log.warn({ requestId: h.requestId, ip: h.ip, reason }, 'access token rejected');
      o.onRejected?.(reason);
      o.audit?.record(anonymousCaller(h.requestId, h.ip, ua), { action: 'auth.token_rejected', outcome: 'DENIED', metadata: { reason } });
      throw rejected('Invalid or expired access token');
    }
  };
}
