import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatDataKey, generateDataKey, parseDataKeys, SecretBox } from '@palisade/auth';
import { ConfigError, type PalisadeConfig } from './config/index.ts';

/**
 * Keys that seal secrets at rest (TOTP seeds). Production: DATA_ENCRYPTION_KEYS, `id:base64key` entries,
 * newest first. Development without it: one key generated in the keys directory, next to the development
 * signing keys, and shared by every process on the machine; its id is `dev`, which production refuses.
 */
export const DATA_KEYS_VAR = 'DATA_ENCRYPTION_KEYS';
export const DEV_DATA_KEY_ID = 'dev';

export interface DataKeySettings {
  production: boolean;
  /** Where the development key is kept (PALISADE_KEYS_DIR). */
  keysDir: string;
}

const devKeyFile = (keysDir: string) => join(keysDir, 'data-encryption.key');

function devKeys(file: string): string {
  if (!existsSync(file)) {
    mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
    try {
      // 'wx' fails if another process won the race; its key is the one everyone uses.
      writeFileSync(file, formatDataKey(generateDataKey(DEV_DATA_KEY_ID)), { flag: 'wx', mode: 0o600 });
    } catch {}
  }
  return readFileSync(file, 'utf8').trim();
}

/** The key ring from DATA_ENCRYPTION_KEYS (`spec`), else the development key; production refuses the latter. */
export function dataKeysFrom(spec: string | null | undefined, o: DataKeySettings): SecretBox {
  if (o.production) {
    if (!spec) throw new ConfigError(`${DATA_KEYS_VAR} must be set in production (id:base64 of 32 random bytes, e.g. "2026-11:$(openssl rand -base64 32)"; newest first)`);
  }
  let box: SecretBox;
  try {
    box = new SecretBox(parseDataKeys(spec ?? devKeys(devKeyFile(o.keysDir))));
  } catch (err) {
    throw new ConfigError(`${spec ? DATA_KEYS_VAR : devKeyFile(o.keysDir)}: ${(err as Error).message}`);
  }
  if (o.production && box.currentKeyId === DEV_DATA_KEY_ID) throw new ConfigError(`${DATA_KEYS_VAR} seals with the development key id "${DEV_DATA_KEY_ID}"; give production a key of its own`);
  return box;
}

export const loadDataKeys = (c: PalisadeConfig) => dataKeysFrom(c.user.dataEncryptionKeys, { production: c.production, keysDir: c.keys.dir });
