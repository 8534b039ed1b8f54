import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase } from '@palisade/kit/testing/databases';
import { resolveTestServers } from '@palisade/kit/testing/real-servers';
import { assembleContext, buildContextFiles, missingCopySources, readDockerfile } from './dry-build-context.ts';
import { startServicesFromImage } from './dry-build-services.ts';
import { runStages, type BuiltStage } from './dry-build-stages.ts';

// `npm run image:dry-build` (and .ci/run): builds ops/docker/Dockerfile without a Docker engine and runs what it
// produced. `--keep` leaves the temporary tree for a look. Exit code 1 on any failure.
const keep = process.argv.includes('--keep');
const log = (line: string) => process.stdout.write(`${line}\n`);
// Packages only a build needs: finding one in the runtime tree means dev dependencies were installed.
const DEV_ONLY = ['tsx', 'typescript', 'vitest', 'esbuild', 'vite', 'dependency-cruiser'];

const mib = (dir: string) => Number(execFileSync('du', ['-sm', dir], { encoding: 'utf8' }).split('\t')[0]);

function checkRuntime(runtime: BuiltStage): void {
  const app = join(runtime.root, runtime.workdir);
  const problems: string[] = [];
  if (runtime.env.NODE_ENV !== 'production') problems.push('NODE_ENV is not production');
  if (!runtime.user || runtime.user === 'root' || runtime.user === '0') problems.push('runs as root');
  if (runtime.cmd?.[0] !== 'node' || !runtime.cmd[1]?.endsWith('.js')) problems.push(`CMD is not node running compiled JavaScript: ${runtime.cmd?.join(' ')}`);
  const present = DEV_ONLY.filter((p) => existsSync(join(app, 'node_modules', p)));
  if (present.length) problems.push(`dev dependencies installed: ${present.join(', ')}`);
  const typescript = readdirSync(join(app, 'dist')).filter((f) => f.endsWith('.ts'));
  if (typescript.length) problems.push(`TypeScript in dist/: ${typescript.join(', ')}`);
  if (problems.length) throw new Error(`runtime stage: ${problems.join('; ')}`);
  log(`   runtime tree: ${mib(app)} MiB (node_modules ${mib(join(app, 'node_modules'))} MiB, dist ${mib(join(app, 'dist'))} MiB), user ${runtime.user}, CMD ${runtime.cmd!.join(' ')}`);
}

async function main(): Promise<void> {
  const started = Date.now();
  const scratch = mkdtempSync(join(tmpdir(), 'palisade-dry-build-'));
  const { args, stages } = readDockerfile();
  try {
    log('== build context (.dockerignore honoured)');
    const files = buildContextFiles();
    const missing = missingCopySources(files);
    if (missing.length) throw new Error(`COPY sources missing from the build context:\n  ${missing.join('\n  ')}`);
    assembleContext(files, join(scratch, 'context'));
    log(`   ${files.length} files, ${mib(join(scratch, 'context'))} MiB; every COPY source is in it`);
    const base = stages.map((s) => s.base).find((b) => b.startsWith('node:'));
    const wanted = /^node:(\d+\.\d+\.\d+)/.exec(base ?? '')?.[1];
    if (wanted && `v${wanted}` !== process.version) log(`   note: the image's base is node ${wanted}, this machine runs ${process.version}`);

    log('== Dockerfile steps');
    const built = await runStages(stages, { context: join(scratch, 'context'), scratch: join(scratch, 'stages'), globalArgs: args, log });
    const runtime = built[stages.at(-1)!.name]!;
    checkRuntime(runtime);

    log('== services from the runtime tree, NODE_ENV=production, on real Postgres and Redis');
    const servers = await resolveTestServers();
    try {
      if (!servers.databaseUrl || !servers.redisUrl) throw new Error('no real Postgres or Redis (set TEST_DATABASE_URL / TEST_REDIS_URL, or install the servers)');
      const database = await createTestDatabase(servers.databaseUrl);
      try {
        mkdirSync(join(scratch, 'logs'));
        await startServicesFromImage(runtime, { databaseUrl: database.url, redisUrl: servers.redisUrl }, join(scratch, 'logs'), log);
      } finally {
        await database.drop();
      }
    } finally {
      await servers.stop();
    }
    log(`== dry build passed in ${Math.round((Date.now() - started) / 1000)} s`);
  } finally {
    if (keep) log(`   kept ${scratch}`);
    else execFileSync('rm', ['-rf', scratch]); // faster than rmSync on two node_modules trees
  }
}

main().catch((err: Error) => {
  log(`dry build FAILED: ${err.message}`);
  process.exitCode = 1;
});
