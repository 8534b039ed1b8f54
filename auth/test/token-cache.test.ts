import { describe, expect, it } from 'vitest';
import { cachedVerifier } from '../src/token-cache.ts';
import { TokenRejected, type AccessTokenClaims } from '../src/access-token.ts';

const claims = (exp: number): AccessTokenClaims => ({ userId: 'u', sessionId: 's', roles: [], scopes: [], tokenId: 'j', expiresAt: exp, issuer: 'i' });

describe('verified-token cache', () => {
  it('checks a token once while it is valid, again once it has expired, and never caches a refusal', async () => {
    let calls = 0;
    const now = Math.floor(Date.now() / 1000);
    const verify = cachedVerifier(async (t) => {
      calls++;
      if (t === 'bad') throw new TokenRejected('bad signature');
      return claims(t === 'old' ? now - 1 : now + 600);
    });
    await verify('good');
    await verify('good');
    expect(calls).toBe(1);
    await verify('old');
    await verify('old');
    expect(calls).toBe(3); // an expired entry is verified again (and jose would refuse it)
    await expect(verify('bad')).rejects.toBeInstanceOf(TokenRejected);
    await expect(verify('bad')).rejects.toBeInstanceOf(TokenRejected);
    expect(calls).toBe(5);
  });
});
