import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config/index.ts';
import { keySettings, loadInternalKeys } from '../src/keyring.ts';
import { dataKeysFrom } from '../src/data-keys.ts';
import { testConfig } from '../src/testing/config.ts';

const problems = (env: Record<string, string>, services: Parameters<typeof loadConfig>[1]) => {
  try {
    loadConfig(env, services);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
};
const STAND_INS = 'must be set in production (the embedded stand-ins are for development)';

// Development keys made for a test live in a folder of their own, so no generated key can stand in.
const dir = mkdtempSync(join(tmpdir(), 'palisade-production-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('production refuses development stand-ins and says which', () => {
  it('names a missing database and Redis, for the services the process runs', () => {
    expect(problems({ NODE_ENV: 'production', PALISADE_KEY_ORDER: '{"kty":"OKP"}' }, { services: ['order'] })).toEqual([`DATABASE_URL ${STAND_INS}`, `REDIS_URL ${STAND_INS}`]);
    expect(problems({ NODE_ENV: 'production', REDIS_URL: 'redis://r', PALISADE_KEY_ROUTER: '{"kty":"OKP"}' }, { services: ['router'] })).toEqual([]);
    expect(problems({ NODE_ENV: 'development' }, { services: ['order'] })).toEqual([]);
  });

  it('will not sign with generated development keys', async () => {
    const production = testConfig({ mode: 'production', keys: { dir } });
    await expect(loadInternalKeys('order', ['router'], keySettings(production))).rejects.toThrow(/PALISADE_KEY_ORDER is not set/);
    expect(problems({ NODE_ENV: 'production', REDIS_URL: 'redis://r', DATABASE_URL: 'postgres://db/p' }, { services: ['order'] })).toEqual([
      'PALISADE_KEY_ORDER must be set in production (an Ed25519 JWK; generate with: npm run palisade -- keys internal)',
    ]);
  });

  it('will not keep secrets at rest without a data encryption key of its own', () => {
    const production = { production: true, keysDir: dir };
    expect(() => dataKeysFrom(null, production)).toThrow(/DATA_ENCRYPTION_KEYS must be set in production/);
    const key = Buffer.alloc(32, 9).toString('base64');
    expect(() => dataKeysFrom(`dev:${key}`, production)).toThrow(/development key id/);
    expect(() => dataKeysFrom('2026-11:c2hvcnQ=', production)).toThrow(/DATA_ENCRYPTION_KEYS: key "2026-11" must be 32 bytes/);
    expect(dataKeysFrom(`2026-11:${key},dev:${key}`, production).currentKeyId).toBe('2026-11');
    // The same refusals, before anything starts, from the configuration of a user subgraph.
    const user = { NODE_ENV: 'production', REDIS_URL: 'redis://r', DATABASE_URL: 'postgres://db/p', PALISADE_KEY_USER: '{"kty":"OKP"}', ADMIN_EMAIL: 'a@example.com', ADMIN_PASSWORD: 'x', SMTP_URL: 'smtp://mail' };
    expect(problems(user, { services: ['user'] })).toEqual([expect.stringMatching(/^DATA_ENCRYPTION_KEYS must be set in production/)]);
    expect(problems({ ...user, DATA_ENCRYPTION_KEYS: `dev:${key}` }, { services: ['user'] })).toEqual([expect.stringMatching(/development key id "dev"/)]);
    expect(problems({ ...user, DATA_ENCRYPTION_KEYS: '2026-11:c2hvcnQ=' }, { services: ['user'] })).toEqual(['DATA_ENCRYPTION_KEYS: key "2026-11" must be 32 bytes (AES-256), got 5']);
    expect(problems({ ...user, DATA_ENCRYPTION_KEYS: `2026-11:${key}` }, { services: ['user'] })).toEqual([]);
  });
});
