import { createHash } from 'node:crypto';
import { jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { CLOCK_SKEW_SECONDS, TokenRejected, type AccessTokenClaims } from './access-token.ts';
import { isRole, scopesForRoles, type Role } from './roles.ts';

/** An OpenID Connect issuer (a Keycloak realm, say) whose access tokens Palisade accepts. */
export interface ExternalIssuerConfig {
  issuer: string;
  jwksUrl: string;
  audience: string;
  /** Dot path to the roles array in the token, e.g. "realm_access.roles". */
  rolesClaim: string;
  /** Their role name → ours; roles not named here grant nothing. */
  roleMap: Record<string, Role>;
}

// Asymmetric only: an HMAC or unsigned token from "them" would be a token anyone could mint.
const EXTERNAL_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'EdDSA'];

export function parseExternalIssuers(json: string | undefined): ExternalIssuerConfig[] {
  if (!json) return [];
  const list = JSON.parse(json) as unknown;
  if (!Array.isArray(list)) throw new Error('OIDC_ISSUERS must be a JSON array');
  return list.map((c: Partial<ExternalIssuerConfig>, i) => {
    for (const k of ['issuer', 'jwksUrl', 'audience', 'rolesClaim'] as const)
      if (typeof c[k] !== 'string' || !c[k]) throw new Error(`OIDC_ISSUERS[${i}].${k} is required`);
    const roleMap = c.roleMap ?? {};
    for (const [theirs, ours] of Object.entries(roleMap)) if (!isRole(ours)) throw new Error(`OIDC_ISSUERS[${i}].roleMap.${theirs} names unknown role ${ours}`);
    return c as ExternalIssuerConfig;
  });
}

function atPath(payload: JWTPayload, path: string): unknown {
  return path.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), payload);
}

/** Their subject as a stable UUID, so it can own orders like any local account. */
export function externalUserId(issuer: string, subject: string): string {
  const h = createHash('sha256').update(`${issuer}\0${subject}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${h.slice(18, 20)}-${h.slice(20, 32)}`;
}

export function createExternalVerifier(cfg: ExternalIssuerConfig, keys: JWTVerifyGetKey) {
  return async (token: string): Promise<AccessTokenClaims> => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, { issuer: cfg.issuer, audience: cfg.audience, algorithms: EXTERNAL_ALGORITHMS, clockTolerance: CLOCK_SKEW_SECONDS, requiredClaims: ['sub', 'exp'] }));
    } catch (err) {
      throw new TokenRejected(`external issuer: ${(err as Error).name}`);
    }
    const theirs = atPath(payload, cfg.rolesClaim);
    const roles = [...new Set((Array.isArray(theirs) ? theirs : []).map((r) => cfg.roleMap[String(r)]).filter((r): r is Role => Boolean(r)))];
    const userId = externalUserId(cfg.issuer, payload.sub!);
    return {
      userId,
      sessionId: typeof payload.sid === 'string' ? `ext:${payload.sid}` : `ext:${userId}`,
      roles,
      scopes: scopesForRoles(roles),
      tokenId: typeof payload.jti === 'string' ? payload.jti : '',
      expiresAt: payload.exp!,
      issuer: cfg.issuer,
    };
  };
}
