import { randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors, type JWTVerifyGetKey, type JWTPayload } from 'jose';
import { TOKEN_ALGORITHMS, type SigningKey } from './keys.ts';
import { isRole, scopesForRoles, type Role } from './roles.ts';

export const ACCESS_TOKEN_TYPE = 'at+jwt'; // RFC 9068: keeps other JWTs from passing as access tokens
export const MAX_ACCESS_TOKEN_SECONDS = 15 * 60;
export const CLOCK_SKEW_SECONDS = 30;

export interface AccessTokenClaims {
  userId: string;
  sessionId: string;
  roles: Role[];
  scopes: string[];
  tokenId: string;
  expiresAt: number;
  issuer: string;
}

export interface IssueOptions {
  issuer: string;
  audience: string;
  userId: string;
  sessionId: string;
  roles: readonly Role[];
  ttlSeconds?: number;
}

export async function issueAccessToken(key: SigningKey, o: IssueOptions): Promise<{ token: string; expiresIn: number }> {
  const expiresIn = Math.min(o.ttlSeconds ?? MAX_ACCESS_TOKEN_SECONDS, MAX_ACCESS_TOKEN_SECONDS);
  const token = await new SignJWT({ sid: o.sessionId, roles: [...o.roles], scope: scopesForRoles(o.roles).join(' ') })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: ACCESS_TOKEN_TYPE })
    .setIssuer(o.issuer)
    .setAudience(o.audience)
    .setSubject(o.userId)
    .setIssuedAt()
    .setExpirationTime(`${expiresIn}s`)
    .setJti(randomUUID())
    .sign(key.privateKey);
  return { token, expiresIn };
}

/** Why a token was refused; logged and audited, never shown to the caller beyond UNAUTHENTICATED. */
export class TokenRejected extends Error {
  constructor(readonly reason: string) {
    super(`token rejected: ${reason}`);
  }
}

export interface VerifierOptions {
  issuer: string;
  audience: string;
  keys: JWTVerifyGetKey;
}

export type AccessTokenVerifier = (token: string) => Promise<AccessTokenClaims>;

export function createAccessTokenVerifier(o: VerifierOptions): AccessTokenVerifier {
  return async (token) => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, o.keys, {
        algorithms: TOKEN_ALGORITHMS,
        issuer: o.issuer,
        audience: o.audience,
        typ: ACCESS_TOKEN_TYPE,
        clockTolerance: CLOCK_SKEW_SECONDS,
        maxTokenAge: MAX_ACCESS_TOKEN_SECONDS + CLOCK_SKEW_SECONDS,
        requiredClaims: ['sub', 'exp', 'iat', 'jti', 'sid'],
      }));
    } catch (err) {
      throw new TokenRejected(describeJoseError(err));
    }
    return claimsFromPayload(payload, o.issuer);
  };
}

export function claimsFromPayload(payload: JWTPayload, issuer: string): AccessTokenClaims {
  const roles = Array.isArray(payload.roles) ? payload.roles.filter(isRole) : [];
  if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string' || typeof payload.jti !== 'string')
    throw new TokenRejected('malformed claims');
  // A token's scope can narrow what its roles grant, never widen it.
  const granted = scopesForRoles(roles);
  const asked = typeof payload.scope === 'string' ? new Set(payload.scope.split(' ')) : null;
  return {
    userId: payload.sub,
    sessionId: payload.sid,
    roles,
    scopes: asked ? granted.filter((s) => asked.has(s)) : granted,
    tokenId: payload.jti,
    expiresAt: payload.exp ?? 0,
    issuer,
  };
}

function describeJoseError(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'expired';
  if (err instanceof joseErrors.JWTClaimValidationFailed) return `claim ${err.claim} ${err.reason}`;
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'bad signature';
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'algorithm not allowed';
  if (err instanceof joseErrors.JWKSNoMatchingKey) return 'unknown key';
  if (err instanceof joseErrors.JWSInvalid || err instanceof joseErrors.JWTInvalid) return 'malformed';
  if (err instanceof joseErrors.JOSEError) return err.code;
  return 'unverifiable';
}
