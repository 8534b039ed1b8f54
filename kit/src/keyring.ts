import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JWK, CryptoKey } from 'jose';
import { generateSigningKeyPair, importPublicKey, importSigningKey, type ContextSigner } from '@palisade/auth';
import { ConfigError, dataDir, envOptional, isProduction, type ServiceName } from './config.ts';

/**
 * Each service signs its calls with its own Ed25519 key and knows the public keys of those it trusts,
 * so a compromised subgraph can vouch for nobody but itself.
 * Production: PALISADE_KEY_<SELF> holds the private JWK, PALISADE_PUBKEY_<OTHER> the public ones.
 * Development: generated once under <data dir>/keys and shared by every process on the machine.
 */
export interface InternalKeys {
  signer: ContextSigner;
  trusted: Map<string, CryptoKey>;
}

const ALL: ServiceName[] = ['router', 'user', 'product', 'order', 'security'];
const keysDir = () => envOptional('PALISADE_KEYS_DIR') ?? join(dataDir(), 'keys');
const privFile = (name: string) => join(keysDir(), `${name}.private.jwk.json`);
const pubFile = (name: string) => join(keysDir(), `${name}.public.jwk.json`);

async function ensureDevKeys() {
  mkdirSync(keysDir(), { recursive: true, mode: 0o700 });
  for (const name of ALL) {
    if (existsSync(privFile(name))) continue;
    const pair = await generateSigningKeyPair('EdDSA');
    try {
      // 'wx' fails if another process won the race; its key is as good as ours.
      writeFileSync(privFile(name), JSON.stringify(pair.privateJwk), { flag: 'wx', mode: 0o600 });
      writeFileSync(pubFile(name), JSON.stringify(pair.publicJwk));
    } catch {}
  }
}

function readJwk(envVar: string, file: string): JWK {
  const fromEnv = envOptional(envVar);
  if (fromEnv) {
    try {
      return JSON.parse(fromEnv) as JWK;
    } catch {
      throw new ConfigError(`${envVar} is not a JSON Web Key`);
    }
  }
  if (!isProduction() && existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as JWK;
  throw new ConfigError(`${envVar} is not set (an Ed25519 JWK; generate with: npm run palisade -- keys internal)`);
}

export async function loadInternalKeys(self: ServiceName, trust: readonly ServiceName[]): Promise<InternalKeys> {
  if (!isProduction()) await ensureDevKeys();
  const privateJwk = readJwk(`PALISADE_KEY_${self.toUpperCase()}`, privFile(self));
  const kid = privateJwk.kid ?? self;
  const publicJwk = { ...privateJwk };
  delete publicJwk.d;
  const signer: ContextSigner = {
    issuer: self,
    kid,
    key: (await importSigningKey({ kid, alg: 'EdDSA', privateJwk, publicJwk })).privateKey,
  };
  const trusted = new Map<string, CryptoKey>();
  for (const name of trust) trusted.set(name, await importPublicKey(readJwk(`PALISADE_PUBKEY_${name.toUpperCase()}`, pubFile(name)), 'EdDSA'));
  return { signer, trusted };
}
