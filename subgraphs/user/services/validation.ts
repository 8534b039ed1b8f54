import { badInput, isCommonPassword } from '@palisade/auth';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function normalizeEmail(raw: string): string {
  const email = raw.trim().toLowerCase();
  if (email.length > 254 || !EMAIL.test(email)) throw badInput('email is not a valid address', 'email');
  return email;
}

export function validateNewPassword(password: string, email: string): void {
  if (password.length < 12 || password.length > 128) throw badInput('password must be 12 to 128 characters', 'password');
  const local = email.split('@')[0] ?? '';
  if (local.length >= 3 && password.toLowerCase().includes(local)) throw badInput('password must not contain your email name', 'password');
  if (isCommonPassword(password)) throw badInput('password is too common; choose another', 'password');
}

export function validateDisplayName(raw: string): string {
  const name = raw.trim();
  if (name.length < 1 || name.length > 80) throw badInput('displayName must be 1 to 80 characters', 'displayName');
  if (/[\u0000-\u001f\u007f]/.test(name)) throw badInput('displayName has control characters', 'displayName');
  return name;
}
