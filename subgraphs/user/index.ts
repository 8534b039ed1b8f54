import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { configurePasswordHashing, PublicError, type SecretBox } from '@palisade/auth';
import { defineSubgraph, eventStreamOf, every, loadDataKeys, startSubgraph, ConfigError, sendJson, type PalisadeConfig, type SubgraphOptions } from '@palisade/kit';
import { auditOutbox } from './db/schema.ts';
import { resolvers } from './resolvers/index.ts';
import { policies } from './rules.ts';
import { createUserContext } from './context.ts';
import { AccountService } from './services/account.service.ts';
import { SigningKeyService } from './services/signing-keys.service.ts';
import { SessionService } from './services/session.service.ts';
import { LockoutService, lockoutSettings } from './services/lockout.service.ts';
import { TotpService } from './services/totp.service.ts';
import { RecoveryService } from './services/recovery.service.ts';
import { createMailer, type Mailer } from './services/mailer.ts';
import { MailQueue } from './services/mail-queue.ts';
import { DataRightsService, ERASING_PEERS } from './services/data-rights.service.ts';
import { NotificationService } from './services/notification.service.ts';
import { Notifier } from './services/notifier.ts';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
export { DevOutboxMailer } from './services/mailer.ts';
export { SigningKeyService } from './services/signing-keys.service.ts';
export { Notifier } from './services/notifier.ts';

export interface UserSubgraphOptions extends SubgraphOptions {
  /** Where development mail goes (default <data dir>/outbox); null keeps it in memory only (tests). */
  outboxDir?: string | null;
  /** Keys sealing secrets at rest; from DATA_ENCRYPTION_KEYS (or the development key) when absent. */
  dataKeys?: SecretBox;
  /** Replaces the configured mailer (tests). */
  mailer?: Mailer;
  /** How often queued mail is sent (1 s), how long a send may take (30 s), the first retry's wait (30 s, doubling). */
  mailTiming?: { intervalMs?: number; sendTimeoutMs?: number; retryMs?: number };
  /** How often unconfirmed account erasures are retried, and the first retry's wait (30 s, doubling). */
  erasureRetryMs?: number;
  /** How often the notifier reads the event streams (250 ms), when it takes over another consumer's stale entries (30 s). */
  notifierTiming?: { intervalMs?: number; claimIdleMs?: number };
}

