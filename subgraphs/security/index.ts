import { fileURLToPath } from 'node:url';
import { count } from 'drizzle-orm';
import { PublicError } from '@palisade/auth';
import { AUDIT_INGEST_PATH, buildAuditRecord, defineSubgraph, every, HttpError, openDatabase, startSubgraph, type Db, type Logger, type SubgraphOptions, type SubgraphRuntime } from '@palisade/kit';
import { resolvers } from './resolvers/security.resolver.ts';
import { policies } from './rules.ts';
import { createSecurityContext } from './context.ts';
import { SecurityService } from './services/security.service.ts';
import { appendAuditEvents } from './services/audit-chain.ts';
import { ingestAuditBatch } from './services/audit-ingest.ts';
import { auditDeadLetters } from './db/schema.ts';
import { DetectionService } from './services/detection.service.ts';
import { AuditCheckpoints } from './services/audit-checkpoint.ts';
import { eraseSubject, exportSubject, SUBJECT_ERASE_PATH, SUBJECT_EXPORT_PATH } from './services/audit-erasure.ts';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export interface SecurityOptions extends SubgraphOptions {
  /** An append-only file for signed checkpoints of the audit chain; log lines and a query otherwise. Default AUDIT_CHECKPOINT_FILE. */
  checkpointFile?: string | null;
  /** How often the chain's head is signed when it has moved; default AUDIT_CHECKPOINT_INTERVAL_MS. */
  checkpointIntervalMs?: number;
  /**
   * The role that owns the security schema and runs its migrations. The service itself then connects (databaseUrl)
   * as a member of palisade_security_service, which may read and append audit rows and nothing more.
   * Default SECURITY_MIGRATION_DATABASE_URL.
   */
  migrationDatabaseUrl?: string | null;
}

const migrationsFolder = here('./db/migrations');

/** Runs the security subgraph's migrations as the schema's owner, then lets go of the connection. */
export async function migrateSecurityDatabase(ownerUrl: string) {
  const owner = await openDatabase({ url: ownerUrl, schema: 'security', migrationsFolder, applicationName: 'palisade-security-migrate', poolSize: 1 });
  await owner.close();
}

export const securitySubgraph = defineSubgraph({
  name: 'security',
  dbSchema: 'security',
  migrationsFolder,
  sdlFile: here('./schema.graphql'),
  resolvers,
  policies,
  // The security subgraph's own events go straight onto the chain, in the caller's transaction.
  auditWriter: () => (tx, caller, input) => appendAuditEvents(tx, [buildAuditRecord('security', caller, input)]).then(() => {}),
  services: async (rt, o: SecurityOptions) => {
    const { db } = rt.database;
    const alerts = rt.metrics.counter('palisade_security_alerts_total', 'Security alerts raised', ['severity', 'type']);
    const deadLetters = rt.metrics.counter('palisade_audit_dead_letters_total', 'Audit records set aside as invalid, by sender and reason', ['sender', 'code']);
    rt.metrics.gauge('palisade_audit_dead_letters', 'Audit records in the dead-letter table', async () => (await db.select({ n: count() }).from(auditDeadLetters))[0]?.n ?? 0);
    const checkpoints = new AuditCheckpoints({
      db,
      signer: rt.keys.signer,
      log: rt.log,
      file: o.checkpointFile !== undefined ? o.checkpointFile : rt.config.security.checkpointFile,
      record: (tx, c) => rt.audit(tx, null, { action: 'audit.checkpoint', outcome: 'SUCCESS', resourceType: 'AuditEvent', resourceId: c.headId, metadata: { count: c.count, headHash: c.headHash, signedAt: c.signedAt, keyId: c.keyId, signature: c.signature } }),
    });
    // Anchor at once: from the file or the trail, then a fresh checkpoint if the head has moved since.
    await checkpoints.restore().then(() => checkpoints.take()).catch((err) => rt.log.warn({ err: (err as Error).name }, 'audit checkpoint could not be taken at start'));
    const detection = new DetectionService({ db, log: rt.log, thresholds: rt.config.security.detection, onAlert: (severity, type) => alerts.inc({ severity, type }) });
    return {
      db,
      security: new SecurityService(db),
      checkpoints,
      ingest: (body: unknown, sender: string) => ingest({ db, log: rt.log, detection, deadLetters }, body, sender),
    };
  },
  context: (base, { security, checkpoints, db }) => createSecurityContext(security, db, checkpoints)(base),
  jobs: ({ checkpoints }, rt, o) => [
    every(o.checkpointIntervalMs ?? rt.config.security.checkpointIntervalMs, rt.log, { run: () => checkpoints.take(), worthTelling: () => false, done: 'audit checkpoint taken', failed: 'audit checkpoint could not be taken' }),
  ],
  internal: {
    [AUDIT_INGEST_PATH]: { from: ['user', 'product', 'order', 'router'], handle: (s, body, claims) => s.ingest(body, claims.issuer) },
    // Customers' data rights: the user subgraph asks for a person's records, or has them erased.
    [SUBJECT_EXPORT_PATH]: { from: ['user'], handle: (s, body) => exportSubject(s.db, body) },
    [SUBJECT_ERASE_PATH]: { from: ['user'], handle: (s, body) => eraseSubject(s.db, body) },
  },
});

interface IngestDeps {
  db: Db;
  log: Logger;
  detection: DetectionService;
  deadLetters: ReturnType<SubgraphRuntime['metrics']['counter']>;
}

/** Stores a relayed batch (each record gets its own verdict), then lets detection look at what was stored. */
async function ingest({ db, log, detection, deadLetters }: IngestDeps, body: unknown, sender: string) {
  let outcome;
  try {
    outcome = await ingestAuditBatch(db, body, sender);
  } catch (err) {
    if (err instanceof PublicError) throw err;
    // Every record got its verdict inside; what is left is the database being away: worth a retry.
    log.error({ code: (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name }, 'audit batch could not be stored');
    throw new HttpError(503, 'SERVICE_UNAVAILABLE', 'Audit store unavailable');
  }
  for (const code of outcome.deadLetters) deadLetters.inc({ sender, code });
  // After the commit: a detector's failure must not make the sender deliver the batch again.
  const alerts = outcome.deadLetters.length
    ? detection.raise([{ type: 'audit_dead_letter', severity: 'HIGH', describe: (c) => `${c} audit records from ${sender} set aside as invalid`, sourceIp: null, userId: null, groupKey: `audit_dead_letter:${sender}`, windowMinutes: 60, initial: outcome.deadLetters.length, count: outcome.deadLetters.length }])
    : Promise.resolve(0);
  await Promise.all([alerts, detection.inspect(outcome.stored)]).catch((err) => log.error({ code: (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name }, 'detection failed'));
  return outcome.reply;
}

export async function startSecuritySubgraph(o: SecurityOptions) {
  const ownerUrl = o.migrationDatabaseUrl !== undefined ? o.migrationDatabaseUrl : o.config.security.migrationDatabaseUrl;
  if (ownerUrl) await migrateSecurityDatabase(ownerUrl);
  return startSubgraph(securitySubgraph, o);
}
