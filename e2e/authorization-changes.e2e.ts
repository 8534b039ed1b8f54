import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { generate } from 'otplib';
import { startRouter, type RunningRouter } from '@palisade/router';
import { RedisStore, SUBGRAPH_NAMES, type Store, type SubgraphName } from '@palisade/kit';
import { testServers, waitFor } from '@palisade/kit/testing/index';
import { createTestEnvironment, login, type TestEnvironment } from './harness/supergraph.ts';
import { codesOf, GraphQLClient } from './harness/client.ts';

/**
 * Every change to how a user is authorized (roles, activity, password, second factor) is decided at the
 * very next request made with a token issued before it, on this router and on a second replica sharing
 * the same Redis — both of which had already verified (and cached) that token.
 */
let env: TestEnvironment;
let replica: RunningRouter | null = null;
let replicaStore: Store | null = null;
beforeAll(async () => {
  env = await createTestEnvironment();
  const shared = env.supergraph.store;
  const { redisUrl } = testServers();
  if (shared instanceof RedisStore && redisUrl) {
    // As a second router process would have: its own token cache and connection, the same Redis.
    replicaStore = RedisStore.connect(redisUrl, shared.prefix);
    const subgraphs = Object.fromEntries(SUBGRAPH_NAMES.map((n) => [n, env.supergraph.subgraphs[n].url])) as Record<SubgraphName, string>;
    replica = await startRouter({ config: env.config, host: '127.0.0.1', port: 0, subgraphs, store: replicaStore });
  } else {
    console.warn('[palisade] authorization changes across replicas need Redis: checked on one router only');
  }
});
afterAll(async () => {
  await replica?.stop();
  await replicaStore?.close();
  await env?.stop();
});

const ME = '{ me { id roles } }';
const USERS = '{ users(first: 1) { totalCount } }';
const SET_ROLES = 'mutation($id: ID!, $r: [Role!]!) { setUserRoles(userId: $id, roles: $r) { roles } }';
const SET_ACTIVE = 'mutation($id: ID!, $a: Boolean!) { setUserActive(userId: $id, active: $a) { active } }';
const CHANGE_PASSWORD = 'mutation($i: ChangePasswordInput!) { changePassword(input: $i) }';
const LOGIN = 'mutation($i: LoginInput!) { login(input: $i) { accessToken user { id } } }';

/** The same token on every router: the bootstrap one and, with Redis, the replica. */
const routers = (token: string) => [env.asAnonymous().withToken(token), ...(replica ? [new GraphQLClient(replica.url, token)] : [])];
const totpAt = (secret: string, offsetSteps: number) => generate({ secret, epoch: Math.floor(Date.now() / 1000) + offsetSteps * 30 });

interface Subject {
  userId: string;
  email: string;
  password: string;
  /** The session that makes a self-service change (kept, as the contract says for changePassword). */
  acting: string;
  /** Another live session of the same user, issued before the change. */
  other: string;
  totpSecret?: string;
}

async function subject(roles: string[] = ['CUSTOMER']): Promise<Subject> {
  const c = await env.asCustomer('Subject');
  if (roles.some((r) => r !== 'CUSTOMER')) await (await env.asAdmin()).ok(SET_ROLES, { id: c.userId, r: roles });
  const acting = (await login(env.asAnonymous(), c.email, c.password)).accessToken;
  const other = (await login(env.asAnonymous(), c.email, c.password)).accessToken;
  return { userId: c.userId, email: c.email, password: c.password, acting, other };
}

async function withTotp(s: Subject): Promise<Subject> {
  const acting = env.asAnonymous().withToken(s.acting);
  const { enrollTotp } = await acting.ok<{ enrollTotp: { secret: string } }>('mutation { enrollTotp { secret } }');
  // Three distinct codes are spent (the previous step's here, then this step's and the next's), and the previous
  // step's is accepted only until this step ends: start with time to spare, or a loaded machine crosses it.
  await waitFor(async () => 30 - ((Date.now() / 1000) % 30) > 10, 'a TOTP step with more than 10 s left', 15_000);
  await acting.ok('mutation($c: String!) { confirmTotp(code: $c) }', { c: await totpAt(enrollTotp.secret, -1) });
  // confirming ended the other session: sign in again, now with a code
  const other = (await env.asAnonymous().ok<{ login: { accessToken: string } }>(LOGIN, { i: { email: s.email, password: s.password, totpCode: await totpAt(enrollTotp.secret, 0) } })).login.accessToken;
  return { ...s, other, totpSecret: enrollTotp.secret };
}

/** Refused outright, or at least not allowed what the old token claimed. */
const denied = (codes: (string | undefined)[]) => codes.length > 0 && codes.every((c) => c === 'UNAUTHENTICATED' || c === 'FORBIDDEN');