export const userSubgraph = defineSubgraph({
  name: 'user',
  dbSchema: 'users',
  migrationsFolder: here('./db/migrations'),
  sdlFile: here('./schema.graphql'),
  resolvers,
  policies,
  outbox: auditOutbox,
  // Customers' data rights gather from, and erase in, every other subgraph holding their data.
  peers: ERASING_PEERS,
  services: async (rt, o: UserSubgraphOptions) => {
    const { db } = rt.database;
    const { audit, store, log, config } = rt;
    const box = o.dataKeys ?? loadDataKeys(config);
    // Argon2 and strength checks are bounded so a registration flood cannot starve sign-ins (auth/passwords.ts).
    configurePasswordHashing(config.user.passwordHashing);
    const keys = new SigningKeyService(db);
    await keys.start();
    const mailer = o.mailer ?? createMailer(log, { smtpUrl: config.user.smtpUrl, from: config.user.mailFrom, outboxDir: o.outboxDir === undefined ? join(config.dataDir, 'outbox') : o.outboxDir });
    const sessions = new SessionService({ db, store, keys, audit, tokens: config.tokens });
    const lockout = new LockoutService(store, lockoutSettings(config));
    const totp = new TotpService({ db, store, audit, box, log, issuer: config.user.totpIssuer });
    // Secrets stored before encryption, or under a key since rotated, are sealed under the current key.
    const resealed = await totp.resealAll();
    if (resealed) log.info({ resealed, keyId: box.currentKeyId }, 'TOTP secrets sealed under the current key');
    const recovery = new RecoveryService({ db, audit, sessions, lockout, log, publicAppUrl: config.user.publicAppUrl });
    const notifications = new NotificationService({ db, audit });
    const compose = (kind: string, userId: string, notificationId: string | null) => (kind === 'notification' ? notifications.compose(notificationId, userId) : recovery.compose(kind, userId));
    const mailQueue = new MailQueue({ db, mailer, compose, log, sendTimeoutMs: o.mailTiming?.sendTimeoutMs, retryMs: o.mailTiming?.retryMs });
    rt.metrics.gauge('palisade_mail_queue_pending', 'Mail queued (password reset, email verification) and not yet sent', async () => mailQueue.pending());
    const lockouts = rt.metrics.counter('palisade_lockouts_total', 'Accounts locked after repeated failed sign-ins');
    const signIns = rt.metrics.counter('palisade_sign_ins_total', 'Sign-ins by outcome: success, failure, locked, throttled, second_factor (code asked for), error; success rate = success / (success + failure + locked + throttled)', ['outcome']);
    const registrations = rt.metrics.counter('palisade_registrations_total', 'Accounts registered');
    const dataRights = new DataRightsService({ db, audit, sessions, lockout, totp, peers: rt.peers, log, retryMs: o.erasureRetryMs });
    rt.metrics.gauge('palisade_erasures_pending', 'Account deletions another subgraph has yet to confirm (retried until it does)', async () => dataRights.pending());
    const accounts = new AccountService({
      db, audit, sessions, lockout, totp, recovery, log,
      onLoginFailed: (lockedFor) => {
        rt.metrics.authFailures.inc({ reason: 'login' });
        if (lockedFor) lockouts.inc();
      },
      onSignIn: (outcome) => signIns.inc({ outcome }),
      onRegistered: () => registrations.inc(),
    });
    // Order and catalog events become notifications and mail (services/notifier.ts; docs/events.md).
    rt.metrics.gauge('palisade_event_dead_letters', 'Stream entries the notifier could not read as an event (kept in users.event_dead_letters)', async () => notifications.deadLetterCount());
    const notifier = new Notifier({ stream: eventStreamOf(store), notifications, log, intervalMs: o.notifierTiming?.intervalMs ?? 250, claimIdleMs: o.notifierTiming?.claimIdleMs ?? 30_000 });
    return { accounts, sessions, recovery, totp, keys, mailer, mailQueue, notifications, notifier, dataRights };
  },
  context: (base, services) => createUserContext(services)(base),
  // A refused sign-in still counts: lockout and audit see it like a wrong password.
  onInputRefused: (ctx, coordinate, args) => (coordinate === 'Mutation.login' ? ctx.accounts.loginRefused(ctx.caller, args.input as { email?: unknown }) : undefined),
  jobs: ({ keys, mailQueue, notifier, dataRights }, rt, o) => [
    keys,
    // Deletions some subgraph has not confirmed yet (it was down): asked again until it does.
    every(o.erasureRetryMs ?? 30_000, rt.log, { run: () => dataRights.retryDue(), worthTelling: (r) => r.finished + r.pending > 0, done: 'account erasures retried', failed: 'could not retry account erasures' }),
    notifier.start(),
    every(o.mailTiming?.intervalMs ?? 1000, rt.log, { run: () => mailQueue.drain(), worthTelling: (r) => r.sent + r.failed > 0, done: 'queued mail sent', failed: 'could not drain the mail queue' }),
  ],
  routes: ({ keys }) => ({ 'GET /.well-known/jwks.json': async ({ res }) => sendJson(res, 200, await keys.jwks(), { 'cache-control': 'public, max-age=60' }) }),
  started: ({ accounts }, rt) => bootstrapAdmin(accounts, rt.config.user.admin),
});

export async function startUserSubgraph(o: UserSubgraphOptions) {
  const running = await startSubgraph(userSubgraph, o);
  const { mailer, mailQueue, keys, notifier, notifications } = running.services;
  return { ...running, mailer, mailQueue, keys, notifier, notifications };
}

/** The first administrator, from ADMIN_EMAIL / ADMIN_PASSWORD (production requires both); in development a generated one, shown once. */
async function bootstrapAdmin(accounts: AccountService, { email, password }: PalisadeConfig['user']['admin']) {
  const adminEmail = email ?? 'admin@palisade.local';
  const adminPassword = password ?? randomBytes(18).toString('base64url');
  const created = await accounts.ensureAdmin(adminEmail, adminPassword).catch((err: unknown) => {
    // The password policy's answer, as a configuration error that names the setting.
    if (err instanceof PublicError) throw new ConfigError(`ADMIN_PASSWORD: ${err.message}`);
    throw err;
  });
  if (created && !password) {
    // Printed once, on the start that created it; later starts find the account and stay quiet.
    process.stdout.write(`\n  Palisade administrator created: ${adminEmail} / ${adminPassword}\n  (set ADMIN_EMAIL and ADMIN_PASSWORD to choose them)\n\n`);
  }
}
