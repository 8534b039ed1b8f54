import cluster, { type Worker } from 'node:cluster';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { AggregatorRegistry, Gauge, type Registry } from 'prom-client';
import { ConfigError, type Logger, type PalisadeConfig } from '@palisade/kit';

/**
 * ROUTER_WORKERS: the router as several processes sharing one port (node:cluster). The primary serves nothing:
 * it starts the workers, restarts one that crashes, adds up their metrics and, on SIGTERM, lets them drain.
 */
export interface WorkerPlan {
  count: number;
  /** Why fewer workers run than the cores would give. */
  warning?: string;
}

/** Cores this process may use: the machine's, or fewer under a CPU quota (a container's limit). */
export function availableCores(cpuMax = readCpuMax()): number {
  const cores = availableParallelism();
  const [quota, period] = (cpuMax ?? '').trim().split(/\s+/).map(Number);
  if (!quota || !period || !Number.isFinite(quota)) return cores; // "max": no quota
  return Math.max(1, Math.min(cores, Math.ceil(quota / period)));
}

/** The quota and period of cgroup v2 (`cpu.max`), else of cgroup v1 (`-1` there: no quota). */
function readCpuMax(): string | null {
  const read = (file: string) => {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch {
      return null;
    }
  };
  const quota = read('/sys/fs/cgroup/cpu/cpu.cfs_quota_us');
  return read('/sys/fs/cgroup/cpu.max') ?? (quota && quota !== '-1' ? `${quota} ${read('/sys/fs/cgroup/cpu/cpu.cfs_period_us') ?? 100_000}` : null);
}

/**
 * Budgets, replay guards and revocations live in the store; an in-memory one is per process, so each worker
 * would keep its own and a client spreading requests over them would get several budgets. Asked for
 * explicitly, that is refused; the default (one per core) falls back to one process, which is what
 * development without Redis has always run (production already requires REDIS_URL).
 */
export function planWorkers(c: Pick<PalisadeConfig, 'router' | 'redis'>, cores = availableCores()): WorkerPlan {
  const asked = c.router.workers;
  if (c.redis.url) return { count: asked ?? cores };
  if (asked !== null && asked > 1) {
    throw new ConfigError(`ROUTER_WORKERS=${asked} needs REDIS_URL: without it each worker would keep its own budgets, replay guards and revocations`, ['ROUTER_WORKERS', 'REDIS_URL']);
  }
  if (asked === null && cores > 1) return { count: 1, warning: `one router worker instead of ${cores} (one per core): without REDIS_URL, workers could not share budgets and revocations` };
  return { count: 1 };
}

const RESTART_MIN_MS = 500;
const RESTART_MAX_MS = 30_000;
// A worker that stayed up this long crashed for a new reason: its replacement starts without delay.
const STABLE_MS = 60_000;
const DRAIN_MS = 20_000; // above a worker's own 15 s shutdown watchdog (runMain)
const METRICS_ASKED = 'palisade:metrics?';
const METRICS_ANSWER = 'palisade:metrics';

interface MetricsRequest {
  type: typeof METRICS_ASKED;
  id: number;
}

/** The primary: forks `count` workers and watches them until SIGTERM/SIGINT, then exits 0 if all drained. */
export function superviseWorkers(count: number, log: Logger): void {
  const aggregator = new AggregatorRegistry();
  let stopping = false;
  let started = false;
  let delay = RESTART_MIN_MS;
  const upSince = new Map<number, number>();
  const fork = () => {
    const worker = cluster.fork();
    worker.once('listening', () => upSince.set(worker.id, Date.now()));
    worker.on('message', (m: MetricsRequest) => void (m?.type === METRICS_ASKED && answerMetrics(worker, m.id)));
    return worker;
  };
  const answerMetrics = async (worker: Worker, id: number) => {
    const text = await aggregator.clusterMetrics().catch((err: Error) => (log.warn({ err: err.message }, 'router workers did not all answer for metrics'), null));
    if (worker.isConnected()) worker.send({ type: METRICS_ANSWER, id, text });
  };

  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    if (!started) {
      log.fatal({ worker: worker.id, code, signal }, 'a router worker could not start');
      return void shutdown(1);
    }
    const up = Date.now() - (upSince.get(worker.id) ?? Date.now());
    upSince.delete(worker.id);
    delay = up > STABLE_MS ? RESTART_MIN_MS : Math.min(delay * 2, RESTART_MAX_MS);
    log.error({ worker: worker.id, code, signal, restartInMs: delay }, 'router worker stopped; starting another');
    setTimeout(() => void (stopping || fork()), delay).unref();
  });

  const shutdown = async (exitCode: number, signal?: string) => {
    if (stopping) return;
    stopping = true;
    if (signal) log.info({ signal, workers: Object.keys(cluster.workers ?? {}).length }, 'router stopping its workers');
    // A worker still starting holds no request: ended by the signal, it is as clean as one that drained.
    const clean = (w: Worker, code: number | null) => code === 0 || !upSince.has(w.id);
    const exits = Object.values(cluster.workers ?? {}).map(
      (w) => new Promise<boolean>((resolve) => (w!.isDead() ? resolve(clean(w!, w!.process.exitCode)) : (w!.once('exit', (code) => resolve(clean(w!, code))), w!.process.kill('SIGTERM')))),
    );
    const force = setTimeout(() => {
      log.error('router workers did not drain in time');
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGKILL');
      process.exit(1);
    }, DRAIN_MS).unref();
    const drained = (await Promise.all(exits)).every(Boolean);
    clearTimeout(force);
    process.exit(exitCode || (drained ? 0 : 1));
  };
  process.on('SIGTERM', () => void shutdown(0, 'SIGTERM'));
  process.on('SIGINT', () => void shutdown(0, 'SIGINT'));

  const workers = Array.from({ length: count }, fork);
  void Promise.all(workers.map((w) => new Promise((r) => w.once('listening', r)))).then(() => {
    started = true;
    log.info({ workers: count }, 'router workers listening');
  });
}

/**
 * A worker's /metrics: its registry joins the primary's sum, and a scrape (which reaches one worker) asks the
 * primary for the sum of all. `palisade_router_workers` adds up to the workers that answered.
 */
export function workerMetrics(): { exposition: (registry: Registry) => Promise<string>; join(registry: Registry): void } {
  let next = 0;
  const waiting = new Map<number, (text: string | null) => void>();
  process.on('message', (m: { type?: string; id: number; text: string | null }) => {
    if (m?.type === METRICS_ANSWER) waiting.get(m.id)?.(m.text);
  });
  // The primary gone (killed): a worker has nobody to restart it or route to it, so it stops cleanly.
  process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  return {
    join(registry) {
      new AggregatorRegistry(); // answers the primary's requests for this worker's metrics
      AggregatorRegistry.setRegistries([registry]);
      new Gauge({ name: 'palisade_router_workers', help: 'Router worker processes (each counts 1 in the sum)', registers: [registry] }).set(1);
    },
    exposition: (registry) =>
      new Promise((resolve, reject) => {
        const id = next++;
        const timeout = setTimeout(() => (waiting.delete(id), reject(new Error('the router primary did not answer for metrics'))), 6_000);
        waiting.set(id, (text) => {
          waiting.delete(id);
          clearTimeout(timeout);
          // Some worker did not answer: this one's own figures, rather than nothing.
          resolve(text ?? registry.metrics());
        });
        process.send!({ type: METRICS_ASKED, id } satisfies MetricsRequest);
      }),
  };
}
