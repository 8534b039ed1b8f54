import { addressList } from './metrics-access.ts';

// Reading configuration from the environment, failing early with a sentence that names the variable.
export const isProduction = () => process.env.NODE_ENV === 'production';

export function envString(name: string, fallback?: string): string {
  const v = process.env[name];
  if (v !== undefined && v !== '') return v;
  if (fallback !== undefined) return fallback;
  throw new ConfigError(`${name} is required`);
}

export function envOptional(name: string): string | undefined {
  const v = process.env[name];
  return v === undefined || v === '' ? undefined : v;
}

export function envInt(name: string, fallback: number): number {
  const v = envOptional(name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new ConfigError(`${name} must be an integer, got "${v}"`);
  return n;
}

export function envBool(name: string, fallback: boolean): boolean {
  const v = envOptional(name)?.toLowerCase();
  if (v === undefined) return fallback;
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new ConfigError(`${name} must be true or false, got "${v}"`);
}

export class ConfigError extends Error {}

/**
 * The embedded database and in-process store are for development: in production a process without real
 * Postgres or Redis refuses to start, naming what is missing, rather than keeping data nobody else shares.
 */
export function assertProductionBacking(o: { needsDatabase: boolean; databaseUrl: string | null | undefined; redisUrl: string | null | undefined }) {
  if (!isProduction()) return;
  const missing = [o.needsDatabase && !o.databaseUrl && 'DATABASE_URL', !o.redisUrl && 'REDIS_URL'].filter(Boolean);
  if (missing.length) throw new ConfigError(`${missing.join(' and ')} must be set in production (the embedded stand-ins are for development)`);
}

/** Subgraph URL in the supergraph → the env var that overrides it, e.g. USER_URL. */
export const subgraphUrlVar = (name: string) => `${name.toUpperCase()}_URL`;

export const DEFAULT_PORTS = { router: 4000, user: 4001, product: 4002, order: 4003, security: 4004 } as const;
export type ServiceName = keyof typeof DEFAULT_PORTS;
export type SubgraphName = Exclude<ServiceName, 'router'>;
export const SUBGRAPH_NAMES: SubgraphName[] = ['user', 'product', 'order', 'security'];

export const subgraphUrl = (name: SubgraphName) =>
  envString(subgraphUrlVar(name), `http://127.0.0.1:${DEFAULT_PORTS[name]}/graphql`);

/** Where embedded data lives; relative to the working directory unless absolute. */
export const dataDir = () => envString('PALISADE_DATA_DIR', '.data');

/** Access tokens: who issues them and for whom; the router and the user subgraph must agree. */
export const tokenIssuer = () => envString('TOKEN_ISSUER', 'palisade');
export const tokenAudience = () => envString('TOKEN_AUDIENCE', 'palisade-api');

/** Where /metrics is served and to whom (see metrics-access.ts for the default allow-list). */
export interface MetricsExposure {
  /** Addresses or CIDR ranges allowed to read /metrics; null keeps the default (loopback and private networks). */
  allow: string[] | null;
  /** A port of its own for /metrics, which then leaves the service port; null serves it on the service port. */
  port: number | null;
}

export function metricsExposureFromEnv(): MetricsExposure {
  const allow = envOptional('METRICS_ALLOW')?.split(',').map((s) => s.trim()).filter(Boolean) ?? null;
  try {
    if (allow) addressList(allow);
  } catch (err) {
    throw new ConfigError(`METRICS_ALLOW: ${(err as Error).message}`);
  }
  const port = envOptional('METRICS_PORT') === undefined ? null : envInt('METRICS_PORT', 0);
  if (port !== null && (port < 0 || port > 65_535)) throw new ConfigError(`METRICS_PORT must be a port number, got "${port}"`);
  return { allow, port };
}
