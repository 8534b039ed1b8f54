import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_PORTS } from '@palisade/kit';
import { childEnvironment } from '@palisade/kit/config/load';
import { freePort, waitFor } from '@palisade/kit/testing/real-servers';
import type { BuiltStage } from './dry-build-stages.ts';

const SUBGRAPHS = ['security', 'user', 'product', 'order'] as const;
type Service = keyof typeof DEFAULT_PORTS;

export interface Servers {
  databaseUrl: string;
  redisUrl: string;
}

/** `node …` from the image's CMD runs on this machine's node (the base image's stands in for it). */
const localNode = (command: string[]) => (command[0] === 'node' ? [process.execPath, ...command.slice(1)] : command);

/**
 * The secrets production refuses to start without, made up for this run: service keys from the image's own
 * CLI (`node dist/cli.js keys internal`, the compose `keys` job), an administrator, a sealing key, and a mail
 * server address nothing listens on (mail is sent only when an operation asks).
 */
function throwawaySecrets(app: string, env: NodeJS.ProcessEnv, smtpPort: number): Record<string, string> {
  const printed = execFileSync(process.execPath, ['dist/cli.js', 'keys', 'internal'], { cwd: app, env, encoding: 'utf8' });
  const keys = Object.fromEntries([...printed.matchAll(/^(PALISADE_(?:PUB)?KEY_[A-Z]+)='(.*)'$/gm)].map((m) => [m[1]!, m[2]!]));
  if (Object.keys(keys).length !== 10) throw new Error(`dist/cli.js keys internal printed ${Object.keys(keys).length} keys, not 10`);
  return {
    ...keys,
    ADMIN_EMAIL: 'dry-build@palisade.test',
    ADMIN_PASSWORD: `Dry-${randomBytes(18).toString('base64url')}`,
    DATA_ENCRYPTION_KEYS: `dry:${randomBytes(32).toString('base64')}`,
    SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
  };
}

async function ready(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2_000) }).catch(() => null);
  return res?.status === 200;
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));
}

/**
 * Starts every service from the runtime stage's tree with NODE_ENV=production on the given Postgres and
 * Redis, waits until the router's /health/ready answers 200, runs the image's HEALTHCHECK against it, then
 * stops them all with SIGTERM and expects each to exit 0.
 */
export async function startServicesFromImage(runtime: BuiltStage, servers: Servers, logDir: string, log: (line: string) => void): Promise<void> {
  const app = join(runtime.root, runtime.workdir);
  if (!runtime.cmd) throw new Error('the runtime stage has no CMD');
  const ports = Object.fromEntries(await Promise.all((Object.keys(DEFAULT_PORTS) as Service[]).map(async (s) => [s, await freePort()] as const))) as Record<Service, number>;
  // Only what a container would have: the image's ENV, PATH and HOME; nothing of this shell's settings.
  const { PATH, HOME } = childEnvironment();
  const base: NodeJS.ProcessEnv = { PATH, HOME, ...runtime.env, HOST: '127.0.0.1', LOG_FORMAT: 'json', LOG_LEVEL: 'warn' };
  const env: NodeJS.ProcessEnv = {
    ...base,
    ...throwawaySecrets(app, base, await freePort()),
    DATABASE_URL: servers.databaseUrl,
    REDIS_URL: servers.redisUrl,
    REDIS_KEY_PREFIX: `dry${randomBytes(4).toString('hex')}:`,
    ...Object.fromEntries(SUBGRAPHS.map((s) => [`${s.toUpperCase()}_URL`, `http://127.0.0.1:${ports[s]}/graphql`])),
  };
  const children = new Map<Service, ChildProcess>();
  const start = (service: Service, command: string[]) => {
    const out = createWriteStream(join(logDir, `${service}.log`));
    const child = spawn(command[0]!, command.slice(1), { cwd: app, env: { ...env, PORT: String(ports[service]) }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.pipe(out);
    child.stderr!.pipe(out);
    children.set(service, child);
  };
  const health = (s: Service) => `http://127.0.0.1:${ports[s]}/health/ready`;
  const tails = () => {
    for (const s of children.keys()) log(`   -- ${s} output (last lines):\n${readFileSync(join(logDir, `${s}.log`), 'utf8').split('\n').slice(-15).join('\n')}`);
  };
  let failed = true;
  try {
    for (const s of SUBGRAPHS) start(s, localNode(['node', `dist/${s}.js`]));
    for (const s of SUBGRAPHS) {
      await waitFor(async () => (children.get(s)!.exitCode === null ? ready(health(s)) : Promise.reject(new Error(`${s} exited`))), `${s} /health/ready`, 60_000);
      log(`   ${s}: ready on :${ports[s]} (NODE_ENV=${env.NODE_ENV})`);
    }
    start('router', localNode(runtime.cmd)); // the image's CMD, as `docker run` would start it
    await waitFor(async () => (children.get('router')!.exitCode === null ? ready(health('router')) : Promise.reject(new Error('router exited'))), 'router /health/ready', 60_000);
    log(`   router: /health/ready 200 on :${ports.router} (${runtime.cmd.join(' ')})`);
    if (runtime.healthcheck) {
      execFileSync(localNode(runtime.healthcheck)[0]!, localNode(runtime.healthcheck).slice(1), { cwd: app, env: { ...env, PORT: String(ports.router) }, timeout: 5_000 });
      log('   HEALTHCHECK: passes against the router');
    }
    failed = false;
  } finally {
    const exits = await Promise.all(
      [...children].map(async ([s, child]) => {
        if (child.exitCode === null) child.kill('SIGTERM');
        const code = await Promise.race([exitOf(child), new Promise<'hung'>((r) => setTimeout(() => r('hung'), 15_000).unref())]);
        if (code === 'hung') child.kill('SIGKILL');
        return [s, code] as const;
      }),
    );
    const unclean = exits.filter(([, code]) => code !== 0);
    if (failed || unclean.length) tails();
    if (!failed && unclean.length) throw new Error(`services did not stop cleanly on SIGTERM: ${unclean.map(([s, c]) => `${s} (${c})`).join(', ')}`);
    log('   every service stopped on SIGTERM with exit code 0');
  }
}
