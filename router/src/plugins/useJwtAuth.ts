import { createRemoteJWKSet } from 'jose';
import { GraphQLError } from 'graphql';
import { anonymousCaller, createAccessTokenVerifier, ErrorCode, TokenRejected, type Caller } from '@palisade/auth';
import { isSessionRevoked, type HttpContext, type Logger, type Store } from '@palisade/kit';

export interface JwtAuthOptions {
  issuer: string;
  audience: string;
  jwksUrl: string;
  log: Logger;
  /** Where revoked sessions are listed; a revoked session's tokens stop working at once. */
  store: Store;
}

const rejected = (message: string) =>
  new GraphQLError(message, { extensions: { code: ErrorCode.UNAUTHENTICATED, http: { status: 401, headers: new Map([['www-authenticate', 'Bearer error="invalid_token"']]) } } });

/**
 * Turns the Authorization header into a caller. No header is anonymous; a header that does not verify
 * is refused outright, never downgraded to anonymous.
 */
export function useJwtAuth(o: JwtAuthOptions) {
  // jose refetches on an unknown kid (key rotation), at most once per cooldown.
  const keys = createRemoteJWKSet(new URL(o.jwksUrl), { cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000, timeoutDuration: 5_000 });
  const verify = createAccessTokenVerifier({ issuer: o.issuer, audience: o.audience, keys });

  return async function authenticate(h: HttpContext): Promise<Caller> {
    const ua = h.req.headers['user-agent']?.slice(0, 256) ?? null;
    const header = h.req.headers.authorization;
    if (!header) return anonymousCaller(h.requestId, h.ip, ua);
    const match = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)$/.exec(header);
    if (!match) throw rejected('Malformed Authorization header');
    try {
      const claims = await verify(match[1]!);
      if (await isSessionRevoked(o.store, claims.sessionId)) throw new TokenRejected('session revoked');
      return { userId: claims.userId, sessionId: claims.sessionId, roles: claims.roles, scopes: claims.scopes, requestId: h.requestId, ip: h.ip, userAgent: ua };
    } catch (err) {
      const reason = err instanceof TokenRejected ? err.reason : 'unverifiable';
      o.log.warn({ requestId: h.requestId, ip: h.ip, reason }, 'access token rejected');
      throw rejected('Invalid or expired access token');
    }
  };
}
