import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDataKey, generateDataKey, parseDataKeys, SecretBox, SecretBoxError } from '../src/secret-box.ts';

const oldKey = generateDataKey('2025-01');
const newKey = generateDataKey('2026-11');
const ctx = 'users.totp:3f1c2a10-0000-4000-8000-000000000001';

describe('secret box (AES-256-GCM, key ids for rotation)', () => {
  it('seals to a value that carries no plaintext and opens only in its own context', () => {
    const box = new SecretBox([oldKey]);
    const sealed = box.seal('JBSWY3DPEHPK3PXP', ctx);
    expect(sealed).toMatch(/^enc:v1:2025-01:/);
    expect(sealed).not.toContain('JBSWY3DPEHPK3PXP');
    expect(box.seal('JBSWY3DPEHPK3PXP', ctx)).not.toBe(sealed); // a fresh IV each time
    expect(box.open(sealed, ctx)).toBe('JBSWY3DPEHPK3PXP');
    expect(() => box.open(sealed, 'users.totp:another-user')).toThrow(SecretBoxError);
  });

  it('fails closed on any change to a sealed value', () => {
    const box = new SecretBox([oldKey]);
    const sealed = box.seal('JBSWY3DPEHPK3PXP', ctx);
    const alphabet = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_:=+/ '];
    fc.assert(
      fc.property(fc.nat({ max: sealed.length - 1 }), fc.constantFrom(...alphabet), fc.constantFrom('replace', 'insert', 'delete'), (at, ch, how) => {
        const changed = how === 'replace' ? sealed.slice(0, at) + ch + sealed.slice(at + 1) : how === 'insert' ? sealed.slice(0, at) + ch + sealed.slice(at) : sealed.slice(0, at) + sealed.slice(at + 1);
        fc.pre(changed !== sealed);
        expect(() => box.open(changed, ctx)).toThrow(SecretBoxError);
      }),
      { numRuns: 1000 },
    );
  });

  it('rotates: the newest key seals, older ids still open, unknown ids fail closed', () => {
    const before = new SecretBox([oldKey]).seal('old secret', ctx);
    const rotated = new SecretBox([newKey, oldKey]);
    expect(rotated.open(before, ctx)).toBe('old secret');
    expect(rotated.needsReseal(before)).toBe(true);
    const after = rotated.seal('new secret', ctx);
    expect(SecretBox.keyIdOf(after)).toBe('2026-11');
    expect(rotated.needsReseal(after)).toBe(false);
    expect(rotated.needsReseal('JBSWY3DPEHPK3PXP')).toBe(true); // plaintext from before encryption
    expect(() => new SecretBox([newKey]).open(before, ctx)).toThrow(/not configured/);
  });

  it('reads keys from configuration, newest first, and refuses malformed ones without echoing them', () => {
    const keys = parseDataKeys(`${formatDataKey(newKey)}, ${formatDataKey(oldKey)}`);
    expect(keys.map((k) => k.id)).toEqual(['2026-11', '2025-01']);
    expect(keys[0]!.key.equals(newKey.key)).toBe(true);
    expect(parseDataKeys(`k1:${newKey.key.toString('base64url')}`)[0]!.key.equals(newKey.key)).toBe(true);
    const short = 'k1:' + Buffer.alloc(16, 7).toString('base64');
    expect(() => new SecretBox(parseDataKeys(short))).toThrow(/32 bytes/);
    expect(() => parseDataKeys('')).toThrow(/no keys/);
    expect(() => parseDataKeys('no-colon-here')).toThrow(/id:base64key/);
    const bad = 'k1:not base64 at all!';
    expect(() => parseDataKeys(bad)).toThrow(/not base64/);
    try {
      parseDataKeys(bad);
    } catch (e) {
      expect((e as Error).message).not.toContain('not base64 at all');
    }
    expect(() => new SecretBox([newKey, { ...oldKey, id: newKey.id }])).toThrow(/twice/);
  });
});
