import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sql } from 'drizzle-orm';
import { queryRows, type StartedSubgraph } from '@palisade/kit';
import { signedSubgraphRequest, suiteDatabase, testCaller, testConfig } from '@palisade/kit/testing/index';
import { DevOutboxMailer, startUserSubgraph } from '../index.ts';
import { ACCOUNT_FAILURES } from '../services/lockout.service.ts';

// deleteMyAccount against the user subgraph alone (order and security unreachable: their part is left to the
// retry job, which e2e/data-rights.e2e.ts proves); here, what the account's own row must keep true.
let user: StartedSubgraph;
/** The same subgraph on the same database, its peers answering (the stand-in below). */
let peered: StartedSubgraph;
let db: Awaited<ReturnType<typeof suiteDatabase>>;
/**
 * Order and security as the data-rights routes see them: an export answers empty, an erasure is confirmed.
 * Unsigned stand-ins (their own suites prove the signed routes); `onExport` runs before an export is answered.
 */
let peer: Server;
let onExport: (() => Promise<void>) | null = null;

beforeAll(async () => {
  db = await suiteDatabase();
  peer = createServer(async (req, res) => {
    for await (const _ of req);
    if (req.url === '/internal/data-rights/export') {
      const run = onExport;
      onExport = null;
      await run?.();
    }
    const answer = req.url === '/internal/data-rights/export' ? { orders: [], capped: false, cart: { lines: [] }, events: [] } : { erased: true };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
  });
  await new Promise<void>((resolve) => peer.listen(0, '127.0.0.1', () => resolve()));
  const peerUrl = `http://127.0.0.1:${(peer.address() as AddressInfo).port}/graphql`;
  user = await startUserSubgraph({
    config: testConfig(),
    port: 0,
    databaseUrl: db.url,
    pgliteDir: null,
    mailer: new DevOutboxMailer(null, null),
    peers: { security: 'http://127.0.0.1:9', order: 'http://127.0.0.1:9' },
  });
  peered = await startUserSubgraph({
    config: testConfig(),
    port: 0,
    databaseUrl: db.url,
    pgliteDir: null,
    mailer: new DevOutboxMailer(null, null),
    peers: { security: peerUrl, order: peerUrl },
  });
});
afterAll(async () => {
  await peered?.stop();
  await new Promise((resolve) => peer?.close(resolve));
  await user?.stop();
  await db?.drop();
});

const gql = (caller: ReturnType<typeof testCaller>, query: string, variables?: Record<string, unknown>) => signedSubgraphRequest(user.url, 'user', caller, query, variables);
const codes = (r: Awaited<ReturnType<typeof gql>>) => (r.body.errors ?? []).map((e) => e.extensions?.code);

async function admin() {
  const email = `admin-${randomBytes(5).toString('hex')}@example.com`;
  const password = `pw-${randomBytes(10).toString('hex')}`;
  const r = await gql(testCaller(), 'mutation($i: RegisterInput!) { register(input: $i) { user { id } } }', { i: { email, password, displayName: 'Some Admin' } });
  const id = r.body.data!.register.user.id as string;
  await queryRows(user.database.db, sql`update users.users set roles = '{CUSTOMER,ADMIN}' where id = ${id}::uuid`);
  return { id, password, caller: testCaller({ userId: id, roles: ['CUSTOMER', 'ADMIN'] }) };
}
const activeAdmins = async () =>
  (await queryRows<{ n: number }>(user.database.db, sql`select count(*)::int as n from users.users where active and deleted_at is null and 'ADMIN' = any(roles)`))[0]!.n;

/** The ways an administrator can stop being one by their own hand. */
const LEAVE = {
  delete: (a: Awaited<ReturnType<typeof admin>>) => gql(a.caller, 'mutation($i: DeleteMyAccountInput!) { deleteMyAccount(input: $i) }', { i: { password: a.password } }),
  demote: (a: Awaited<ReturnType<typeof admin>>) => gql(a.caller, 'mutation($u: ID!) { setUserRoles(userId: $u, roles: [CUSTOMER]) { id } }', { u: a.id }),
  deactivate: (a: Awaited<ReturnType<typeof admin>>) => gql(a.caller, 'mutation($u: ID!) { setUserActive(userId: $u, active: false) { id } }', { u: a.id }),
};

