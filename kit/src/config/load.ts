import { join } from 'node:path';
import { benchmarkSettings, checkBenchmarkSwitches } from './benchmark.ts';
import { cliSettings, commonSettings, LOG_LEVELS } from './common.ts';
import { checkCombinations, checkProduction } from './production.ts';
import { routerSettings } from './router.ts';
import { Problems, readSettings, type Environment, type SettingTree, type ValuesOf } from './setting.ts';
import { SERVICE_NAMES, type ServiceName } from './services.ts';
import { orderSettings, productSettings, securitySettings, userSettings } from './subgraphs.ts';

/** Every setting of Palisade's services, shaped as the configuration they receive. */
export const SETTINGS = {
  ...commonSettings,
  router: routerSettings,
  user: userSettings,
  product: productSettings,
  order: orderSettings,
  security: securitySettings,
  cli: cliSettings,
  benchmark: benchmarkSettings,
};

type Settings = ValuesOf<typeof SETTINGS>;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The one configuration of a process, parsed and checked once at its entry point and passed down. */
export interface PalisadeConfig extends Omit<Settings, 'keys' | 'log'> {
  production: boolean;
  keys: Omit<Settings['keys'], 'dir'> & { dir: string };
  log: { file: string | null; level: LogLevel; format: 'json' | 'pretty' | null; production: boolean };
}

/** The values a process's settings come to, with what follows from others filled in. */
export function resolveConfig(s: Settings): PalisadeConfig {
  const production = s.mode === 'production';
  return {
    ...s,
    production,
    keys: { ...s.keys, dir: s.keys.dir ?? join(s.dataDir, 'keys') },
    log: { ...s.log, level: s.log.level ?? (s.mode === 'test' ? 'warn' : 'info'), production },
    product: { ...s.product, seedDemoData: !production && s.product.seedDemoData },
  };
}

export interface LoadOptions {
  /** The services this process runs, whose production requirements apply; all of them by default. */
  services?: readonly ServiceName[];
}

/**
 * Reads and checks every setting at once; throws a ConfigError naming each bad or missing variable (never its
 * value). The only reader of the process's environment besides test infrastructure.
 */
export function loadConfig(env: Environment = process.env, o: LoadOptions = {}): PalisadeConfig {
  const problems = new Problems();
  const config = resolveConfig(readSettings(SETTINGS, env, problems));
  checkCombinations(config, problems);
  checkBenchmarkSwitches(config, problems);
  checkProduction(config, o.services ?? SERVICE_NAMES, problems);
  problems.throwIfAny();
  return config;
}

/** Settings outside the services' own (test infrastructure, the benchmark), read the same way. */
export function loadSettings<S extends SettingTree>(tree: S, env: Environment = process.env): ValuesOf<S> {
  const problems = new Problems();
  const values = readSettings(tree, env, problems);
  problems.throwIfAny();
  return values;
}

/** The environment a child process starts with: this one's, with some variables set. */
export const childEnvironment = (set: Environment = {}): NodeJS.ProcessEnv => ({ ...process.env, ...set });
