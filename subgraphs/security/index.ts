import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'graphql';
import { count } from 'drizzle-orm';
import { PublicError } from '@palisade/auth';
import { AUDIT_INGEST_PATH, buildAuditRecord, every, HttpError, openDatabase, runSubgraph, type SubgraphOptions } from '@palisade/kit';
import { resolvers } from './resolvers/security.resolver.ts';
import { policies } from './rules.ts';
import { createSecurityContext } from './context.ts';
import { SecurityService } from './services/security.service.ts';
import { appendAuditEvents } from './services/audit-chain.ts';
import { ingestAuditBatch } from './services/audit-ingest.ts';
import { auditDeadLetters } from './db/schema.ts';
import { DetectionService } from './services/detection.service.ts';
import { AuditCheckpoints } from './services/audit-checkpoint.ts';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
export const typeDefs = parse(readFileSync(here('./schema.graphql'), 'utf8'));

export interface SecurityOptions extends SubgraphOptions {
  /** An append-only file for signed checkpoints of the audit chain; log lines and a query otherwise. */
  checkpointFile?: string | null;
  /** How often the chain's head is signed when it has moved. */
  checkpointIntervalMs?: number;
  /**
   * The role that owns the security schema and runs its migrations. The service itself then connects (databaseUrl)
   * as a member of palisade_security_service, which may read and append audit rows and nothing more.
   */
  migrationDatabaseUrl?: string | null;
}

const migrationsFolder = here('./db/migrations');

/** Runs the security subgraph's migrations as the schema's owner, then lets go of the connection. */
export async function migrateSecurityDatabase(ownerUrl: string) {
  const owner = await openDatabase({ url: ownerUrl, schema: 'security', migrationsFolder, applicationName: 'palisade-security-migrate', poolSize: 1 });
  await owner.close();
}

export async function startSecuritySubgraph(o: SecurityOptions) {
  if (o.migrationDatabaseUrl) await migrateSecurityDatabase(o.migrationDatabaseUrl);
  return runSubgraph(
    {
      name: 'security',
      migrationsFolder,
      trusts: ['user', 'product', 'order'],
      build: async (rt) => {
        const security = new SecurityService(rt.database.db);
        const alerts = rt.metrics.counter('palisade_security_alerts_total', 'Security alerts raised', ['severity', 'type']);
        const deadLetters = rt.metrics.counter('palisade_audit_dead_letters_total', 'Audit records set aside as invalid, by sender and reason', ['sender', 'code']);
        rt.metrics.gauge('palisade_audit_dead_letters', 'Audit records in the dead-letter table', async () => (await rt.database.db.select({ n: count() }).from(auditDeadLetters))[0]?.n ?? 0);
        const detection = new DetectionService({ db: rt.database.db, log: rt.log, onAlert: (severity, type) => alerts.inc({ severity, type }) });
        const checkpoints = new AuditCheckpoints({
          db: rt.database.db,
          signer: rt.keys.signer,
          log: rt.log,
          file: o.checkpointFile,
          record: (c) =>
            rt.database.db
              .transaction((tx) => appendAuditEvents(tx, [buildAuditRecord('security', null, { action: 'audit.checkpoint', outcome: 'SUCCESS', resourceType: 'AuditEvent', resourceId: c.headId, metadata: { count: c.count, headHash: c.headHash, signedAt: c.signedAt, keyId: c.keyId, signature: c.signature } })]))
              .then(() => {}),
        });
        // Anchor at once: from the file or the trail, then a fresh checkpoint if the head has moved since.
        await checkpoints.restore().then(() => checkpoints.take()).catch((err) => rt.log.warn({ err: (err as Error).name }, 'audit checkpoint could not be taken at start'));
        const checkpointing = every(o.checkpointIntervalMs ?? 60_000, rt.log, { run: () => checkpoints.take(), worthTelling: () => false, done: 'audit checkpoint taken', failed: 'audit checkpoint could not be taken' });
        return {
          name: 'security',
          typeDefs,
          resolvers,
          policies,
          createContext: createSecurityContext(security, rt.database.db, checkpoints),
          stopWith: [checkpointing],
          recordAudit: async (caller, input) => {
            await rt.database.db.transaction((tx) => appendAuditEvents(tx, [buildAuditRecord('security', caller, input)]));
          },
          internal: {
            [AUDIT_INGEST_PATH]: {
              from: ['user', 'product', 'order', 'router'],
              handle: async (body, claims) => {
                let outcome;
                try {
                  outcome = await ingestAuditBatch(rt.database.db, body, claims.issuer);
                } catch (err) {
                  if (err instanceof PublicError) throw err;
                  // Every record got its verdict inside; what is left is the database being away: worth a retry.
                  rt.log.error({ code: (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name }, 'audit batch could not be stored');
                  throw new HttpError(503, 'SERVICE_UNAVAILABLE', 'Audit store unavailable');
                }
                for (const code of outcome.deadLetters) deadLetters.inc({ sender: claims.issuer, code });
                // After the commit: a detector's failure must not make the sender deliver the batch again.
                const alerts = outcome.deadLetters.length
                  ? detection.raise([{ type: 'audit_dead_letter', severity: 'HIGH', describe: (c) => `${c} audit records from ${claims.issuer} set aside as invalid`, sourceIp: null, userId: null, groupKey: `audit_dead_letter:${claims.issuer}`, windowMinutes: 60, initial: outcome.deadLetters.length, count: outcome.deadLetters.length }])
                  : Promise.resolve(0);
                await Promise.all([alerts, detection.inspect(outcome.stored)]).catch((err) => rt.log.error({ code: (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name }, 'detection failed'));
                return outcome.reply;
              },
            },
          },
        };
      },
    },
    o,
  );
}
