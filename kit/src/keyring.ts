import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JWK, CryptoKey } from 'jose';
import { generateSigningKeyPair, importPublicKey, importSigningKey, type ContextSigner } from '@palisade/auth';
import { ConfigError, loadConfig, SERVICE_NAMES, type PalisadeConfig, type ServiceName } from './config/index.ts';

/**
 * Each service signs its calls with its own Ed25519 key and knows the public keys of those it trusts,
 * so a compromised subgraph can vouch for nobody but itself.
 * Production: PALISADE_KEY_<SELF> holds the private JWK, PALISADE_PUBKEY_<OTHER> the public ones.
 * Development: generated once under the keys directory and shared by every process on the machine.
 */
export interface InternalKeys {
  signer: ContextSigner;
  trusted: Map<string, CryptoKey>;
}

/** Where keys come from: the configuration's PALISADE_KEY_* / PALISADE_PUBKEY_* and keys directory. */
export interface KeySettings {
  production: boolean;
  dir: string;
  private: Partial<Record<ServiceName, object | null>>;
  public: Partial<Record<ServiceName, object | null>>;
}

export const keySettings = (c: PalisadeConfig): KeySettings => ({ production: c.production, dir: c.keys.dir, private: c.keys.private, public: c.keys.public });

// Tools and test fixtures that sign as a service use the development keys every local process shares.
let developmentKeys: KeySettings | null = null;
const development = () => (developmentKeys ??= keySettings(loadConfig({}, { services: [] })));

const privFile = (dir: string, name: string) => join(dir, `${name}.private.jwk.json`);
const pubFile = (dir: string, name: string) => join(dir, `${name}.public.jwk.json`);

async function ensureDevKeys(dir: string) {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const name of SERVICE_NAMES) {
    if (existsSync(privFile(dir, name))) continue;
    const pair = await generateSigningKeyPair('EdDSA');
    try {
      // 'wx' fails if another process won the race; its key is as good as ours.
      writeFileSync(privFile(dir, name), JSON.stringify(pair.privateJwk), { flag: 'wx', mode: 0o600 });
      writeFileSync(pubFile(dir, name), JSON.stringify(pair.publicJwk));
    } catch {}
  }
}

function readJwk(variable: string, configured: object | null | undefined, file: string, production: boolean): JWK {
  if (configured) return configured as JWK;
  if (!production && existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as JWK;
  throw new ConfigError(`${variable} is not set (an Ed25519 JWK; generate with: npm run palisade -- keys internal)`);
}

export async function loadInternalKeys(self: ServiceName, trust: readonly ServiceName[], keys: KeySettings = development()): Promise<InternalKeys> {
  if (!keys.production) await ensureDevKeys(keys.dir);
  const privateJwk = readJwk(`PALISADE_KEY_${self.toUpperCase()}`, keys.private[self], privFile(keys.dir, self), keys.production);
  const kid = privateJwk.kid ?? self;
  const publicJwk = { ...privateJwk };
  delete publicJwk.d;
  const signer: ContextSigner = {
    issuer: self,
    kid,
    key: (await importSigningKey({ kid, alg: 'EdDSA', privateJwk, publicJwk })).privateKey,
  };
  const trusted = new Map<string, CryptoKey>();
  for (const name of trust) trusted.set(name, await importPublicKey(readJwk(`PALISADE_PUBKEY_${name.toUpperCase()}`, keys.public[name], pubFile(keys.dir, name), keys.production), 'EdDSA'));
  return { signer, trusted };
}
