import type { AccessTokenClaims, AccessTokenVerifier } from './access-token.ts';

/**
 * Remembers tokens that verified, until they expire, so a client sending the same token on every request
 * pays for one signature check. Only successes are kept; revocation is checked separately every time.
 */
export function cachedVerifier(verify: AccessTokenVerifier, maxEntries = 10_000): AccessTokenVerifier {
  const cache = new Map<string, AccessTokenClaims>();
  return async (token) => {
    const hit = cache.get(token);
    if (hit && hit.expiresAt * 1000 > Date.now()) return hit;
    if (hit) cache.delete(token);
    const claims = await verify(token);
    if (cache.size >= maxEntries) cache.delete(cache.keys().next().value!); // oldest first
    cache.set(token, claims);
    return claims;
  };
}
