import { assertPasswordPolicy, badInput, type PasswordOwner } from '@palisade/auth';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function normalizeEmail(raw: string): string {
  const email = raw.trim().toLowerCase();
  if (email.length > 254 || !EMAIL.test(email)) throw badInput('email is not a valid address', 'email');
  return email;
}

/** The password policy (auth/password-policy.ts) for a new password of this account; BAD_USER_INPUT at `field`. */
export function validateNewPassword(password: string, owner: PasswordOwner, field = 'password'): Promise<void> {
  return assertPasswordPolicy(password, owner, field);
}

export function validateDisplayName(raw: string): string {
  const name = raw.trim();
  if (name.length < 1 || name.length > 80) throw badInput('displayName must be 1 to 80 characters', 'displayName');
  if (/[\u0000-\u001f\u007f]/.test(name)) throw badInput('displayName has control characters', 'displayName');
  return name;
}
