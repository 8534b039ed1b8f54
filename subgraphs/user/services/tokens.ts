import { createHash, randomBytes } from 'node:crypto';

/** An opaque secret for the client and the hash we keep; the secret itself is never stored. */
export function newSecret(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashSecret(token) };
}

export const hashSecret = (token: string) => createHash('sha256').update(token).digest('base64url');
