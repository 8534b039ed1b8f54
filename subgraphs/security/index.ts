import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'graphql';
import { AUDIT_INGEST_PATH, buildAuditRecord, runSubgraph, type SubgraphOptions } from '@palisade/kit';
import { resolvers } from './resolvers/security.resolver.ts';
import { policies } from './rules.ts';
import { createSecurityContext } from './context.ts';
import { SecurityService } from './services/security.service.ts';
import { appendAuditEvents, parseAuditBatch } from './services/audit-chain.ts';
import { DetectionService } from './services/detection.service.ts';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
export const typeDefs = parse(readFileSync(here('./schema.graphql'), 'utf8'));

export async function startSecuritySubgraph(o: SubgraphOptions) {
  return runSubgraph(
    {
      name: 'security',
      migrationsFolder: here('./db/migrations'),
      trusts: ['user', 'product', 'order'],
      build: (rt) => {
        const security = new SecurityService(rt.database.db);
        const alerts = rt.metrics.counter('palisade_security_alerts_total', 'Security alerts raised', ['severity', 'type']);
        const detection = new DetectionService({ db: rt.database.db, log: rt.log, onAlert: (severity, type) => alerts.inc({ severity, type }) });
        return {
          name: 'security',
          typeDefs,
          resolvers,
          policies,
          createContext: createSecurityContext(security, rt.database.db),
          recordAudit: async (caller, input) => {
            await rt.database.db.transaction((tx) => appendAuditEvents(tx, [buildAuditRecord('security', caller, input)]));
          },
          internal: {
            [AUDIT_INGEST_PATH]: {
              from: ['user', 'product', 'order', 'router'],
              handle: async (body) => {
                const events = parseAuditBatch(body);
                const stored = await rt.database.db.transaction((tx) => appendAuditEvents(tx, events));
                // After the commit: a detector's failure must not make the sender deliver the batch again.
                await detection.inspect(events).catch((err) => rt.log.error({ err: (err as Error).message }, 'detection failed'));
                return { stored };
              },
            },
          },
        };
      },
    },
    o,
  );
}
