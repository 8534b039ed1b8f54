import { randomBytes, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import DataLoader from 'dataloader';
import { graphql, Kind, parse, type DocumentNode, type ObjectTypeDefinitionNode } from 'graphql';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { applyAccessRules } from '@palisade/auth';
import type { StartedSubgraph } from '@palisade/kit';
import { signedSubgraphRequest, suiteDatabase, testCaller, testConfig } from '@palisade/kit/testing/index';
import type { UserRow } from '../db/schema.ts';
import { resolvers } from '../resolvers/index.ts';
import { policies } from '../rules.ts';
import { DevOutboxMailer, startUserSubgraph } from '../index.ts';
import { readSubgraphSdl } from '@palisade/auth';

// A sign-in answers with its user's own fields without rewriting the caller: the `user:issued` policy opens
// them on the returned object only. These run the real SDL, resolvers and policies.
const SDL = readSubgraphSdl(fileURLToPath(new URL('../schema.graphql', import.meta.url)));
/** The user's own fields a sign-in answers with; everything else on User stays as closed as for any anonymous caller. */
const NOT_OPENED = new Set(['sessions']);

const row: UserRow = {
  id: randomUUID(), email: 'ada@example.com', displayName: 'Ada', passwordHash: 'x', roles: ['CUSTOMER'], emailVerified: false, active: true,
  totpSecret: null, totpPendingSecret: null, createdAt: new Date(), updatedAt: new Date(),
} as UserRow;

async function answersOnLogin(typeDefs: DocumentNode) {
  const schema = applyAccessRules(buildSubgraphSchema({ typeDefs, resolvers: resolvers as never }), typeDefs, policies);
  const ctx = () => ({
    caller: testCaller(),
    accounts: { login: async () => ({ accessToken: 'a', refreshToken: 'r', expiresIn: 900, user: { ...row } }) },
    sessions: { listFor: async () => [{ id: randomUUID(), createdAt: new Date(), lastUsedAt: new Date(), expiresAt: new Date(), ip: null, userAgent: null }] },
    userById: new DataLoader(async (ids: readonly string[]) => ids.map(() => ({ ...row }))),
  });
  const fields = (typeDefs.definitions.find((d) => d.kind === Kind.OBJECT_TYPE_DEFINITION && d.name.value === 'User') as ObjectTypeDefinitionNode).fields!.map((f) => f.name.value);
  const out: Record<string, string> = {};
  for (const f of fields) {
    const selection = f === 'sessions' ? 'sessions { id }' : f;
    const login = await graphql({ schema, source: `mutation { login(input: { email: "a", password: "b" }) { user { ${selection} } } }`, contextValue: ctx() });
    // The same user reached another way (an entity lookup) by the same anonymous caller: nothing opens.
    const entity = await graphql({ schema, source: `{ _entities(representations: [{ __typename: "User", id: "${row.id}" }]) { ... on User { ${selection} } } }`, contextValue: ctx() });
    const code = (r: typeof login) => String(r.errors?.[0]?.extensions.code ?? 'open');
    out[f] = `${code(login)}/${code(entity)}`;
  }
  return out;
}

describe('the user a sign-in returns, without a caller rewrite', () => {
  it('opens that user object\'s own fields to the anonymous caller who signed in, and nothing reached another way', async () => {
    const seen = await answersOnLogin(parse(SDL));
    expect(Object.keys(seen).length).toBeGreaterThan(5);
    for (const [field, got] of Object.entries(seen)) expect(got, field).toBe(NOT_OPENED.has(field) ? 'UNAUTHENTICATED/UNAUTHENTICATED' : 'open/UNAUTHENTICATED');
  });

  it('fails without the annotation: with user:issued taken out of the SDL, the sign-in loses its own email and roles', async () => {
    const weakened = SDL.replaceAll(', ["user:issued"]', '').replace('@policy(policies: [["authenticated"]])', '@authenticated');
    expect(weakened).not.toContain('["user:issued"]');
    const seen = await answersOnLogin(parse(weakened));
    expect(seen.email).toBe('UNAUTHENTICATED/UNAUTHENTICATED');
    expect(seen.roles).toBe('UNAUTHENTICATED/UNAUTHENTICATED');
    expect(seen.id).toBe('UNAUTHENTICATED/UNAUTHENTICATED');
  });
});

describe('signing in through the real subgraph', () => {
  let user: StartedSubgraph;
  let db: Awaited<ReturnType<typeof suiteDatabase>>;
  const send = (caller: ReturnType<typeof testCaller>, query: string, variables?: Record<string, unknown>) => signedSubgraphRequest(user.url, 'user', caller, query, variables);
  const codes = (r: Awaited<ReturnType<typeof send>>) => (r.body.errors ?? []).map((e) => e.extensions?.code);
  async function account(name: string) {
    const email = `${name}-${randomBytes(4).toString('hex')}@example.com`;
    const password = `pw-${randomBytes(8).toString('hex')}`;
    const r = await send(testCaller(), 'mutation($i: RegisterInput!) { register(input: $i) { user { id email roles } } }', { i: { email, password, displayName: name } });
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data!.register.user).toMatchObject({ email, roles: ['CUSTOMER'] });
    return { id: r.body.data!.register.user.id as string, email, password };
  }
  const LOGIN = 'mutation($i: LoginInput!) { login(input: $i) { user { id email roles displayName active totpEnabled } } }';

  beforeAll(async () => {
    db = await suiteDatabase();
    user = await startUserSubgraph({ config: testConfig(), port: 0, databaseUrl: db.url, pgliteDir: null, mailer: new DevOutboxMailer(null, null), peers: { security: 'http://127.0.0.1:9' } });
  });
  afterAll(async () => {
    await user?.stop();
    await db?.drop();
  });

  it('login and refresh answer with the user\'s own email and roles to an anonymous caller', async () => {
    const ada = await account('ada');
    const r = await send(testCaller(), LOGIN, { i: { email: ada.email, password: ada.password } });
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data!.login.user).toEqual({ id: ada.id, email: ada.email, roles: ['CUSTOMER'], displayName: 'ada', active: true, totpEnabled: false });
    const t = (await send(testCaller(), 'mutation($i: LoginInput!) { login(input: $i) { refreshToken } }', { i: { email: ada.email, password: ada.password } })).body.data!.login.refreshToken;
    const refreshed = await send(testCaller(), 'mutation($t: String!) { refreshSession(refreshToken: $t) { user { email roles } } }', { t });
    expect(refreshed.body.data!.refreshSession.user).toEqual({ email: ada.email, roles: ['CUSTOMER'] });
  });

  it('opens nothing else: not the user\'s sessions, not the fields after it in the same operation', async () => {
    const ada = await account('ada');
    const i = { email: ada.email, password: ada.password };
    const anon = testCaller();
    expect(codes(await send(anon, 'mutation($i: LoginInput!) { login(input: $i) { user { sessions { id } } } }', { i }))).toEqual(['UNAUTHENTICATED']);
    for (const next of ['enrollTotp { secret }', 'updateProfile(input: { displayName: "Hijacked" }) { id }', 'logout', 'confirmTotp(code: "000000")']) {
      const later = await send(anon, `mutation($i: LoginInput!) { login(input: $i) { expiresIn } ${next} }`, { i });
      // (The field after it is non-null, so its refusal nulls the whole answer.)
      expect((later.body.errors ?? []).map((e) => [e.path?.join('.'), e.extensions?.code]), next).toEqual([[next.split(/[ (]/)[0], 'UNAUTHENTICATED']]);
    }
    // A signed-in caller signing in as someone else still acts as itself for the rest of the operation.
    const bea = await account('bea');
    const asBea = testCaller({ userId: bea.id });
    const both = await send(asBea, 'mutation($i: LoginInput!) { login(input: $i) { user { email } } updateProfile(input: { displayName: "Renamed" }) { id } }', { i });
    expect(both.body.errors).toBeUndefined();
    expect(both.body.data).toEqual({ login: { user: { email: ada.email } }, updateProfile: { id: bea.id } });
    const adaNow = await send(testCaller({ userId: ada.id }), '{ me { displayName } }');
    expect(adaNow.body.data!.me.displayName).toBe('ada');
  });
});
