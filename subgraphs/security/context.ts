import { eq } from 'drizzle-orm';
import type { Db, SubgraphContext } from '@palisade/kit';
import { auditEvents, securityAlerts, type AuditEventRow, type SecurityAlertRow } from './db/schema.ts';
import type { SecurityService } from './services/security.service.ts';

export interface SecurityContext extends SubgraphContext {
  security: SecurityService;
  eventById(id: string): Promise<AuditEventRow | null>;
  alertById(id: string): Promise<SecurityAlertRow | null>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const createSecurityContext = (security: SecurityService, db: Db) => (base: SubgraphContext): SecurityContext => ({
  ...base,
  security,
  eventById: async (id) => (UUID.test(id) ? ((await db.select().from(auditEvents).where(eq(auditEvents.id, id)))[0] ?? null) : null),
  alertById: async (id) => (UUID.test(id) ? ((await db.select().from(securityAlerts).where(eq(securityAlerts.id, id)))[0] ?? null) : null),
});