interface Change {
  name: string;
  roles?: string[];
  prepare?: (s: Subject) => Promise<Subject>;
  apply: (s: Subject) => Promise<void>;
  /** Tokens that must be refused at the next request. */
  ended: (s: Subject) => string[];
  /** Tokens that must still work (the session that made a self-service change). */
  kept: (s: Subject) => string[];
  /** The user's roles afterwards, as the database has them. */
  rolesAfter?: string[];
}

// The class: every mutation that changes who a user is or how they prove it.
const changes: Change[] = [
  {
    name: 'setUserRoles demotes an ADMIN to CUSTOMER',
    roles: ['ADMIN'],
    apply: async (s) => void (await (await env.asAdmin()).ok(SET_ROLES, { id: s.userId, r: ['CUSTOMER'] })),
    ended: (s) => [s.acting, s.other],
    kept: () => [],
    rolesAfter: ['CUSTOMER'],
  },
  {
    name: 'setUserRoles promotes a CUSTOMER to MANAGER',
    apply: async (s) => void (await (await env.asAdmin()).ok(SET_ROLES, { id: s.userId, r: ['MANAGER'] })),
    ended: (s) => [s.acting, s.other],
    kept: () => [],
  },
  {
    name: 'setUserRoles takes AUDITOR from an AUDITOR',
    roles: ['AUDITOR'],
    apply: async (s) => void (await (await env.asAdmin()).ok(SET_ROLES, { id: s.userId, r: ['CUSTOMER'] })),
    ended: (s) => [s.acting, s.other],
    kept: () => [],
  },
  {
    name: 'setUserActive(false) deactivates an ADMIN',
    roles: ['ADMIN'],
    apply: async (s) => void (await (await env.asAdmin()).ok(SET_ACTIVE, { id: s.userId, a: false })),
    ended: (s) => [s.acting, s.other],
    kept: () => [],
  },
  {
    name: 'changePassword',
    apply: async (s) => void (await env.asAnonymous().withToken(s.acting).ok(CHANGE_PASSWORD, { i: { currentPassword: s.password, newPassword: `new-${randomBytes(8).toString('hex')}` } })),
    ended: (s) => [s.other],
    kept: (s) => [s.acting],
  },
  {
    name: 'confirmTotp turns the second factor on',
    apply: async (s) => {
      const acting = env.asAnonymous().withToken(s.acting);
      const { enrollTotp } = await acting.ok<{ enrollTotp: { secret: string } }>('mutation { enrollTotp { secret } }');
      await acting.ok('mutation($c: String!) { confirmTotp(code: $c) }', { c: await totpAt(enrollTotp.secret, 0) });
    },
    ended: (s) => [s.other],
    kept: (s) => [s.acting],
  },
  {
    name: 'disableTotp turns the second factor off',
    prepare: withTotp,
    apply: async (s) => void (await env.asAnonymous().withToken(s.acting).ok('mutation($c: String!) { disableTotp(code: $c) }', { c: await totpAt(s.totpSecret!, 1) })),
    ended: (s) => [s.other],
    kept: (s) => [s.acting],
  },
];

describe('authorization changes take effect at the next request', () => {
  it.each(changes)('$name', async (change) => {
    let s = await subject(change.roles);
    if (change.prepare) s = await change.prepare(s);
    // Every router has verified (and cached) every token, and honours it, before the change.
    for (const token of [...change.ended(s), ...change.kept(s)]) for (const r of routers(token)) expect(codesOf(await r.request(ME))).toEqual([]);
    if (change.roles?.includes('ADMIN')) for (const r of routers(s.other)) expect(codesOf(await r.request(USERS))).toEqual([]);

    await change.apply(s);

    for (const token of change.ended(s)) {
      for (const r of routers(token)) {
        expect(codesOf(await r.request(ME))).toEqual(['UNAUTHENTICATED']);
        expect(denied(codesOf(await r.request(USERS)))).toBe(true);
        // a demoted admin cannot give itself its roles back
        expect(denied(codesOf(await r.request(SET_ROLES, { id: s.userId, r: ['ADMIN'] })))).toBe(true);
      }
    }
    for (const token of change.kept(s)) for (const r of routers(token)) expect(codesOf(await r.request(ME))).toEqual([]);
    if (change.rolesAfter) {
      const after = await (await env.asAdmin()).ok<{ user: { roles: string[] } }>('query($id: ID!) { user(id: $id) { roles } }', { id: s.userId });
      expect(after.user.roles).toEqual(change.rolesAfter);
    }
  });

  it('a fresh sign-in after a role change carries the new roles', async () => {
    const s = await subject();
    for (const r of routers(s.other)) expect(codesOf(await r.request(USERS))).toEqual(['FORBIDDEN']);
    await (await env.asAdmin()).ok(SET_ROLES, { id: s.userId, r: ['ADMIN'] });
    const fresh = (await login(env.asAnonymous(), s.email, s.password)).accessToken;
    for (const r of routers(fresh)) expect(codesOf(await r.request(USERS))).toEqual([]);
  });
});
