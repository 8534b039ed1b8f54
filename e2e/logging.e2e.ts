import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { generate } from 'otplib';
import { sql } from 'drizzle-orm';
import { testSettings } from '@palisade/kit/testing/index';
import { createTestEnvironment, login, type TestEnvironment } from './harness/supergraph.ts';

// Every line every service writes during this run goes to one file, at debug level.
const dir = mkdtempSync(join(tmpdir(), 'palisade-logs-'));
const LOG_FILE = join(dir, 'run.log');
let env: TestEnvironment;
const secrets: string[] = [];
/** Values sent in requests that failed: they must not reach a log line either. */
const failureValues: string[] = [];
const errorOnlyValues: string[] = [];
let tracedRequest = '';
beforeAll(async () => {
  env = await createTestEnvironment({ config: { log: { file: LOG_FILE, level: 'debug' } } });
});
afterAll(() => (testSettings().keepLogs ? undefined : rmSync(dir, { recursive: true, force: true })));

describe('logs of a full run', () => {
  it('exercise failures: a taken email, database errors that carry values, rejected tokens', async () => {
    const hex = () => randomBytes(6).toString('hex');
    const first = await env.asCustomer('Taken');
    const taken = { email: first.email, password: `dup-${hex()}-Pw`, displayName: `Dup ${hex()}` };
    failureValues.push(taken.password, taken.displayName);
    const conflict = await env.asAnonymous().request('mutation($i: RegisterInput!) { register(input: $i) { accessToken } }', { i: taken });
    expect(conflict.errors?.[0]?.extensions?.code).toBe('CONFLICT');

    // Faults the schema does not have, put in for this run: each makes an insert fail inside Postgres with
    // the caller's values in its parameters, its detail or its message.
    const users = env.supergraph.subgraphs.user.database.db;
    const faultyName = `Fault ${hex()}`;
    await users.execute(sql.raw(`alter table users.users add constraint logging_fault check (display_name <> '${faultyName}')`));
    await users.execute(sql.raw('create unique index logging_fault_ua on users.sessions (user_agent)'));
    try {
      const doomed = { email: `doomed-${hex()}@example.com`, password: `Zq!${hex()}#${hex()}`, displayName: faultyName };
      failureValues.push(doomed.email, doomed.password, doomed.displayName);
      const failedInsert = await env.asAnonymous().request('mutation($i: RegisterInput!) { register(input: $i) { accessToken } }', { i: doomed });
      expect(failedInsert.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR'); // new row violates check constraint
      // A user agent is logged with the request at debug level by design; what matters is the error's detail.
      const agent = `agent-${hex()}`;
      errorOnlyValues.push(agent);
      const signIn = () => env.asAnonymous().request('mutation($i: LoginInput!) { login(input: $i) { accessToken } }', { i: { email: first.email, password: first.password } }, { 'user-agent': agent });
      expect((await signIn()).errors).toBeUndefined();
      expect((await signIn()).errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR'); // Key (user_agent)=(…) already exists
    } finally {
      await users.execute(sql.raw('drop index if exists users.logging_fault_ua'));
      await users.execute(sql.raw('alter table users.users drop constraint if exists logging_fault'));
    }

    const forged = `${hex()}.${hex()}.${hex()}`;
    const refresh = `refresh-${hex()}`;
    failureValues.push(forged, refresh);
    expect((await env.asAnonymous().withToken(forged).request('{ me { id } }')).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await env.asAnonymous().request('mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken } }', { t: refresh })).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('exercise sign-up, sign-in, refresh, TOTP, password change and reset', async () => {
    const c = await env.asCustomer('Logged');
    secrets.push(c.password, c.token!);
    const s = await login(env.asAnonymous(), c.email, c.password);
    secrets.push(s.accessToken, s.refreshToken);
    const r = await env.asAnonymous().ok<{ refreshSession: { refreshToken: string; accessToken: string } }>('mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken refreshToken } }', { t: s.refreshToken });
    secrets.push(r.refreshSession.refreshToken, r.refreshSession.accessToken);
    const enrol = await c.ok<{ enrollTotp: { secret: string } }>('mutation { enrollTotp { secret } }');
    const code = await generate({ secret: enrol.enrollTotp.secret });
    secrets.push(enrol.enrollTotp.secret);
    await c.ok('mutation($c: String!) { confirmTotp(code: $c) }', { c: code });
    const wrong = `wrong-${randomBytes(6).toString('hex')}`;
    secrets.push(wrong);
    await env.asAnonymous().request('mutation($i: LoginInput!) { login(input: $i) { accessToken } }', { i: { email: c.email, password: wrong, totpCode: '123456' } });
    const next = `next-${randomBytes(6).toString('hex')}`;
    secrets.push(next);
    await c.ok('mutation($i: ChangePasswordInput!) { changePassword(input: $i) }', { i: { currentPassword: c.password, newPassword: next } });
    await env.asAnonymous().ok('mutation($e: String!) { requestPasswordReset(email: $e) }', { e: c.email });
    const token = /token=([A-Za-z0-9_-]+)/.exec((await (env.supergraph.subgraphs.user.mailer as unknown as { mailTo(t: string, s: string): Promise<{ text: string }> }).mailTo(c.email, 'Reset your password')).text)![1]!;
    const reset = `reset-${randomBytes(6).toString('hex')}`;
    secrets.push(token, reset);
    await env.asAnonymous().ok('mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) }', { t: token, p: reset });
    const cookie = `session=${randomBytes(12).toString('hex')}`;
    secrets.push(cookie.split('=')[1]!);
    const traced = await env.asAnonymous().request('{ products(first: 1) { edges { node { name } } } }', undefined, { cookie });
    tracedRequest = traced.headers.get('x-request-id')!;
    await env.stop();
  });

  it('say which statement failed and why, without its text, the values it carried or a stack', () => {
    const text = readFileSync(LOG_FILE, 'utf8');
    const problems = text.split('\n').filter((l) => /"level":(40|50|60)/.test(l)).join('\n');
    expect(failureValues.filter((v) => text.includes(v))).toEqual([]);
    expect(errorOnlyValues.filter((v) => problems.includes(v))).toEqual([]);
    expect(text).not.toContain('$argon2'); // the password hash a failed insert carried
    // The failures were logged (this cannot pass by logging nothing): which statement, SQLSTATE, constraint...
    expect(problems).toContain('"kind":"insert","table":"users.users"');
    // ...and no statement text or stack, in any line.
    expect(text).not.toMatch(/insert into \\"|values \(\$1|\\n\s+at /i);
    expect(problems).toContain('23514'); // check_violation
    expect(problems).toContain('23505'); // unique_violation
    expect(problems).toContain('logging_fault');
  });

  it('contain none of the secrets that passed through', () => {
    const text = readFileSync(LOG_FILE, 'utf8');
    expect(text.length).toBeGreaterThan(1000);
    expect(text).toContain('[redacted]'); // the secrets were there to be hidden, and were
    expect(secrets.filter((s) => text.includes(s))).toEqual([]);
  });

  it('carry service, request, trace and user ids, with one trace id across router and subgraph', () => {
    const lines = readFileSync(LOG_FILE, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const ops = lines.filter((l) => l.msg === 'operation' && l.requestId === tracedRequest);
    const services = new Set(ops.map((l) => l.service));
    expect(services.has('router')).toBe(true);
    expect(services.has('product')).toBe(true);
    const traceIds = new Set(ops.map((l) => l.traceId));
    expect(traceIds.size).toBe(1);
    expect([...traceIds][0]).toMatch(/^[0-9a-f]{32}$/);
    const signedIn = lines.find((l) => l.msg === 'operation' && l.service === 'user' && l.userId);
    expect(signedIn?.userId).toMatch(/^[0-9a-f-]{36}$/);
  });
});
