import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { buildSchema, graphql } from 'graphql';
import { DrizzleQueryError } from 'drizzle-orm/errors';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../src/logger.ts';
import { describeStatement } from '../src/log-safe.ts';
import { maskError, withoutValues } from '../src/errors.ts';
import { testConfig, testSettings } from '../src/testing/config.ts';

const seed = testSettings().propertySeed;
const QUERY = 'insert into "users"."users" ("email", "password_hash") values ($1, $2) returning "id"';
// Values worth finding: long enough not to occur in the statement or the fixed words by chance.
const value = fc.string({ minLength: 6, maxLength: 40, unit: fc.constantFrom('a', 'b', 'x', '@', '.', '$', '"', ' ', '\n', 'é', '9') }).filter((v) => v.trim().length >= 6 && !QUERY.includes(v));

/** A Postgres error as postgres.js raises it: values in the detail and the message, statement non-enumerable. */
function postgresError(message: string, detail: string, params: string[]) {
  const err = Object.assign(new Error(message), { name: 'PostgresError', code: '23505', severity: 'ERROR', detail, constraint_name: 'users_email_key', table_name: 'users', schema_name: 'users' });
  Object.defineProperties(err, { query: { value: QUERY, enumerable: false }, parameters: { value: params, enumerable: false } });
  return err;
}

describe('database errors in logs', () => {
  it('name the statement, the SQLSTATE and the constraint, never the statement text, a parameter, a detail or a stack', () => {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-log-safe-'));
    const file = join(dir, 'log.jsonl');
    try {
      const log = createLogger('test', testConfig({ log: { file, level: 'debug' } }).log);
      fc.assert(
        fc.property(value, value, fc.constantFrom('duplicate', 'uuid', 'range'), (email, hash, kind) => {
          const message = kind === 'duplicate' ? 'duplicate key value violates unique constraint "users_email_key"' : kind === 'uuid' ? `invalid input syntax for type uuid: ${JSON.stringify(email)}` : `value "${email}" is out of range for type integer`;
          const cause = postgresError(message, `Key (email)=(${email}) already exists.`, [email, hash]);
          const err = new DrizzleQueryError(QUERY, [email, hash], cause);
          const start = readFileSync(file, { flag: 'a+' }).length;
          // Every way the code base hands an error to a logger.
          log.error({ err, requestId: 'r-1' }, 'operation error');
          log.error(err);
          log.warn({ err: err.message }, 'could not record audit event');
          log.error({ err: cause }, 'query failed');
          // Bytes, not characters: the values written before may hold multi-byte characters.
          const written = readFileSync(file).subarray(start).toString('utf8');
          for (const secret of [email, hash, JSON.stringify(email).slice(1, -1), JSON.stringify(hash).slice(1, -1)]) expect(written).not.toContain(secret);
          // Named by kind, table and fingerprint; the text itself (and so any SQL an error carries) stays out.
          expect(written).toContain('"kind":"insert","table":"users.users"');
          expect(written).toContain(describeStatement(QUERY).fingerprint);
          expect(written).toContain('statement ' + describeStatement(QUERY).fingerprint);
          expect(written).not.toMatch(/insert into|password_hash|returning/i);
          expect(written).not.toMatch(/\\n\s+at /);
          expect(written).toMatch(/"origin":"kit\/test\/log-safe\.test\.ts:\d+:\d+"/);
          expect(written).toContain('23505');
          expect(written).toContain('users_email_key');
        }),
        { seed, numRuns: 200 },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('input errors in answers', () => {
  it('name the variable and the path, never the value that was sent', async () => {
    const schema = buildSchema('enum Role { A B } input Line { qty: Int! note: String } input In { email: String! role: Role lines: [Line!] } type Query { f(i: In, s: String, n: Int, r: [Role!]): Int }');
    const probe = fc.string({ minLength: 6, maxLength: 30, unit: fc.constantFrom('s', 'e', 'l', 'c', 't', ' ', '*', ';', '"', '\\', "'", '(', ')', '-', 'x') }).filter((v) => v.trim().length >= 6);
    await fc.assert(
      fc.asyncProperty(probe, fc.integer({ min: 0, max: 6 }), async (v, where) => {
        const cases: [string, Record<string, unknown>][] = [
          ['query($i: In) { f(i: $i) }', { i: { email: 'a', lines: [{ qty: v }] } }],
          ['query($i: In) { f(i: $i) }', { i: { email: 'a', role: v } }],
          ['query($i: In) { f(i: $i) }', { i: v }],
          ['query($s: String) { f(s: $s) }', { s: { k: v } }],
          ['query($n: Int) { f(n: $n) }', { n: v }],
          ['query($r: [Role!]) { f(r: $r) }', { r: ['A', v] }],
          // An unknown key is printed as it came, quotes and semicolons included.
          ['query($i: In) { f(i: $i) }', { i: { email: 'a', role: v, [v]: v } }],
        ];
        const [source, variableValues] = cases[where]!;
        const r = await graphql({ schema, source, variableValues });
        expect(r.errors?.length).toBeGreaterThan(0);
        for (const e of r.errors!) {
          const masked = maskError({ message: e.message, extensions: { code: 'BAD_USER_INPUT' } }, { hideSuggestions: true });
          expect(masked.message).not.toContain(v);
          expect(masked.message).toBe(withoutValues(e.message));
          expect(masked.extensions?.code).toBe('BAD_USER_INPUT');
          expect(typeof masked.extensions?.field).toBe('string');
        }
      }),
      { seed, numRuns: 300 },
    );
  });
});
