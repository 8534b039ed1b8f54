import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dataKeysFrom, DEV_DATA_KEY_ID } from '../src/data-keys.ts';

let dir: string;
const development = () => ({ production: false, keysDir: dir });
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'palisade-data-keys-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('data encryption keys in development', () => {
  it('generates one key where the development keys live, private to the owner, and every process reuses it', () => {
    const first = dataKeysFrom(null, development());
    expect(first.currentKeyId).toBe(DEV_DATA_KEY_ID);
    const file = join(dir, 'data-encryption.key');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const sealed = first.seal('JBSWY3DPEHPK3PXP', 'ctx');
    // Another process (another load) opens what this one sealed.
    expect(dataKeysFrom(null, development()).open(sealed, 'ctx')).toBe('JBSWY3DPEHPK3PXP');
    expect(readFileSync(file, 'utf8')).toMatch(/^dev:[A-Za-z0-9+/]{43}=$/);
  });

  it('uses the configured keys when given, in development too', () => {
    const key = Buffer.alloc(32, 3).toString('base64');
    expect(dataKeysFrom(`k1:${key}`, development()).currentKeyId).toBe('k1');
  });
});
