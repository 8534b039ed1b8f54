import { describe, expect, it } from 'vitest';
import { normalizeEmail, validateDisplayName, validateNewPassword } from '../services/validation.ts';

describe('account input', () => {
  it('normalises emails so uniqueness is case-insensitive', () => {
    expect(normalizeEmail('  Ada.Lovelace@Example.COM ')).toBe('ada.lovelace@example.com');
    for (const bad of ['ada', 'ada@', '@example.com', 'a b@example.com', `${'x'.repeat(250)}@example.com`]) expect(() => normalizeEmail(bad), bad).toThrow(/email/);
  });

  it('applies the password policy to the account it is for, at the field named', async () => {
    const owner = { email: 'ada@example.com', displayName: 'Ada Lovelace' };
    await expect(validateNewPassword('short-pw-1', owner)).rejects.toThrow(/12 to 128/);
    await expect(validateNewPassword('x'.repeat(129), owner)).rejects.toThrow(/12 to 128/);
    await expect(validateNewPassword('my-ADA-password-1', owner)).rejects.toThrow(/email address or name/);
    await expect(validateNewPassword('lovelace-on-engines-9', owner)).rejects.toThrow(/email address or name/);
    await expect(validateNewPassword('my-palisade-account-9', owner)).rejects.toThrow(/name of this service/);
    await expect(validateNewPassword('passwordpassword', owner, 'input.newPassword')).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'input.newPassword' } });
    await expect(validateNewPassword('a-perfectly-fine-passphrase', owner)).resolves.toBeUndefined();
  });

  it('trims display names and refuses control characters', () => {
    expect(validateDisplayName('  Ada  ')).toBe('Ada');
    expect(() => validateDisplayName('   ')).toThrow(/displayName/);
    expect(() => validateDisplayName('Ada\u0000')).toThrow(/control/);
  });
});
