import { exportJWK, generateKeyPair, importJWK, calculateJwkThumbprint, type JWK, type CryptoKey } from 'jose';

export type SigningAlg = 'EdDSA' | 'ES256';
export const TOKEN_ALGORITHMS: SigningAlg[] = ['EdDSA', 'ES256'];

export interface SigningKey {
  kid: string;
  alg: SigningAlg;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export interface StoredKeyPair {
  kid: string;
  alg: SigningAlg;
  privateJwk: JWK;
  publicJwk: JWK;
}

export async function generateSigningKeyPair(alg: SigningAlg = 'EdDSA'): Promise<StoredKeyPair> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  return {
    kid,
    alg,
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg, use: 'sig' },
    publicJwk: { ...publicJwk, kid, alg, use: 'sig' },
  };
}

export async function importSigningKey(stored: StoredKeyPair): Promise<SigningKey> {
  const privateKey = (await importJWK(stored.privateJwk, stored.alg)) as CryptoKey;
  return { kid: stored.kid, alg: stored.alg, privateKey, publicJwk: stored.publicJwk };
}

export async function importPublicKey(jwk: JWK, alg: SigningAlg): Promise<CryptoKey> {
  return (await importJWK(jwk, alg)) as CryptoKey;
}
