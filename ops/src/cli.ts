import { fileURLToPath } from 'node:url';
import { dataDir, envOptional, openDatabase, pgliteDirFor } from '@palisade/kit';
import { SigningKeyService } from '@palisade/user';

// `npm run palisade -- <command>`: operator tasks against the same databases the services use.
const USAGE = `usage: npm run palisade -- <command>

  keys rotate     add a new access-token signing key; older public keys stay in the JWKS until their tokens expire
  status          readiness of a running router (ROUTER_URL, default http://localhost:4000)
`;

async function userDatabase() {
  const url = envOptional('USER_DATABASE_URL') ?? envOptional('DATABASE_URL');
  return openDatabase({
    url,
    pgliteDir: url ? undefined : pgliteDirFor(dataDir(), 'user'),
    schema: 'users',
    migrationsFolder: fileURLToPath(new URL('../../subgraphs/user/db/migrations', import.meta.url)),
    applicationName: 'palisade-cli',
  });
}

const [command, sub] = process.argv.slice(2);
switch (`${command ?? ''} ${sub ?? ''}`.trim()) {
  case 'keys rotate': {
    const database = await userDatabase();
    const key = await new SigningKeyService(database.db).rotate();
    await database.close();
    console.log(`new signing key ${key.kid} (${key.alg}); running user subgraphs switch to it within 30 s`);
    break;
  }
  case 'status': {
    const base = envOptional('ROUTER_URL') ?? 'http://localhost:4000';
    const res = await fetch(`${base}/health/ready`).catch(() => null);
    console.log(res ? JSON.stringify(await res.json(), null, 2) : `router at ${base} is not answering`);
    process.exitCode = res?.ok ? 0 : 1;
    break;
  }
  default:
    console.log(USAGE);
    process.exitCode = command ? 1 : 0;
}
