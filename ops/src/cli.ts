import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { configOrExit, openDatabase, pgliteDirFor } from '@palisade/kit';
import { generateSigningKeyPair } from '@palisade/auth';
import { SigningKeyService } from '@palisade/user';

// `npm run palisade -- <command>`: operator tasks. Changes to accounts go through the API as an administrator,
// so they are authorized and audited like any other; key rotation works on the user database directly.
const USAGE = `usage: npm run palisade -- <command> [options]

  status                                   readiness of the router and each subgraph
  user create --email E --password P [--name N] [--roles ADMIN,MANAGER]
  user roles --id USER_ID --roles MANAGER,AUDITOR
  audit verify                             recompute the audit hash chain; exit 1 if broken
  keys rotate                              new access-token signing key (old public keys stay published until expiry)
  keys internal                            print a fresh set of internal service keys (for PALISADE_KEY_* / PALISADE_PUBKEY_*)
  db backup FILE                           pg_dump of the subgraphs' schemas of DATABASE_URL into FILE (custom format)
  db restore FILE [--clean]                pg_restore FILE into DATABASE_URL: an empty database, or --clean to replace its schemas
  bench                                    run the benchmark (same as npm run bench; BENCH_ROUNDS, BENCH_SECONDS, BENCH_GATEWAYS, BENCH_WORKLOADS shape it)

  The API commands use ROUTER_URL (default http://localhost:4000) and ADMIN_EMAIL / ADMIN_PASSWORD.
  keys rotate uses USER_DATABASE_URL or DATABASE_URL, else the embedded database (stop npm start first).
  db uses pg_dump / pg_restore from PATH or /usr/lib/postgresql/*/bin; stop the services before a restore.
`;

// Operator tasks start no service: no production requirements apply to the CLI itself.
const config = configOrExit('palisade', []);
const router = () => config.cli.routerUrl.replace(/\/$/, '');

async function gql<T>(query: string, variables: Record<string, unknown>, token?: string): Promise<T> {
  const res = await fetch(`${router()}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
  if (body.errors?.length) throw new Error(body.errors.map((e) => `${e.extensions?.code}: ${e.message}`).join('; '));
  return body.data as T;
}

async function adminToken(): Promise<string> {
  const { email, password } = config.user.admin;
  if (!email || !password) throw new Error('set ADMIN_EMAIL and ADMIN_PASSWORD');
  const r = await gql<{ login: { accessToken: string } }>('mutation($i: LoginInput!) { login(input: $i) { accessToken } }', { i: { email, password } });
  return r.login.accessToken;
}

const roles = (s: string | undefined) => (s ?? '').split(',').map((r) => r.trim().toUpperCase()).filter(Boolean);

async function run(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { email: { type: 'string' }, password: { type: 'string' }, name: { type: 'string' }, roles: { type: 'string' }, id: { type: 'string' }, clean: { type: 'boolean' } },
  });
  switch (positionals.slice(0, 2).join(' ')) {
    case 'status': {
      const res = await fetch(`${router()}/health/ready`).catch(() => null);
      console.log(res ? JSON.stringify(await res.json(), null, 2) : `router at ${router()} is not answering`);
      return res?.ok ? 0 : 1;
    }
    case 'user create': {
      if (!values.email || !values.password) throw new Error('user create needs --email and --password');
      const r = await gql<{ register: { user: { id: string } } }>('mutation($i: RegisterInput!) { register(input: $i) { user { id } } }', {
        i: { email: values.email, password: values.password, displayName: values.name ?? values.email.split('@')[0] },
      });
      if (values.roles) await gql('mutation($id: ID!, $r: [Role!]!) { setUserRoles(userId: $id, roles: $r) { id } }', { id: r.register.user.id, r: roles(values.roles) }, await adminToken());
      console.log(`created user ${r.register.user.id}${values.roles ? ` with roles ${roles(values.roles).join(', ')}` : ''}`);
      return 0;
    }
    case 'user roles': {
      if (!values.id || !values.roles) throw new Error('user roles needs --id and --roles');
      const r = await gql<{ setUserRoles: { roles: string[] } }>('mutation($id: ID!, $r: [Role!]!) { setUserRoles(userId: $id, roles: $r) { roles } }', { id: values.id, r: roles(values.roles) }, await adminToken());
      console.log(`roles now ${r.setUserRoles.roles.join(', ')}`);
      return 0;
    }
    case 'audit verify': {
      const r = await gql<{ verifyAuditTrail: { valid: boolean; checked: number; firstBrokenId: string | null } }>('{ verifyAuditTrail { valid checked firstBrokenId } }', {}, await adminToken());
      const v = r.verifyAuditTrail;
      console.log(v.valid ? `audit trail intact: ${v.checked} records checked` : `AUDIT TRAIL BROKEN at record ${v.firstBrokenId} (after ${v.checked - 1} good records)`);
      return v.valid ? 0 : 1;
    }
    case 'keys rotate': {
      const url = config.database.urls.user ?? config.database.url ?? undefined;
      const database = await openDatabase({
        url,
        pgliteDir: url ? undefined : pgliteDirFor(config.dataDir, 'user'),
        poolSize: 1,
        schema: 'users',
        migrationsFolder: fileURLToPath(new URL('../../subgraphs/user/db/migrations', import.meta.url)),
        applicationName: 'palisade-cli',
      });
      const key = await new SigningKeyService(database.db).rotate();
      await database.close();
      console.log(`new signing key ${key.kid} (${key.alg}); running user subgraphs switch to it within 30 s`);
      return 0;
    }
    case 'keys internal': {
      const out: Record<string, string> = {};
      for (const s of ['router', 'user', 'product', 'order', 'security']) {
        const pair = await generateSigningKeyPair('EdDSA');
        out[`PALISADE_KEY_${s.toUpperCase()}`] = JSON.stringify(pair.privateJwk);
        out[`PALISADE_PUBKEY_${s.toUpperCase()}`] = JSON.stringify(pair.publicJwk);
      }
      for (const [k, v] of Object.entries(out)) console.log(`${k}='${v}'`);
      return 0;
    }
    case 'db backup':
    case 'db restore': {
      const file = positionals[2];
      if (!file) throw new Error(`${positionals.slice(0, 2).join(' ')} needs a FILE`);
      // Loaded here: it reads the subgraphs' definitions, which no other command needs.
      const { backupDatabase, restoreDatabase } = await import('./db-backup.ts');
      console.log(positionals[1] === 'backup' ? await backupDatabase(config, file) : await restoreDatabase(config, file, { clean: Boolean(values.clean) }));
      return 0;
    }
    case 'bench': {
      const { spawnSync } = await import('node:child_process');
      const script = fileURLToPath(new URL('../../e2e/bench/run.ts', import.meta.url));
      return spawnSync(process.execPath, ['--import', 'tsx', script], { stdio: 'inherit' }).status ?? 1;
    }
    default:
      console.log(USAGE);
      return positionals.length ? 1 : 0;
  }
}

run(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err) => {
    console.error(`palisade: ${(err as Error).message}`);
    process.exitCode = 1;
  },
);
