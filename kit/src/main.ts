import { createLogger } from './logger.ts';

/** Runs a service as a process: starts it, stops it cleanly on SIGTERM/SIGINT, exits non-zero on a bad start. */
export async function runMain(name: string, start: () => Promise<{ stop(): Promise<void> }>) {
  const log = createLogger(name);
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
