import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const LIST = fileURLToPath(new URL('../data/common-passwords.txt', import.meta.url));
let common: Set<string> | null = null;

/** True for a password on the shipped list of the most common ones (compared case-insensitively). */
export function isCommonPassword(password: string): boolean {
  common ??= new Set(readFileSync(LIST, 'utf8').split('\n').filter(Boolean));
  return common.has(password.toLowerCase());
}

export const COMMON_PASSWORD_COUNT = () => {
  isCommonPassword('');
  return common!.size;
};
