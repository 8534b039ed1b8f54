import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { generate } from 'otplib';
import { createTestEnvironment, login, type TestEnvironment } from './harness/supergraph.ts';

// Every line every service writes during this run goes to one file, at debug level.
const dir = mkdtempSync(join(tmpdir(), 'palisade-logs-'));
process.env.LOG_FILE = join(dir, 'run.log');
process.env.LOG_LEVEL = 'debug';
let env: TestEnvironment;
const secrets: string[] = [];
let tracedRequest = '';
beforeAll(async () => {
  env = await createTestEnvironment();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('logs of a full run', () => {
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

  it('contain none of the secrets that passed through', () => {
    const text = readFileSync(process.env.LOG_FILE!, 'utf8');
    expect(text.length).toBeGreaterThan(1000);
    expect(text).toContain('[redacted]'); // the secrets were there to be hidden, and were
    expect(secrets.filter((s) => text.includes(s))).toEqual([]);
  });

  it('carry service, request, trace and user ids, with one trace id across router and subgraph', () => {
    const lines = readFileSync(process.env.LOG_FILE!, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
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
