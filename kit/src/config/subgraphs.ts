import { parseDataKeys, SecretBox } from '@palisade/auth';
import { optional, setting } from './setting.ts';
import { bool, int, parsedAs, text, url } from './values.ts';

// Opened here only to be checked: the key ring itself is built where secrets are sealed (data-keys.ts).
const dataKeys = parsedAs('id:base64key entries', (s) => {
  new SecretBox(parseDataKeys(s));
  return s;
});

const ms = () => int(1, 86_400_000);

/** The user subgraph's: the first administrator, sign-in brakes, password hashing, mail, one-time codes. */
export const userSettings = {
  admin: {
    email: optional('ADMIN_EMAIL', text(), 'first administrator, created once (required in production)', { shown: 'generated in development' }),
    password: optional('ADMIN_PASSWORD', text(), "the first administrator's password (required in production)", { shown: 'generated in development', secret: true }),
  },
  loginIpFailureLimit: setting('LOGIN_IP_FAILURE_LIMIT', int(1, 1_000_000), 20, 'failed sign-ins (and, counted apart, failed mailed or refresh tokens) per client address (IPv6: /64) per 15 min before that address is throttled (× `RATE_LIMIT_SCALE`)'),
  loginLockBaseSeconds: setting('LOGIN_LOCK_BASE_SECONDS', int(1, 900), 60, 'first lock after 5 failures (per account for unknown clients, and per account and address); doubles per lock, at most 15 min (not scaled)'),
  passwordHashing: {
    concurrency: setting('PASSWORD_HASH_CONCURRENCY', int(1, 256), 4, 'argon2 calls at once in the user subgraph'),
    hashConcurrency: setting('PASSWORD_NEW_HASH_CONCURRENCY', int(1, 256), 2, 'how many of those may hash new passwords (at most `PASSWORD_HASH_CONCURRENCY`)'),
    maxQueuedHashes: setting('PASSWORD_HASH_QUEUE', int(0, 100_000), 16, 'new passwords waiting beyond that before `SERVICE_UNAVAILABLE`'),
  },
  dataEncryptionKeys: optional('DATA_ENCRYPTION_KEYS', dataKeys, '`id:base64key` entries (32 random bytes each, e.g. `2026-11:$(openssl rand -base64 32)`), comma-separated, newest first; the first encrypts, any listed one decrypts; required in production (the id `dev` is refused there)', {
    shown: 'development: generated in `.data/keys/`',
    secret: true,
  }),
  smtpUrl: optional('SMTP_URL', url('smtp', 'smtps'), 'mail for verification and password reset; without it, mail is written to `.data/outbox/` (required in production)', { shown: 'unset → development outbox', secret: true }),
  mailFrom: setting('MAIL_FROM', text(), 'Palisade <no-reply@palisade.local>', 'sender of that mail'),
  publicAppUrl: setting('PUBLIC_APP_URL', url('http', 'https'), 'http://localhost:3000', 'where links in mail point (`/verify-email?token=…`, `/reset-password?token=…`)'),
  totpIssuer: setting('TOTP_ISSUER', text(), 'Palisade', 'name shown in authenticator apps'),
};

/** The product subgraph's. */
export const productSettings = {
  seedDemoData: setting('SEED_DEMO_DATA', bool(), true, 'seed a demo catalog (never in production)', { shown: '`true` outside production' }),
};

/** The order subgraph's: the stock it holds for orders, and what it gives back. */
export const orderSettings = {
  reservationTtlSeconds: setting('RESERVATION_TTL_SECONDS', int(1, 86_400), 120, 'how long stock stays reserved for an order not yet confirmed'),
  reservationSweepMs: setting('RESERVATION_SWEEP_MS', ms(), 10_000, 'how often expired reservations are settled'),
  restockRetryMs: setting('RESTOCK_RETRY_MS', ms(), 10_000, 'how often the order subgraph retries giving back the stock of orders cancelled while the product subgraph was unreachable'),
  shopCurrency: setting('SHOP_CURRENCY', parsedAs('an ISO 4217 code such as USD', (s) => (/^[A-Z]{3}$/.test(s) ? s : undefined)), 'USD', "the currency an empty cart's subtotal is shown in (a cart holds one currency: its first product's)"),
};

/** The security subgraph's: the audit chain's checkpoints, its migrations' role, the alert thresholds. */
export const securitySettings = {
  checkpointIntervalMs: setting('AUDIT_CHECKPOINT_INTERVAL_MS', ms(), 60_000, "how often the security subgraph signs the audit chain's head"),
  checkpointFile: optional('AUDIT_CHECKPOINT_FILE', text(), 'an append-only file each checkpoint is also written to'),
  migrationDatabaseUrl: optional('SECURITY_MIGRATION_DATABASE_URL', url('postgres', 'postgresql'), "the owner role that runs the security subgraph's migrations, so the service role can only read and append audit rows", {
    shown: "unset (the service's own)",
    secret: true,
  }),
  detection: {
    bruteForce: setting('DETECT_BRUTE_FORCE_FAILURES', int(1, 100_000), 5, 'failed secret checks per account or address in 5 min that raise `brute_force`'),
    stuffingAccounts: setting('DETECT_STUFFING_ACCOUNTS', int(1, 100_000), 10, 'distinct accounts failing from one address in 10 min that raise `credential_stuffing`'),
    probing: setting('DETECT_PROBING_DENIALS', int(1, 100_000), 5, 'access denials for one user or one address in 5 min that raise `privilege_probing`'),
    rateSpike: setting('DETECT_RATE_SPIKE_EVENTS', int(1, 100_000), 20, 'rate-limit hits from one address in 1 min that raise `rate_spike`'),
    enumeration: setting('DETECT_ENUMERATION_CONFLICTS', int(1, 100_000), 5, 'register conflicts from one address in 10 min that raise `account_enumeration`'),
    maxSourcesPerType: setting('DETECT_MAX_SOURCES_PER_TYPE', int(1, 10_000), 5, 'open MEDIUM/LOW alerts of one type from different addresses before further addresses share one alert'),
  },
};
