import { commonSettings } from '../config/common.ts';
import { loadConfig, loadSettings, type PalisadeConfig } from '../config/load.ts';
import type { ValuesOf } from '../config/setting.ts';
import { TEST_SETTINGS } from './settings.ts';

/** Test infrastructure's settings, with the services' own database and Redis as fallbacks; read once. */
export type TestSettings = ValuesOf<typeof TEST_SETTINGS> & { logLevel: PalisadeConfig['log']['level'] | null; serviceDatabaseUrl: string | null; serviceRedisUrl: string | null };

let settings: TestSettings | null = null;
export function testSettings(): TestSettings {
  settings ??= loadSettings({ ...TEST_SETTINGS, logLevel: commonSettings.log.level, serviceDatabaseUrl: commonSettings.database.url, serviceRedisUrl: commonSettings.redis.url });
  return settings;
}

type Overrides<T> = T extends readonly unknown[] ? T : T extends object ? { [K in keyof T]?: Overrides<T[K]> } : T;
export type ConfigOverrides = Overrides<PalisadeConfig>;

const isPlain = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function merged<T>(base: T, over: unknown): T {
  if (!isPlain(base) || !isPlain(over)) return (over === undefined ? base : over) as T;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) if (v !== undefined) out[k] = merged(base[k], v);
  return out as T;
}

/**
 * A configuration for a test: the defaults a service gets with nothing set, under NODE_ENV=test, budgets ×100
 * (suites share addresses; the tests of real budgets set `rateLimits.scale: 1`) and quiet logs (LOG_LEVEL
 * speaks up), with `overrides` laid over them. Tests build configurations; they never set variables.
 */
export function testConfig(overrides: ConfigOverrides = {}): PalisadeConfig {
  const base = loadConfig({ NODE_ENV: 'test', RATE_LIMIT_SCALE: '100', LOG_LEVEL: testSettings().logLevel ?? 'error' }, { services: [] });
  const config = merged(base, overrides);
  if (overrides.mode !== undefined && overrides.production === undefined) config.production = config.mode === 'production';
  if (overrides.log?.production === undefined) config.log = { ...config.log, production: config.production };
  return config;
}
