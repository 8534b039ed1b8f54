import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'graphql';
import { badInput } from '@palisade/auth';
import { createAuditWriter, envBool, envInt, isProduction, postSigned, runSubgraph, type SubgraphOptions } from '@palisade/kit';
import { auditOutbox } from './db/schema.ts';
import { resolvers } from './resolvers/index.ts';
import { policies } from './rules.ts';
import { createProductContext } from './context.ts';
import { CatalogService } from './services/catalog.service.ts';
import { CategoryService } from './services/category.service.ts';
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
        const stock = new StockService({ db: rt.database.db, audit, log: rt.log, ttlSeconds: envInt('RESERVATION_TTL_SECONDS', 120) });
        // Asked with the product subgraph's own signature; the order subgraph trusts it for this one question.
        const orderExists = async (orderRef: string) =>
          (await postSigned<{ exists: boolean }>(rt.keys.signer, 'order', `${rt.peerBase('order')}/internal/orders/exists`, { orderRef }, { timeoutMs: 3_000 })).exists;
        if (!isProduction() && envBool('SEED_DEMO_DATA', true)) await seedDemoCatalog(rt.database.db);
        return {
          name: 'product',
          stopWith: [stock.startSweeper(orderExists, envInt('RESERVATION_SWEEP_MS', 10_000))],
          typeDefs,
          resolvers,
          policies,
          createContext: createProductContext(catalog, new CategoryService({ db: rt.database.db, audit })),
          internal: {
            '/internal/stock/reserve': {
              from: ['order'],
              handle: async (body, claims) => {
                const req = parseReserveRequest(body);
                if (!req) throw badInput('malformed reservation');
                return stock.reserve(claims.caller, req);
              },
            },
            '/internal/stock/confirm': {
              from: ['order'],
              handle: async (body) => {
                const ref = (body as { orderRef?: unknown } | null)?.orderRef;
                if (!isUuid(ref)) throw badInput('malformed confirmation');
                return stock.confirm(ref);
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
