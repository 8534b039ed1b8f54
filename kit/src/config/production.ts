import { parseDataKeys } from '@palisade/auth';
import type { PalisadeConfig } from './load.ts';
import type { Problems } from './setting.ts';
import { SUBGRAPH_NAMES, type ServiceName } from './services.ts';

const STAND_INS = 'must be set in production (the embedded stand-ins are for development)';

/**
 * What production refuses to start without, for the services this process runs: shared storage instead of
 * the embedded stand-ins, keys of its own, and the user subgraph's administrator, mail and sealing keys.
 */
export function checkProduction(c: PalisadeConfig, services: readonly ServiceName[], problems: Problems): void {
  if (!c.production || !services.length) return;
  const subgraphs = SUBGRAPH_NAMES.filter((n) => services.includes(n));
  const withoutDatabase = subgraphs.filter((n) => !(c.database.urls[n] ?? c.database.url));
  if (withoutDatabase.length) {
    const own = withoutDatabase.map((n) => `${n.toUpperCase()}_DATABASE_URL`);
    problems.addAbout(['DATABASE_URL', ...own], `DATABASE_URL${withoutDatabase.length < subgraphs.length ? ` (or ${own.join(', ')})` : ''} ${STAND_INS}`);
  }
  if (services.length && !c.redis.url) problems.add('REDIS_URL', `REDIS_URL ${STAND_INS}`);
  for (const s of services) {
    const name = `PALISADE_KEY_${s.toUpperCase()}`;
    if (!c.keys.private[s]) problems.add(name, `${name} must be set in production (an Ed25519 JWK; generate with: npm run palisade -- keys internal)`);
  }
  if (!services.includes('user')) return;
  if (!c.user.admin.email || !c.user.admin.password) problems.addAbout(['ADMIN_EMAIL', 'ADMIN_PASSWORD'], 'ADMIN_EMAIL and ADMIN_PASSWORD are required in production');
  if (!c.user.smtpUrl) problems.add('SMTP_URL', 'SMTP_URL is required in production (password reset and email verification send mail)');
  const keys = c.user.dataEncryptionKeys;
  if (!keys) problems.add('DATA_ENCRYPTION_KEYS', 'DATA_ENCRYPTION_KEYS must be set in production (id:base64 of 32 random bytes, e.g. "2026-11:$(openssl rand -base64 32)"; newest first)');
  else if (parseDataKeys(keys)[0]?.id === 'dev') problems.add('DATA_ENCRYPTION_KEYS', 'DATA_ENCRYPTION_KEYS seals with the development key id "dev"; give production a key of its own');
}

/** Settings that are each fine alone but not together. */
export function checkCombinations(c: PalisadeConfig, problems: Problems): void {
  if (Boolean(c.router.tls.certFile) !== Boolean(c.router.tls.keyFile)) problems.addAbout(['TLS_CERT_FILE', 'TLS_KEY_FILE'], 'TLS needs both TLS_CERT_FILE and TLS_KEY_FILE');
  const h = c.user.passwordHashing;
  if (h.hashConcurrency > h.concurrency) problems.addAbout(['PASSWORD_NEW_HASH_CONCURRENCY', 'PASSWORD_HASH_CONCURRENCY'], `PASSWORD_NEW_HASH_CONCURRENCY (${h.hashConcurrency}) must be at most PASSWORD_HASH_CONCURRENCY (${h.concurrency})`);
}
