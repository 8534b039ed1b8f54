import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { generate, generateSecret } from 'otplib';
import { generateDataKey, SecretBox } from '@palisade/auth';
import { createAuditWriter, createLogger, type StartedSubgraph } from '@palisade/kit';
import { signedSubgraphRequest, suiteDatabase, testCaller, testConfig } from '@palisade/kit/testing/index';
import { auditOutbox, users } from '../db/schema.ts';
import { DevOutboxMailer, startUserSubgraph } from '../index.ts';
import { TotpService } from '../services/totp.service.ts';

// Secrets at rest: the TOTP columns hold AES-256-GCM ciphertext under a named key, never the secret.
const keyA = generateDataKey('a-2025');
const keyB = generateDataKey('b-2026');
let user: StartedSubgraph & { store?: unknown };
let db: Awaited<ReturnType<typeof suiteDatabase>>;

beforeAll(async () => {
  db = await suiteDatabase();
  user = await startUserSubgraph({ config: testConfig(), port: 0, databaseUrl: db.url, pgliteDir: null, dataKeys: new SecretBox([keyA]), mailer: new DevOutboxMailer(null, null), peers: { security: 'http://127.0.0.1:9' } });
});
afterAll(async () => {
  await user?.stop();
  await db?.drop();
});

const anon = testCaller();
const ask = (caller: ReturnType<typeof testCaller>, query: string, variables?: Record<string, unknown>) => signedSubgraphRequest(user.url, 'user', caller, query, variables);

/** A registered user with two-factor sign-in on, as the API sets it up. */
async function enrolled() {
  const email = `totp-${randomBytes(4).toString('hex')}@example.com`;
  const password = `pw-${randomBytes(8).toString('hex')}`;
  const reg = await ask(anon, 'mutation($i: RegisterInput!) { register(input: $i) { accessToken user { id } } }', { i: { email, password, displayName: 'T' } });
  const claims = JSON.parse(Buffer.from(reg.body.data!.register.accessToken.split('.')[1], 'base64url').toString()) as { sub: string; sid: string };
  const me = testCaller({ userId: claims.sub, sessionId: claims.sid });
  const secret = (await ask(me, 'mutation { enrollTotp { secret } }')).body.data!.enrollTotp.secret as string;
  const confirmed = await ask(me, 'mutation($c: String!) { confirmTotp(code: $c) }', { c: await generate({ secret }) });
  expect(confirmed.body.errors).toBeUndefined();
  return { id: claims.sub, email, password, secret };
}
const row = async (id: string) => (await user.database.db.select().from(users).where(eq(users.id, id)))[0]!;
const login = async (u: { email: string; password: string }, totpCode: string) =>
  (await ask(anon, 'mutation($i: LoginInput!) { login(input: $i) { accessToken } }', { i: { email: u.email, password: u.password, totpCode } })).body;
// A service over the same table with other keys: what a restart with a changed DATA_ENCRYPTION_KEYS would run.
const serviceWith = (box: SecretBox) =>
  new TotpService({ db: user.database.db, store: { setIfAbsent: async () => true } as never, audit: createAuditWriter('user', auditOutbox), box, log: createLogger('user', testConfig().log), issuer: 'Palisade' });

describe('TOTP secrets at rest', () => {
  it('stores ciphertext under the current key id, never the secret, and signs in with it', async () => {
    const u = await enrolled();
    const stored = await row(u.id);
    expect(stored.totpSecret).toMatch(/^enc:v1:a-2025:/);
    expect(stored.totpPendingSecret).toBeNull();
    expect(JSON.stringify(stored)).not.toContain(u.secret);
    // The next step's code: the one confirmTotp took is spent.
    expect((await login(u, await generate({ secret: u.secret, epoch: Math.floor(Date.now() / 1000) + 30 }))).data?.login.accessToken).toBeTruthy();
  });

  it('fails closed when the stored ciphertext is changed', async () => {
    const u = await enrolled();
    const stored = (await row(u.id)).totpSecret!;
    const at = stored.length - 30;
    const tampered = stored.slice(0, at) + (stored[at] === 'A' ? 'B' : 'A') + stored.slice(at + 1);
    await user.database.db.update(users).set({ totpSecret: tampered }).where(eq(users.id, u.id));
    const r = await login(u, await generate({ secret: u.secret }));
    expect(r.data?.login ?? null).toBeNull();
    expect(r.errors?.map((e) => e.extensions?.code)).toEqual(['INTERNAL_SERVER_ERROR']);
    expect(JSON.stringify(r)).not.toMatch(/enc:v1|a-2025|did not open/);
    await user.database.db.update(users).set({ totpSecret: stored }).where(eq(users.id, u.id));
    expect((await login(u, await generate({ secret: u.secret, epoch: Math.floor(Date.now() / 1000) + 30 }))).data?.login.accessToken).toBeTruthy();
  });

  it('rotates: an older key id still opens, what is written next is sealed under the newest key', async () => {
    const u = await enrolled();
    const rotated = serviceWith(new SecretBox([keyB, keyA]));
    const before = (await row(u.id)).totpSecret!;
    expect(await rotated.check({ id: u.id }, before, await generate({ secret: u.secret }))).toBe(true);
    // Reading it sealed it again under the newest key.
    expect((await row(u.id)).totpSecret).toMatch(/^enc:v1:b-2026:/);
    const enrolment = await rotated.enroll(testCaller({ userId: u.id }), { ...(await row(u.id)), totpSecret: null });
    expect((await row(u.id)).totpPendingSecret).toMatch(/^enc:v1:b-2026:/);
    expect(await rotated.check({ id: u.id }, (await row(u.id)).totpPendingSecret!, await generate({ secret: enrolment.secret }))).toBe(true);
    // With key a-2025 retired from configuration, a value still under it would fail closed.
    await expect(serviceWith(new SecretBox([keyB])).check({ id: u.id }, before, await generate({ secret: u.secret }))).rejects.toThrow(/did not open/);
  });

  it('seals plaintext rows from before encryption, and rows under retired keys, at start', async () => {
    const u = await enrolled();
    const legacy = generateSecret();
    await user.database.db.update(users).set({ totpSecret: legacy }).where(eq(users.id, u.id));
    // Read transparently as it is…
    expect((await login(u, await generate({ secret: legacy }))).data?.login.accessToken).toBeTruthy();
    await user.database.db.update(users).set({ totpSecret: legacy }).where(eq(users.id, u.id));
    // …and sealed by the sweep a start runs, under the newest key, along with every a-2025 row.
    const rotated = serviceWith(new SecretBox([keyB, keyA]));
    expect(await rotated.resealAll()).toBeGreaterThanOrEqual(1);
    const after = await user.database.db.select({ s: users.totpSecret }).from(users);
    for (const r of after.filter((x) => x.s)) expect(r.s).toMatch(/^enc:v1:b-2026:/);
    expect((await row(u.id)).totpSecret).not.toContain(legacy);
    expect(await rotated.check({ id: u.id }, (await row(u.id)).totpSecret!, await generate({ secret: legacy }))).toBe(true);
  });
});
