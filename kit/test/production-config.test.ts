import { afterEach, describe, expect, it } from 'vitest';
import { assertProductionBacking, ConfigError } from '../src/config.ts';
import { loadInternalKeys } from '../src/keyring.ts';
import { dataKeysFrom } from '../src/data-keys.ts';

const env = process.env.NODE_ENV;
afterEach(() => {
  process.env.NODE_ENV = env;
});

describe('production refuses development stand-ins and says which', () => {
  it('names a missing database and Redis', () => {
    process.env.NODE_ENV = 'production';
    expect(() => assertProductionBacking({ needsDatabase: true, databaseUrl: null, redisUrl: null })).toThrow(new ConfigError('DATABASE_URL and REDIS_URL must be set in production (the embedded stand-ins are for development)'));
    expect(() => assertProductionBacking({ needsDatabase: false, databaseUrl: null, redisUrl: 'redis://r' })).not.toThrow();
    process.env.NODE_ENV = 'development';
    expect(() => assertProductionBacking({ needsDatabase: true, databaseUrl: null, redisUrl: null })).not.toThrow();
  });

  it('will not sign with generated development keys', async () => {
    process.env.NODE_ENV = 'production';
    delete process.env.PALISADE_KEY_ORDER;
    await expect(loadInternalKeys('order', ['router'])).rejects.toThrow(/PALISADE_KEY_ORDER is not set/);
  });

  it('will not keep secrets at rest without a data encryption key of its own', () => {
    process.env.NODE_ENV = 'production';
    expect(() => dataKeysFrom(undefined)).toThrow(/DATA_ENCRYPTION_KEYS must be set in production/);
    const key = Buffer.alloc(32, 9).toString('base64');
    expect(() => dataKeysFrom(`dev:${key}`)).toThrow(/development key id/);
    expect(() => dataKeysFrom('2026-11:c2hvcnQ=')).toThrow(/DATA_ENCRYPTION_KEYS: key "2026-11" must be 32 bytes/);
    expect(dataKeysFrom(`2026-11:${key},dev:${key}`).currentKeyId).toBe('2026-11');
  });
});
