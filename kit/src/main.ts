import { ConfigError, loadConfig, type PalisadeConfig, type ServiceName } from './config/index.ts';
import { createLogger, DEFAULT_LOG_SETTINGS, type LogSettings } from './logger.ts';

/**
 * An entry point's configuration, read once from its environment; a refused one is printed (every bad
 * variable, no values) and the process exits 1 before anything starts.
 */
export function configOrExit(name: string, services: readonly ServiceName[]): PalisadeConfig {
  try {
    return loadConfig(undefined, { services });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${name} could not start, its configuration is refused:\n${err.problems.map((p) => `  - ${p}\n`).join('')}`);
    process.exit(1);
  }
}

/** Runs a service as a process: starts it, stops it cleanly on SIGTERM/SIGINT, exits non-zero on a bad start. */
export async function runMain(name: string, start: () => Promise<{ stop(): Promise<void> }>, logSettings: LogSettings = DEFAULT_LOG_SETTINGS) {
  const log = createLogger(name, logSettings);
  let service: { stop(): Promise<void> };
  try {
    service = await start();
  } catch (err) {
    log.fatal({ err: (err as Error).message }, `${name} could not start`);
    process.exit(1);
  }
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, `${name} stopping`);
    const force = setTimeout(() => process.exit(1), 15_000).unref();
    await service.stop().catch((err) => log.error({ err }, 'error while stopping'));
    clearTimeout(force);
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}
