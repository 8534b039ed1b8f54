import { eq } from 'drizzle-orm';
import { isUuid, type Db, type SubgraphContext } from '@palisade/kit';
import { auditEvents, securityAlerts, type AuditEventRow, type SecurityAlertRow } from './db/schema.ts';
import type { SecurityService } from './services/security.service.ts';
import { verifyChain, type ChainVerification } from './services/audit-chain.ts';
import type { AuditCheckpoint, AuditCheckpoints } from './services/audit-checkpoint.ts';

export interface SecurityContext extends SubgraphContext {
  security: SecurityService;
  eventById(id: string): Promise<AuditEventRow | null>;
  alertById(id: string): Promise<SecurityAlertRow | null>;
  /** The chain, held against the latest checkpoint this service signed (not one read from its own tables). */
  verifyTrail(): Promise<ChainVerification>;
  latestCheckpoint(): (AuditCheckpoint & { publicKey: string }) | null;
}


export const createSecurityContext = (security: SecurityService, db: Db, checkpoints: AuditCheckpoints) => (base: SubgraphContext): SecurityContext => ({
  ...base,
  security,
  eventById: async (id) => (isUuid(id) ? ((await db.select().from(auditEvents).where(eq(auditEvents.id, id)))[0] ?? null) : null),
  alertById: async (id) => (isUuid(id) ? ((await db.select().from(securityAlerts).where(eq(securityAlerts.id, id)))[0] ?? null) : null),
  verifyTrail: () => verifyChain(db, checkpoints.latest()),
  latestCheckpoint: () => {
    const c = checkpoints.latest();
    return c ? { ...c, publicKey: checkpoints.publicKeyX() } : null;
  },
});
