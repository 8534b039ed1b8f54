import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ConfigError, loadConfig, rowsOf, SETTINGS, type Setting } from '../src/config/index.ts';

// Every setting marked secret, whatever text it holds (valid or not, any shape): a refusal never repeats it.
const secrets = rowsOf(SETTINGS)
  .flatMap((r) => (r.kind === 'family' ? Object.values(r.members) : [r]))
  .filter((s): s is Setting<unknown> => s.kind === 'setting' && s.secret);

// Shapes each parser looks into (URLs, id:key lists, JSON), so that its own message is reached.
const SHAPES = ['postgres://app:SEKRET@db/shop', 'mysql://root:SEKRET@db', 'SEKRET:c2hvcnQ=', 'id:SEKRET!', 'SEKRET', '{"kty":"SEKRET"}', '{"d":1,"x":"SEKRET"}', '["SEKRET"]'];
const value = fc.oneof(fc.string({ minLength: 1, maxLength: 40 }), fc.webUrl().map((u) => u.replace('://', '://u:SEKRET@')), fc.constantFrom(...SHAPES));

function expectNotRepeated(s: Setting<unknown>, raw: string) {
  const marked = `${raw}SEKRET`;
  try {
    loadConfig({ [s.env]: marked, NODE_ENV: 'test' });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    expect(err.message, `${s.env}=${marked}`).not.toContain('SEKRET');
  }
}

describe('secret settings', () => {
  it('are never repeated in a configuration error, for every secret variable and generated values', () => {
    expect(secrets.length).toBeGreaterThan(5);
    for (const s of secrets) for (const shape of SHAPES) expectNotRepeated(s, shape);
    fc.assert(fc.property(fc.constantFrom(...secrets), value, expectNotRepeated), { numRuns: 300 });
  });
});
