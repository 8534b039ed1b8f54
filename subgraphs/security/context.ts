import { eq } from 'drizzle-orm';
import { isUuid, type Db, type SubgraphContext } from '@palisade/kit';
import { auditEvents, securityAlerts, type AuditEventRow, type SecurityAlertRow } from './db/schema.ts';
import type { SecurityService } from './services/security.service.ts';

export interface SecurityContext extends SubgraphContext {
  security: SecurityService;
  eventById(id: string): Promise<AuditEventRow | null>;
  alertById(id: string): Promise<SecurityAlertRow | null>;
}


export const createSecurityContext = (security: SecurityService, db: Db) => (base: SubgraphContext): SecurityContext => ({
  ...base,
  security,
  eventById: async (id) => (isUuid(id) ? ((await db.select().from(auditEvents).where(eq(auditEvents.id, id)))[0] ?? null) : null),
  alertById: async (id) => (isUuid(id) ? ((await db.select().from(securityAlerts).where(eq(securityAlerts.id, id)))[0] ?? null) : null),
});