describe('deleteMyAccount', () => {
  it('never leaves no active administrator, when the last two leave at once in any two ways', async () => {
    const way = fc.constantFrom(...(Object.keys(LEAVE) as (keyof typeof LEAVE)[]));
    await fc.assert(
      fc.asyncProperty(way, way, async (mine, other) => {
        // Two administrators and no other: each would be allowed to leave alone, not both.
        await queryRows(user.database.db, sql`update users.users set active = false where 'ADMIN' = any(roles)`);
        const [a, b] = [await admin(), await admin()];
        const answers = await Promise.all([LEAVE[mine](a), LEAVE[other](b)]);
        expect(await activeAdmins()).toBe(1);
        expect(answers.flatMap(codes)).toEqual(['FORBIDDEN']);
      }),
      { numRuns: 18 },
    );
  });

  it('cannot be blocked by someone registering the placeholder address the account would become', async () => {
    const victim = await admin();
    await queryRows(user.database.db, sql`update users.users set roles = '{CUSTOMER}' where id = ${victim.id}::uuid`);
    const [row] = await queryRows<{ email: string }>(user.database.db, sql`select email from users.users where id = ${victim.id}::uuid`);
    // Every address a squatter could derive from the id, registered first where registration takes it.
    for (const email of [`deleted-${victim.id}@erased.invalid`, `deleted-${victim.id}@erased`, `deleted-${victim.id}@erased.invalid`.toUpperCase()]) {
      const r = await gql(testCaller(), 'mutation($i: RegisterInput!) { register(input: $i) { user { id } } }', { i: { email, password: `pw-${randomBytes(10).toString('hex')}`, displayName: 'Squatter' } });
      expect(codes(r).filter((c) => c !== 'BAD_USER_INPUT' && c !== 'CONFLICT')).toEqual([]);
    }
    const r = await LEAVE.delete(victim);
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data!.deleteMyAccount).toBe(true);
    const [after] = await queryRows<{ email: string; deleted: boolean }>(user.database.db, sql`select email, deleted_at is not null as deleted from users.users where id = ${victim.id}::uuid`);
    expect(after).toMatchObject({ deleted: true });
    expect(after!.email).not.toBe(row!.email);
  });

  it('leaves no record in the outbox holding their address, agent or metadata, delivered yet or not', async () => {
    // Security is unreachable here: the records of the registration and sign-ins are still waiting to be sent.
    const person = await admin();
    await queryRows(user.database.db, sql`update users.users set roles = '{CUSTOMER}' where id = ${person.id}::uuid`);
    const theirs = () =>
      queryRows<{ record: { action: string; ip: string | null; userAgent: string | null; metadata: unknown } }>(
        user.database.db,
        sql`select record from users.audit_outbox where record->>'actorId' = ${person.id} or record->>'resourceId' = ${person.id}`,
      );
    expect((await theirs()).some((r) => r.record.ip !== null)).toBe(true);
    expect((await LEAVE.delete(person)).body.data?.deleteMyAccount).toBe(true);
    const left = await theirs();
    expect(left.length).toBeGreaterThan(0);
    // The deletion's own record is written after, without address or agent; its metadata names subgraphs, not them.
    for (const { record } of left) expect({ ip: record.ip, userAgent: record.userAgent, metadata: record.action === 'user.deleted' ? null : (record.metadata ?? null) }).toEqual({ ip: null, userAgent: null, metadata: null });
  });

  it('lets a stolen token try at most the lockout’s number of passwords, however many it sends at once from however many addresses', async () => {
    const person = await admin();
    await queryRows(user.database.db, sql`update users.users set roles = '{CUSTOMER}' where id = ${person.id}::uuid`);
    // Bursts of 20 wrong passwords, each guess from an address of its own, until the account refuses them all.
    const checked: string[] = [];
    for (let burst = 0; burst < 10; burst++) {
      const guesses = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          gql({ ...person.caller, requestId: randomUUID(), ip: `198.51.${100 + burst}.${i + 1}` }, 'mutation($i: DeleteMyAccountInput!) { deleteMyAccount(input: $i) }', { i: { password: `wrong-${burst}-${i}` } }),
        ),
      );
      const answers = guesses.flatMap(codes);
      expect(answers).toHaveLength(20);
      // FORBIDDEN is a password checked and found wrong; the rest were refused before any check.
      expect(answers.filter((c) => c !== 'FORBIDDEN').every((c) => c === 'ACCOUNT_LOCKED' || c === 'RATE_LIMITED')).toBe(true);
      checked.push(...answers.filter((c) => c === 'FORBIDDEN'));
      if (answers.every((c) => c === 'ACCOUNT_LOCKED')) break;
    }
    expect(checked.length).toBeLessThanOrEqual(ACCOUNT_FAILURES);
    // Locked for strangers, the right password included.
    const right = await gql({ ...person.caller, requestId: randomUUID(), ip: '198.51.120.99' }, 'mutation($i: DeleteMyAccountInput!) { deleteMyAccount(input: $i) }', { i: { password: person.password } });
    expect(codes(right)).toEqual(['ACCOUNT_LOCKED']);
  });

  it('gives no export, and keeps no record of one, once the account was deleted while it was gathered', async () => {
    const person = await admin();
    await queryRows(user.database.db, sql`update users.users set roles = '{CUSTOMER}' where id = ${person.id}::uuid`);
    const as = (c: typeof person.caller, q: string, v?: Record<string, unknown>) => signedSubgraphRequest(peered.url, 'user', c, q, v);
    expect(codes(await as(person.caller, '{ exportMyData }'))).toEqual([]);
    onExport = async () => {
      const r = await as({ ...person.caller, requestId: randomUUID() }, 'mutation($i: DeleteMyAccountInput!) { deleteMyAccount(input: $i) }', { i: { password: person.password } });
      expect(r.body.data?.deleteMyAccount).toBe(true);
    };
    const raced = await as({ ...person.caller, requestId: randomUUID() }, '{ exportMyData }');
    expect(codes(raced)).toEqual(['NOT_FOUND']);
    expect(JSON.stringify(raced.body)).not.toContain('admin-');
    const exported = await queryRows<{ record: { ip: string | null } }>(user.database.db, sql`select record from users.audit_outbox where record->>'action' = 'user.data_exported' and record->>'actorId' = ${person.id}`);
    expect(exported.map((e) => e.record.ip)).toEqual([null]); // the export before the deletion, erased with it
  });

  it('frees the email for a new account, which starts empty and is not the old one', async () => {
    const email = `again-${randomBytes(5).toString('hex')}@example.com`;
    const password = `pw-${randomBytes(10).toString('hex')}`;
    const REGISTER = 'mutation($i: RegisterInput!) { register(input: $i) { user { id email } } }';
    const first = (await gql(testCaller(), REGISTER, { i: { email, password, displayName: 'Twice Born' } })).body.data!.register.user.id as string;
    const old = testCaller({ userId: first });
    expect((await gql(old, 'mutation($i: DeleteMyAccountInput!) { deleteMyAccount(input: $i) }', { i: { password } })).body.data?.deleteMyAccount).toBe(true);
    const again = await gql(testCaller(), REGISTER, { i: { email, password, displayName: 'Twice Born' } });
    expect(again.body.errors).toBeUndefined();
    const second = again.body.data!.register.user.id as string;
    expect(second).not.toBe(first);
    // Nothing of the old account's is the new one's: its sessions are its own, and the old account stays deleted.
    const sessions = await queryRows<{ user_id: string }>(user.database.db, sql`select user_id::text from users.sessions where user_id in (${first}::uuid, ${second}::uuid) and revoked_at is null`);
    expect(sessions.map((r) => r.user_id)).toEqual([second]);
    const [was] = await queryRows<{ email: string; deleted: boolean }>(user.database.db, sql`select email, deleted_at is not null as deleted from users.users where id = ${first}::uuid`);
    expect(was).toMatchObject({ deleted: true });
    expect(was!.email).not.toBe(email);
  });

  it('lets no request already under way put their name back on the deleted account', async () => {
    // The router refuses their token from the deletion on; a request it let through before still arrives here.
    const person = await admin();
    await queryRows(user.database.db, sql`update users.users set roles = '{CUSTOMER}' where id = ${person.id}::uuid`);
    expect((await LEAVE.delete(person)).body.data?.deleteMyAccount).toBe(true);
    const r = await gql({ ...person.caller, requestId: randomUUID() }, 'mutation($i: UpdateProfileInput!) { updateProfile(input: $i) { id } }', { i: { displayName: 'Back Again' } });
    expect(codes(r)).toEqual(['NOT_FOUND']);
    const [row] = await queryRows<{ display_name: string }>(user.database.db, sql`select display_name from users.users where id = ${person.id}::uuid`);
    expect(row!.display_name).toBe('Deleted user');
  });
});
