import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'graphql';
import { badInput } from '@palisade/auth';
import { createAuditWriter, envBool, isProduction, runSubgraph, type SubgraphOptions } from '@palisade/kit';
import { auditOutbox } from './db/schema.ts';
import { resolvers } from './resolvers/index.ts';
import { policies } from './rules.ts';
import { createProductContext } from './context.ts';
import { CatalogService } from './services/catalog.service.ts';
import { StockService, parseReserveRequest } from './services/stock.service.ts';
import { seedDemoCatalog } from './services/seed.ts';
import { isUuid } from './services/validation.ts';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
export const typeDefs = parse(readFileSync(here('./schema.graphql'), 'utf8'));

export async function startProductSubgraph(o: SubgraphOptions) {
  return runSubgraph(
    {
      name: 'product',
      migrationsFolder: here('./db/migrations'),
      outbox: auditOutbox,
      trusts: ['order'],
      build: async (rt) => {
        const audit = createAuditWriter('product', auditOutbox);
        const catalog = new CatalogService({ db: rt.database.db, audit });
        const stock = new StockService({ db: rt.database.db, audit });
        if (!isProduction() && envBool('SEED_DEMO_DATA', true)) await seedDemoCatalog(rt.database.db);
        return {
          name: 'product',
          typeDefs,
          resolvers,
          policies,
          createContext: createProductContext(catalog),
          internal: {
            '/internal/stock/reserve': {
              from: ['order'],
              handle: async (body, claims) => {
                const req = parseReserveRequest(body);
                if (!req) throw badInput('malformed reservation');
                return stock.reserve(claims.caller, req);
              },
            },
            '/internal/stock/release': {
              from: ['order'],
              handle: async (body, claims) => {
                const ref = (body as { orderRef?: unknown } | null)?.orderRef;
                if (!isUuid(ref)) throw badInput('malformed release');
                return stock.release(claims.caller, ref);
              },
            },
          },
        };
      },
    },
    o,
  );
}
