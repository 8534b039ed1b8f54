import type { Logger } from './logger.ts';

export interface BackgroundJob<T> {
  /** What one run does; it may fail, and is simply tried again next time. */
  run(): Promise<T>;
  /** Whether a result is worth a log line (most runs find nothing to do). */
  worthTelling(result: T): boolean;
  done: string;
  failed: string;
}

/** Runs a job every `intervalMs` in the background of a service, logging what it did or why it could not. */
export function every<T>(intervalMs: number, log: Logger, job: BackgroundJob<T>): { stop(): void } {
  const timer = setInterval(() => {
    job.run().then(
      (r) => job.worthTelling(r) && log.info(r as Record<string, unknown>, job.done),
      (err) => log.warn({ err: (err as Error).message }, job.failed),
    );
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
