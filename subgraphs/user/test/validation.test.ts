import { describe, expect, it } from 'vitest';
import { normalizeEmail, validateDisplayName, validateNewPassword } from '../services/validation.ts';

describe('account input', () => {
  it('normalises emails so uniqueness is case-insensitive', () => {
    expect(normalizeEmail('  Ada.Lovelace@Example.COM ')).toBe('ada.lovelace@example.com');
    for (const bad of ['ada', 'ada@', '@example.com', 'a b@example.com', `${'x'.repeat(250)}@example.com`]) expect(() => normalizeEmail(bad), bad).toThrow(/email/);
  });

  it('wants 12 to 128 characters and not the email name', () => {
    expect(() => validateNewPassword('short-pw-1', 'ada@example.com')).toThrow(/12 to 128/);
    expect(() => validateNewPassword('x'.repeat(129), 'ada@example.com')).toThrow(/12 to 128/);
    expect(() => validateNewPassword('my-ADA-password-1', 'ada@example.com')).toThrow(/email name/);
    expect(() => validateNewPassword('a-perfectly-fine-passphrase', 'ada@example.com')).not.toThrow();
  });

  it('trims display names and refuses control characters', () => {
    expect(validateDisplayName('  Ada  ')).toBe('Ada');
    expect(() => validateDisplayName('   ')).toThrow(/displayName/);
    expect(() => validateDisplayName('Ada\u0000')).toThrow(/control/);
  });
});
