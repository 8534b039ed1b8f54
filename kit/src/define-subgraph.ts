import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import type { PolicyTable, SignedContextClaims } from '@palisade/auth';
import type { AuditOutboxTable, AuditWriter } from './audit/record.ts';
import type { ServiceName, SubgraphName } from './config.ts';
import type { Routes } from './http.ts';
import type { SubgraphContext, SubgraphRuntime } from './subgraph.ts';

/** Anything started for a subgraph that must stop before it closes (a sweeper, a retry loop, a key reload). */
export interface SubgraphJob {
  stop(): void;
}

/** A signed service-to-service endpoint: only the named services may call it, with their own keys. */
export interface InternalRoute<TServices> {
  from: readonly ServiceName[];
  handle(services: TServices, payload: unknown, claims: SignedContextClaims): Promise<unknown>;
}

/**
 * A subgraph, declared: kit derives from it the database (schema, migrations), the keys it signs with and trusts,
 * the one audit writer and the relay of its outbox, the GraphQL server with shield, input guards and rate limits
 * over its SDL (behind the shared preamble), its internal routes and its background jobs.
 */
export interface SubgraphDefinition<TServices, TCtx extends SubgraphContext, TOptions = object> {
  name: SubgraphName;
  /** The Postgres schema its tables live in. */
  dbSchema: string;
  migrationsFolder: string;
  /** Its schema.graphql, without the preamble (auth/sdl-preamble.ts) kit puts in front. */
  sdlFile: string;
  resolvers: GraphQLResolverMap<TCtx>;
  policies: PolicyTable;
  /** Where its audit records wait for the relay to the security subgraph. */
  outbox?: AuditOutboxTable;
  /** Its audit writer, when it is not "a row in the outbox" (the security subgraph appends to its own chain). */
  auditWriter?: (rt: Omit<SubgraphRuntime, 'audit'>) => AuditWriter;
  /** The subgraphs it calls (the security subgraph is implied by an outbox). */
  peers?: readonly SubgraphName[];
  /** Builds its services once the runtime exists; start-up work (re-sealing secrets, seeding) belongs here too. */
  services(rt: SubgraphRuntime, options: TOptions): Promise<TServices> | TServices;
  /** The per-request context: the base (caller, request id, log) plus services and per-request loaders. */
  context(base: SubgraphContext, services: TServices): TCtx;
  internal?: Record<string, InternalRoute<TServices>>;
  /** Plain public routes (e.g. a JWKS). */
  routes?: (services: TServices) => Routes;
  jobs?: (services: TServices, rt: SubgraphRuntime, options: TOptions) => SubgraphJob[];
  /** Told when a field's arguments are refused before its resolver ran (see input-guard.ts). */
  onInputRefused?: (ctx: TCtx, coordinate: string, args: Record<string, unknown>) => Promise<void> | void;
  /** Runs once the server listens (e.g. creating the first administrator). */
  started?: (services: TServices, rt: SubgraphRuntime, options: TOptions) => Promise<void>;
}

/** Types a subgraph's definition (the identity at run time: the work is in startSubgraph). */
export const defineSubgraph = <TServices, TCtx extends SubgraphContext, TOptions = object>(
  def: SubgraphDefinition<TServices, TCtx, TOptions>,
): SubgraphDefinition<TServices, TCtx, TOptions> => def;

/** Who may sign requests to this subgraph: the router, and whoever its internal routes name. */
export const trustedSenders = (internal: Record<string, { from: readonly ServiceName[] }> = {}): ServiceName[] => [
  ...new Set<ServiceName>(['router', ...Object.values(internal).flatMap((r) => r.from)]),
];

/** The resolver map a subgraph hands to kit, for its generated `Resolvers` to be checked against. */
export type SubgraphResolvers<TCtx extends SubgraphContext> = GraphQLResolverMap<TCtx>;
