import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { childEnvironment } from '@palisade/kit';
import { testConfig } from '@palisade/kit/testing/index';
import { startSupergraph, type RunningSupergraph } from '../src/supergraph.ts';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
const ADMIN = { ADMIN_EMAIL: 'cli-admin@palisade.test', ADMIN_PASSWORD: 'console-operator-password-123' };
let sg: RunningSupergraph;
beforeAll(async () => {
  sg = await startSupergraph({ config: testConfig({ user: { admin: { email: ADMIN.ADMIN_EMAIL, password: ADMIN.ADMIN_PASSWORD } } }), ports: { router: 0, user: 0, product: 0, order: 0, security: 0 }, dataDir: null });
});
afterAll(async () => sg?.stop());

const cli = (...args: string[]) =>
  run(process.execPath, ['--import', 'tsx', 'ops/src/cli.ts', ...args], { cwd: root, env: childEnvironment({ ...ADMIN, ROUTER_URL: sg.url.replace(/\/graphql$/, '') }) }).then(
    (r) => ({ code: 0, out: r.stdout + r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
  );

describe('palisade CLI against a running supergraph', () => {
  it('reports status, creates users with roles, changes roles and verifies the audit trail', async () => {
    expect(await cli('status')).toMatchObject({ code: 0 });
    const email = `ops-${randomBytes(3).toString('hex')}@example.com`;
    const created = await cli('user', 'create', '--email', email, '--password', `pw-${randomBytes(8).toString('hex')}`, '--roles', 'MANAGER');
    expect(created.code).toBe(0);
    const id = /created user ([0-9a-f-]{36})/.exec(created.out)![1]!;
    expect(created.out).toContain('with roles MANAGER');
    const changed = await cli('user', 'roles', '--id', id, '--roles', 'auditor');
    expect(changed.out).toMatch(/roles now (CUSTOMER, AUDITOR|AUDITOR, CUSTOMER)/);
    const verify = await cli('audit', 'verify');
    expect(verify).toMatchObject({ code: 0 });
    expect(verify.out).toMatch(/audit trail intact: \d+ records checked/);
  }, 60_000);

  it('says no clearly', async () => {
    const bad = await cli('user', 'create', '--email', 'x@example.com');
    expect(bad.code).toBe(1);
    expect(bad.out).toContain('needs --email and --password');
    expect((await cli('nonsense')).code).toBe(1);
  }, 30_000);
});
