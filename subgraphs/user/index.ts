import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'graphql';
import { randomBytes } from 'node:crypto';
import { configurePasswordHashing, PublicError, type SecretBox } from '@palisade/auth';
import { createAuditWriter, envInt, envOptional, every, isProduction, loadDataKeys, runSubgraph, ConfigError, sendJson, type SubgraphOptions } from '@palisade/kit';
import { auditOutbox } from './db/schema.ts';
import { resolvers } from './resolvers/index.ts';
import { policies } from './rules.ts';
import { createUserContext, type UserContext, type UserServices } from './context.ts';
import { AccountService } from './services/account.service.ts';
import { SigningKeyService } from './services/signing-keys.service.ts';
import { SessionService } from './services/session.service.ts';
import { LockoutService } from './services/lockout.service.ts';
import { TotpService } from './services/totp.service.ts';
import { RecoveryService } from './services/recovery.service.ts';
import { createMailer, type Mailer } from './services/mailer.ts';
import { MailQueue } from './services/mail-queue.ts';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
export const typeDefs = parse(readFileSync(here('./schema.graphql'), 'utf8'));
export { DevOutboxMailer } from './services/mailer.ts';
export { SigningKeyService } from './services/signing-keys.service.ts';

export interface UserSubgraphOptions extends SubgraphOptions {
  /** Where development mail goes; null keeps it in memory only (tests). */
  outboxDir?: string | null;
  /** Keys sealing secrets at rest; from DATA_ENCRYPTION_KEYS (or the development key) when absent. */
  dataKeys?: SecretBox;
  /** Replaces the configured mailer (tests). */
  mailer?: Mailer;
  /** How often queued mail is sent (1 s), how long a send may take (30 s), the first retry's wait (30 s, doubling). */
  mailTiming?: { intervalMs?: number; sendTimeoutMs?: number; retryMs?: number };
}

export async function startUserSubgraph(o: UserSubgraphOptions) {
  const box = o.dataKeys ?? loadDataKeys();
  // Argon2 and strength checks are bounded so a registration flood cannot starve sign-ins (auth/passwords.ts).
  configurePasswordHashing({ concurrency: envInt('PASSWORD_HASH_CONCURRENCY', 4), hashConcurrency: envInt('PASSWORD_NEW_HASH_CONCURRENCY', 2), maxQueuedHashes: envInt('PASSWORD_HASH_QUEUE', 16) });
  let services!: UserServices;
  let keys!: SigningKeyService;
  let mailer!: Mailer;
  let mailQueue!: MailQueue;
  const running = await runSubgraph(
    {
      name: 'user',
      migrationsFolder: here('./db/migrations'),
      outbox: auditOutbox,
      build: async (rt) => {
        const db = rt.database.db;
        const audit = createAuditWriter('user', auditOutbox);
        keys = new SigningKeyService(db);
        await keys.start();
        mailer = o.mailer ?? createMailer(rt.log, { outboxDir: o.outboxDir });
        const sessions = new SessionService({ db, store: rt.store, keys, audit });
        const lockout = new LockoutService(rt.store);
        const totp = new TotpService({ db, store: rt.store, audit, box, log: rt.log });
        // Secrets stored before encryption, or under a key since rotated, are sealed under the current key.
        const resealed = await totp.resealAll();
        if (resealed) rt.log.info({ resealed, keyId: box.currentKeyId }, 'TOTP secrets sealed under the current key');
        const recovery = new RecoveryService({ db, audit, sessions, lockout, log: rt.log });
        mailQueue = new MailQueue({ db, mailer, compose: (kind, userId) => recovery.compose(kind, userId), log: rt.log, sendTimeoutMs: o.mailTiming?.sendTimeoutMs, retryMs: o.mailTiming?.retryMs });
        rt.metrics.gauge('palisade_mail_queue_pending', 'Mail queued (password reset, email verification) and not yet sent', async () => mailQueue.pending());
        const mailJob = every(o.mailTiming?.intervalMs ?? 1000, rt.log, { run: () => mailQueue.drain(), worthTelling: (r) => r.sent + r.failed > 0, done: 'queued mail sent', failed: 'could not drain the mail queue' });
        const lockouts = rt.metrics.counter('palisade_lockouts_total', 'Accounts locked after repeated failed sign-ins');
        const accounts = new AccountService({
          db, audit, sessions, lockout, totp, recovery, log: rt.log,
          onLoginFailed: (lockedFor) => {
            rt.metrics.authFailures.inc({ reason: 'login' });
            if (lockedFor) lockouts.inc();
          },
        });
        services = { accounts, sessions, recovery, totp };
        return {
          name: 'user',
          typeDefs,
          resolvers,
          policies,
          createContext: createUserContext(services),
          // A refused sign-in still counts: lockout and audit see it like a wrong password.
          onInputRefused: (ctx: UserContext, coordinate: string, args: Record<string, unknown>) => (coordinate === 'Mutation.login' ? ctx.accounts.loginRefused(ctx.caller, args.input as { email?: unknown }) : undefined),
          stopWith: [keys, mailJob],
          routes: { 'GET /.well-known/jwks.json': async ({ res }) => sendJson(res, 200, await keys.jwks(), { 'cache-control': 'public, max-age=60' }) },
        };
      },
    },
    o,
  );
  await bootstrapAdmin(services.accounts);
  return {
    ...running,
    mailer,
    mailQueue,
    keys,
  };
}

/** The first administrator, from ADMIN_EMAIL / ADMIN_PASSWORD; in development a generated one, shown once. */
async function bootstrapAdmin(accounts: AccountService) {
  const email = envOptional('ADMIN_EMAIL');
  const password = envOptional('ADMIN_PASSWORD');
  if (isProduction() && (!email || !password)) throw new ConfigError('ADMIN_EMAIL and ADMIN_PASSWORD are required in production');
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
