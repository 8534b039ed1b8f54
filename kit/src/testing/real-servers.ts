import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, chownSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { Redis } from 'ioredis';
import { testSettings } from './config.ts';

export interface RunningServer {
  url: string;
  stop(): Promise<void>;
}

export interface PausableServer extends RunningServer {
  /** Stops the server but keeps its data, as an outage would; resume() starts it again on the same port. */
  pause(): Promise<void>;
  resume(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function which(cmd: string): string | null {
  try {
    return execFileSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

function postgresBin(): string | null {
  const configured = testSettings().postgresBin;
  if (configured) return existsSync(join(configured, 'initdb')) ? configured : null;
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(root, versions[0], 'bin');
  }
  const initdb = which('initdb');
  return initdb ? join(initdb, '..') : null;
}

const isRoot = () => process.getuid?.() === 0;
// Postgres will not run as root; Debian's package brings a `postgres` user to run it as.
const asPostgres = (cmd: string, args: string[]): [string, string[]] => (isRoot() ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args]);

/** Polls `check` until it answers true; fails naming `what` after `timeoutMs`. */
export async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 30_000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} did not become ready within ${timeoutMs / 1000}s`);
}

/**
 * Retries an assertion until it passes; after `timeoutMs` fails with the last assertion's own error, so the
 * report says what was expected and what was seen. Returns what `assertion` returned on its passing run.
 */
export async function eventually<T>(assertion: () => T | Promise<T>, what: string, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await assertion();
    } catch (err) {
      if (Date.now() >= until) {
        if (err instanceof Error) err.message = `${what}, still after ${timeoutMs / 1000}s: ${err.message}`;
        throw err;
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Servers are spawned as leaders of their own process group and stopped through it: as root, Postgres runs under
 * `runuser`, which ignores SIGINT, so signalling the child alone left the server running (a "paused" database
 * that never went away).
 */
function stopProcess(child: ChildProcess): Promise<void> {
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, sig);
    } catch {
      child.kill(sig);
    }
  };
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    signal('SIGINT');
    setTimeout(() => signal('SIGKILL'), 5_000).unref();
  });
}

/** A throwaway Postgres in a temp directory on a free loopback port; null when no binaries exist. */
export async function startThrowawayPostgres(): Promise<PausableServer | null> {
  const bin = postgresBin();
  if (!bin) return null;
  const dir = mkdtempSync(join(tmpdir(), 'palisade-pg-'));
  if (isRoot()) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const [initCmd, initArgs] = asPostgres(join(bin, 'initdb'), ['-D', join(dir, 'data'), '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  execFileSync(initCmd, initArgs, { stdio: 'ignore' });
  const port = await freePort();
  const [cmd, args] = asPostgres(join(bin, 'postgres'), [
    '-D', join(dir, 'data'), '-k', dir, '-h', '127.0.0.1', '-p', String(port),
    '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=400',
  ]);
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const start = async () => {
    const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
    await waitFor(async () => {
      const sql = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 2 });
      try {
        await sql`select 1`;
        return true;
      } finally {
        await sql.end();
      }
    }, 'throwaway Postgres');
    return child;
  };
  let child: ChildProcess | null = await start();
  return {
    url,
    async pause() {
      if (child) await stopProcess(child);
      child = null;
    },
    async resume() {
      child ??= await start();
    },
    async stop() {
      if (child) await stopProcess(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A throwaway Redis on a free loopback port; null when redis-server is missing. Without persistence by
 * default; `persistent` keeps the data across pause/resume (saved on shutdown), as a production Redis would.
 */
export async function startThrowawayRedis(o: { persistent?: boolean } = {}): Promise<PausableServer | null> {
  const bin = which('redis-server') ?? (existsSync('/usr/bin/redis-server') ? '/usr/bin/redis-server' : null);
  if (!bin) return null;
  const dir = mkdtempSync(join(tmpdir(), 'palisade-redis-'));
  const port = await freePort();
  const save = o.persistent ? ['--save', '3600 1'] : ['--save', ''];
  const url = `redis://127.0.0.1:${port}`;
  const start = async () => {
    const child = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', ...save, '--appendonly', 'no', '--dir', dir], { stdio: 'ignore', detached: true });
    await waitFor(async () => {
      const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0 });
      r.on('error', () => {});
      try {
        await r.connect();
        return (await r.ping()) === 'PONG';
      } finally {
        r.disconnect();
      }
    }, 'throwaway Redis');
    return child;
  };
  let child: ChildProcess | null = await start();
  return {
    url,
    async pause() {
      if (child) await stopProcess(child);
      child = null;
    },
    async resume() {
      child ??= await start();
    },
    async stop() {
      if (child) await stopProcess(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface TestServers {
  databaseUrl: string | null;
  redisUrl: string | null;
  notes: string[];
  stop(): Promise<void>;
}

/** Real servers for the test run: from the environment, else throwaway ones, else none (said loudly). */
export async function resolveTestServers(): Promise<TestServers> {
  const stops: (() => Promise<void>)[] = [];
  const notes: string[] = [];
  const settings = testSettings();
  let databaseUrl = settings.databaseUrl ?? settings.serviceDatabaseUrl;
  if (databaseUrl) notes.push('Postgres: from the environment');
  else {
    const pg = await startThrowawayPostgres();
    if (pg) {
      databaseUrl = pg.url;
      stops.push(pg.stop);
      notes.push(`Postgres: throwaway server at ${pg.url}`);
    }
  }
  let redisUrl = settings.redisUrl ?? settings.serviceRedisUrl;
  if (redisUrl) notes.push('Redis: from the environment');
  else {
    const redis = await startThrowawayRedis();
    if (redis) {
      redisUrl = redis.url;
      stops.push(redis.stop);
      notes.push(`Redis: throwaway server at ${redis.url}`);
    }
  }
  const missing = [!databaseUrl && 'Postgres', !redisUrl && 'Redis'].filter(Boolean) as string[];
  if (missing.length) {
    if (settings.requireRealServers) {
      await Promise.all(stops.map((s) => s()));
      throw new Error(`PALISADE_REQUIRE_REAL_SERVERS=1 but no real ${missing.join(' or ')} is available (set TEST_DATABASE_URL / TEST_REDIS_URL or install the servers)`);
    }
    const line = `NOT RUNNING FOR REAL: no ${missing.join(', no ')} found → data suites use ${[!databaseUrl && 'PGlite', !redisUrl && 'in-process stores'].filter(Boolean).join(' and ')}`;
    const bar = '!'.repeat(line.length + 4);
    process.stderr.write(`\n${bar}\n! ${line} !\n${bar}\n\n`);
  }
  return { databaseUrl, redisUrl, notes, stop: async () => void (await Promise.all(stops.map((s) => s()))) };
}
