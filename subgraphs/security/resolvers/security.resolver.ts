import { DateTimeScalar, JSONScalar } from '@palisade/kit';
import type { SecurityContext } from '../context.ts';
import type { AuditEventRow, SecurityAlertRow } from '../db/schema.ts';
import type { AlertFilter, AuditFilter } from '../services/security.service.ts';

export const resolvers = {
  DateTime: DateTimeScalar,
  JSON: JSONScalar,
  Query: {
    auditEvents: (_: unknown, a: { filter?: AuditFilter; first?: number; after?: string }, ctx: SecurityContext) => ctx.security.auditEvents(a.filter, a.first, a.after),
    securityAlerts: (_: unknown, a: { filter?: AlertFilter; first?: number; after?: string }, ctx: SecurityContext) => ctx.security.alerts(a.filter, a.first, a.after),
    securityStats: (_: unknown, a: { windowHours?: number }, ctx: SecurityContext) => ctx.security.stats(a.windowHours),
    verifyAuditTrail: (_: unknown, __: unknown, ctx: SecurityContext) => ctx.verifyTrail(),
    auditCheckpoint: (_: unknown, __: unknown, ctx: SecurityContext) => ctx.latestCheckpoint(),
  },
  Mutation: {
    acknowledgeAlert: (_: unknown, a: { id: string }, ctx: SecurityContext) => ctx.security.acknowledge(ctx.caller, a.id),
  },
  AuditEvent: {
    __resolveReference: (ref: { id: string }, ctx: SecurityContext) => ctx.eventById(ref.id),
    actor: (e: AuditEventRow) => (e.actorId ? { __typename: 'User', id: e.actorId } : null),
  },
  SecurityAlert: {
    __resolveReference: (ref: { id: string }, ctx: SecurityContext) => ctx.alertById(ref.id),
    user: (a: SecurityAlertRow) => (a.userId ? { __typename: 'User', id: a.userId } : null),
  },
};
