import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'graphql';
import { randomBytes } from 'node:crypto';
import { createAuditWriter, envOptional, isProduction, runSubgraph, ConfigError, sendJson, type SubgraphOptions } from '@palisade/kit';
import { auditOutbox } from './db/schema.ts';
import { resolvers } from './resolvers/index.ts';
import { policies } from './rules.ts';
import { createUserContext } from './context.ts';
import { AccountService } from './services/account.service.ts';
import { SigningKeyService } from './services/signing-keys.service.ts';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
export const typeDefs = parse(readFileSync(here('./schema.graphql'), 'utf8'));

export async function startUserSubgraph(o: SubgraphOptions) {
  let accounts!: AccountService;
  const running = await runSubgraph(
    {
      name: 'user',
      migrationsFolder: here('./db/migrations'),
      outbox: auditOutbox,
      build: async (rt) => {
        const keys = new SigningKeyService(rt.database.db);
        // Loaded before serving: signing inside a request's transaction must never have to create a key.
        await keys.signingKey();
        accounts = new AccountService({ db: rt.database.db, keys, audit: createAuditWriter('user', auditOutbox) });
        return {
          name: 'user',
          typeDefs,
          resolvers,
          policies,
          createContext: createUserContext(accounts),
          routes: { 'GET /.well-known/jwks.json': async ({ res }) => sendJson(res, 200, await keys.jwks(), { 'cache-control': 'public, max-age=60' }) },
        };
      },
    },
    o,
  );
  await bootstrapAdmin(accounts);
  return running;
}

/** The first administrator, from ADMIN_EMAIL / ADMIN_PASSWORD; in development a generated one, shown once. */
async function bootstrapAdmin(accounts: AccountService) {
  const email = envOptional('ADMIN_EMAIL');
  const password = envOptional('ADMIN_PASSWORD');
  if (isProduction() && (!email || !password)) throw new ConfigError('ADMIN_EMAIL and ADMIN_PASSWORD are required in production');
  const adminEmail = email ?? 'admin@palisade.local';
  const adminPassword = password ?? randomBytes(18).toString('base64url');
  const created = await accounts.ensureAdmin(adminEmail, adminPassword);
  if (created && !password) {
    // Printed once, on the start that created it; later starts find the account and stay quiet.
    process.stdout.write(`\n  Palisade administrator created: ${adminEmail} / ${adminPassword}\n  (set ADMIN_EMAIL and ADMIN_PASSWORD to choose them)\n\n`);
  }
}
