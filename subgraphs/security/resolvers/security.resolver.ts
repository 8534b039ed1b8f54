import { DateTimeScalar, JSONScalar, type SubgraphResolvers } from '@palisade/kit';
import type { SecurityContext } from '../context.ts';
import type { Resolvers } from '../generated/resolvers.ts';

const typed: Resolvers = {
  DateTime: DateTimeScalar,
  JSON: JSONScalar,
  Query: {
    auditEvents: (_, a, ctx) => ctx.security.auditEvents(a.filter, a.first, a.after),
    securityAlerts: (_, a, ctx) => ctx.security.alerts(a.filter, a.first, a.after),
    securityStats: (_, a, ctx) => ctx.security.stats(a.windowHours),
    verifyAuditTrail: (_, __, ctx) => ctx.verifyTrail(),
    auditCheckpoint: (_, __, ctx) => ctx.latestCheckpoint(),
  },
  Mutation: {
    acknowledgeAlert: (_, a, ctx) => ctx.security.acknowledge(ctx.caller, a.id),
  },
  AuditEvent: {
    __resolveReference: (ref, ctx) => ctx.eventById(ref.id),
    actor: (e) => (e.actorId ? { __typename: 'User', id: e.actorId } : null),
  },
  SecurityAlert: {
    __resolveReference: (ref, ctx) => ctx.alertById(ref.id),
    user: (a) => (a.userId ? { __typename: 'User', id: a.userId } : null),
  },
};

// Checked against the SDL above; buildSubgraphSchema's map has no shape for __resolveReference(reference, context).
export const resolvers = typed as SubgraphResolvers<SecurityContext>;
