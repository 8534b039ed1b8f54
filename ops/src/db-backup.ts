import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { childEnvironment, pgliteDirFor, SUBGRAPH_NAMES, type PalisadeConfig } from '@palisade/kit';
import { userSubgraph } from '@palisade/user';
import { productSubgraph } from '@palisade/product';
import { orderSubgraph } from '@palisade/order';
import { securitySubgraph } from '@palisade/security';

/**
 * `db backup` and `db restore`: the subgraphs' schemas of DATABASE_URL as one pg_dump archive (custom format),
 * and back. Each schema holds its own tables and migration bookkeeping (__migrations), so an archive is the
 * whole state of the system; roles (palisade_security_service) live in the cluster and are not in it.
 */
export const BACKUP_SCHEMAS = [userSubgraph, productSubgraph, orderSubgraph, securitySubgraph].map((d) => d.dbSchema);

/** A refusal the operator can act on: printed as it is, no stack. */
export class BackupRefused extends Error {}

/** The database to work on, or a refusal saying what to do instead. */
export function backupTarget(config: PalisadeConfig): string {
  const url = config.database.url;
  const own = SUBGRAPH_NAMES.filter((n) => config.database.urls[n] && config.database.urls[n] !== url);
  if (!url) {
    const dirs = SUBGRAPH_NAMES.map((n) => pgliteDirFor(config.dataDir, n)).join(', ');
    throw new BackupRefused(
      `DATABASE_URL is not set: the services keep their data in embedded PGlite. To back that up, stop them (npm start) and copy the data directories (${dirs}), e.g. tar -czf palisade-data.tgz ${join(config.dataDir, 'pglite')}; restore by putting them back while stopped.`,
    );
  }
  if (own.length) {
    const vars = own.map((n) => `${n.toUpperCase()}_DATABASE_URL`).join(', ');
    throw new BackupRefused(`${vars} give subgraphs databases of their own; an archive of DATABASE_URL alone would miss them. Back up each database with pg_dump -Fc -n <its schema>.`);
  }
  return url;
}

/** pg_dump or pg_restore from PATH, else from the newest /usr/lib/postgresql/<version>/bin. */
export function findPgTool(tool: 'pg_dump' | 'pg_restore' | 'psql', env: NodeJS.ProcessEnv = childEnvironment()): string {
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, tool);
    if (isFile(candidate)) return candidate;
  }
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) {
    const candidate = join(root, v, 'bin', tool);
    if (isFile(candidate)) return candidate;
  }
  throw new BackupRefused(`${tool} was not found on PATH or in /usr/lib/postgresql/*/bin: install the Postgres client tools (Debian: apt-get install postgresql-client), of the server's major version or newer.`);
}

const isFile = (p: string) => {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
};

/**
 * The URL without its password, which goes to the tool in PGPASSWORD instead: a command line is readable by
 * every user of the machine (ps), the environment of a process is not. libpq also reads ?password=, so that
 * one is moved too.
 */
export function connection(url: string): { dbname: string; env: NodeJS.ProcessEnv } {
  const u = new URL(url);
  const password = decodeURIComponent(u.password) || u.searchParams.get('password') || '';
  u.password = '';
  u.searchParams.delete('password');
  return { dbname: u.toString(), env: childEnvironment(password ? { PGPASSWORD: password } : {}) };
}

/** Runs a client tool; on failure its own message (Postgres' words, without the password) is the error. */
function runTool(tool: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
    child.on('error', (e) => reject(new BackupRefused(`${tool} could not be run: ${e.message}`)));
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new BackupRefused(`${tool.split('/').pop()} failed (exit ${code}): ${err.trim().split('\n').slice(-5).join(' | ')}`))));
  });
}

export async function backupDatabase(config: PalisadeConfig, file: string): Promise<string> {
  const { dbname, env } = connection(backupTarget(config));
  const pgDump = findPgTool('pg_dump');
  await runTool(pgDump, ['--format=custom', `--file=${file}`, ...BACKUP_SCHEMAS.map((s) => `--schema=${s}`), `--dbname=${dbname}`], env);
  return `backed up schemas ${BACKUP_SCHEMAS.join(', ')} to ${file} (${statSync(file).size} bytes)`;
}

/**
 * Into a database without the subgraphs' schemas, or with `clean`, over them: pg_restore drops and recreates
 * them in the same single transaction, so a restore that fails half-way leaves the database as it was.
 */
export async function restoreDatabase(config: PalisadeConfig, file: string, o: { clean: boolean }): Promise<string> {
  if (!isFile(file)) throw new BackupRefused(`${file}: no such backup file`);
  const { dbname, env } = connection(backupTarget(config));
  const pgRestore = findPgTool('pg_restore');
  if (!o.clean) {
    const list = BACKUP_SCHEMAS.map((s) => `'${s}'`).join(',');
    const present = (await runTool(findPgTool('psql'), ['-XAtq', `--dbname=${dbname}`, '-c', `select nspname from pg_namespace where nspname in (${list}) order by 1`], env)).split('\n').filter(Boolean);
    if (present.length) throw new BackupRefused(`the database already has schemas ${present.join(', ')}: restore into an empty database, or pass --clean to replace them (stop the services first).`);
  }
  await runTool(pgRestore, ['--single-transaction', '--exit-on-error', ...(o.clean ? ['--clean', '--if-exists'] : []), `--dbname=${dbname}`, resolve(file)], env); // absolute: a name starting with '-' is not read as an option
  return `restored schemas ${BACKUP_SCHEMAS.join(', ')} from ${file}`;
}
