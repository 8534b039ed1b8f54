import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { childEnvironment, type StartedSubgraph } from '@palisade/kit';
import { createTestDatabase, signedSubgraphRequest, testCaller, testConfig, testServers, waitFor } from '@palisade/kit/testing/index';
import { startSecuritySubgraph } from '@palisade/security';
import { startOrderSubgraph } from '@palisade/order';
import { startSupergraph, type RunningSupergraph } from '../src/supergraph.ts';

/*
 * A backup taken from a running system and restored into another database is the system: the security
 * subgraph starts on it, answers ready, and its audit chain (with the order's events, relayed from the order
 * subgraph) verifies; the order subgraph finds its order.
 */
const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
const ADMIN = { email: 'keeper@palisade.test', password: 'restore-drill-password-123' };
const { databaseUrl: server } = testServers();
const dir = mkdtempSync(join(tmpdir(), 'palisade-backup-'));
const archive = join(dir, 'palisade.dump');
const databases: { url: string; drop(): Promise<void> }[] = [];
const running: { stop(): Promise<void> }[] = [];
afterAll(async () => {
  for (const s of running.reverse()) await s.stop().catch(() => {});
  for (const d of databases) await d.drop();
  rmSync(dir, { recursive: true, force: true });
});

const freshDatabase = async () => {
  const d = await createTestDatabase(server!);
  databases.push(d);
  return d.url;
};
const cli = (env: Record<string, string | undefined>, ...args: string[]) =>
  run(process.execPath, ['--import', 'tsx', 'ops/src/cli.ts', ...args], { cwd: root, env: childEnvironment(env) }).then(
    (r) => ({ code: 0, out: r.stdout + r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
  );

async function gql<T>(url: string, query: string, variables: Record<string, unknown> = {}, token?: string): Promise<T> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify({ query, variables }) });
  const body = (await res.json()) as { data?: T; errors?: unknown[] };
  expect(body.errors).toBeUndefined();
  return body.data!;
}

const auditor = testCaller({ userId: '00000000-0000-4000-8000-000000000001', roles: ['AUDITOR'] });
const manager = testCaller({ userId: '00000000-0000-4000-8000-000000000002', roles: ['MANAGER'] });
const TRAIL = '{ verifyAuditTrail { valid checked } placed: auditEvents(filter: { action: "order.placed" }) { totalCount } }';
type Trail = { verifyAuditTrail: { valid: boolean; checked: number }; placed: { totalCount: number } };

describe.skipIf(!server)('db backup and restore on real Postgres', () => {
  let source = '';
  let orderId = '';
  let before: Trail;
  let sg: RunningSupergraph;
  beforeAll(async () => {
    source = await freshDatabase();
    sg = await startSupergraph({ config: testConfig({ user: { admin: ADMIN } }), ports: { router: 0, user: 0, product: 0, order: 0, security: 0 }, databaseUrl: source, dataDir: null });
    running.push(sg);
    const admin = (await gql<{ login: { accessToken: string } }>(sg.url, 'mutation($i: LoginInput!) { login(input: $i) { accessToken } }', { i: ADMIN })).login.accessToken;
    const productId = (await gql<{ createProduct: { id: string } }>(sg.url, 'mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }', { i: { sku: `B-${randomBytes(4).toString('hex')}`, name: 'Kept', description: 'x', price: '3.00', currency: 'USD', initialStock: 5 } }, admin)).createProduct.id;
    const customer = (await gql<{ register: { accessToken: string } }>(sg.url, 'mutation($i: RegisterInput!) { register(input: $i) { accessToken } }', { i: { email: `backup-${randomBytes(4).toString('hex')}@example.com`, password: `pw-${randomBytes(8).toString('hex')}`, displayName: 'Backed' } })).register.accessToken;
    const placeOrder = 'mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id } }';
    orderId = (await gql<{ placeOrder: { id: string } }>(sg.url, placeOrder, { i: { items: [{ productId, quantity: 2 }], shippingAddress: { line1: '1 Vault St', city: 'Safe', postalCode: '1', country: 'US' } } }, customer)).placeOrder.id;
    // The order's event travels through the order subgraph's outbox to the security subgraph's chain.
    const trail = async () => (await signedSubgraphRequest(sg.subgraphs.security.url, 'security', auditor, TRAIL)).body.data as Trail;
    await waitFor(async () => (await trail()).placed.totalCount === 1, 'order.placed on the audit chain');
    before = await trail();
    expect(before.verifyAuditTrail.valid).toBe(true);
  }, 60_000);

  it('backs up the running system and restores it into another database, where the services start and the chain verifies', async () => {
    const backup = await cli({ DATABASE_URL: source }, 'db', 'backup', archive);
    expect(backup.out).toContain('backed up schemas users, products, orders, security');
    expect(backup.code).toBe(0);

    const target = await freshDatabase();
    const restore = await cli({ DATABASE_URL: target }, 'db', 'restore', archive);
    expect(restore).toMatchObject({ code: 0 });

    const security: StartedSubgraph = await startSecuritySubgraph({ config: testConfig(), port: 0, databaseUrl: target, pgliteDir: null });
    running.push(security);
    const ready = await fetch(security.url.replace(/\/graphql$/, '/health/ready'));
    expect(ready.status).toBe(200);
    const after = (await signedSubgraphRequest(security.url, 'security', auditor, TRAIL)).body.data as Trail;
    expect(after.verifyAuditTrail.valid).toBe(true);
    expect(after.placed.totalCount).toBe(1);
    // Everything the chain held at the backup, and at most the checkpoint the restarted service signs.
    expect(after.verifyAuditTrail.checked).toBeGreaterThanOrEqual(before.verifyAuditTrail.checked);

    const order: StartedSubgraph = await startOrderSubgraph({ config: testConfig(), port: 0, databaseUrl: target, pgliteDir: null, peers: { product: 'http://127.0.0.1:9', security: security.url } });
    running.push(order);
    const found = await signedSubgraphRequest(order.url, 'order', manager, 'query($id: ID!) { order(id: $id) { id status total { amount } } }', { id: orderId });
    expect(found.body.data?.order).toEqual({ id: orderId, status: 'PENDING', total: { amount: '6.00' } });
  }, 60_000);

  it('refuses to restore over existing schemas unless told --clean, and then replaces them', async () => {
    const target = await freshDatabase();
    expect(await cli({ DATABASE_URL: target }, 'db', 'restore', archive)).toMatchObject({ code: 0 });
    const again = await cli({ DATABASE_URL: target }, 'db', 'restore', archive);
    expect(again.code).toBe(1);
    expect(again.out).toContain('already has schemas orders, products, security, users');
    expect(again.out).toContain('--clean');
    expect(await cli({ DATABASE_URL: target }, 'db', 'restore', archive, '--clean')).toMatchObject({ code: 0 });
  }, 60_000);
});

describe('db backup refuses clearly', () => {
  it('without DATABASE_URL (embedded PGlite: copy the data directory instead) and without a file', async () => {
    const embedded = await cli({ DATABASE_URL: undefined, PALISADE_DATA_DIR: dir }, 'db', 'backup', archive);
    expect(embedded.code).toBe(1);
    expect(embedded.out).toContain('DATABASE_URL is not set');
    expect(embedded.out).toContain(join(dir, 'pglite'));
    expect((await cli({}, 'db', 'restore')).out).toContain('needs a FILE');
    expect((await cli({ DATABASE_URL: 'postgres://nobody@127.0.0.1:9/none' }, 'db', 'restore', join(dir, 'missing.dump'))).out).toContain('no such backup file');
  }, 30_000);
});
