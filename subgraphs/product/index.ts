import { fileURLToPath } from 'node:url';
import { badInput } from '@palisade/auth';
import { defineSubgraph, startSubgraph, type SubgraphOptions } from '@palisade/kit';
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

const orderRefOf = (body: unknown, what: string) => {
  const ref = (body as { orderRef?: unknown } | null)?.orderRef;
  if (!isUuid(ref)) throw badInput(`malformed ${what}`);
  return ref;
};

export const productSubgraph = defineSubgraph({
  name: 'product',
  dbSchema: 'products',
  migrationsFolder: here('./db/migrations'),
  sdlFile: here('./schema.graphql'),
  resolvers,
  policies,
  outbox: auditOutbox,
  // No peers: the order subgraph settles the reservations it asked for (its services/stock-holds.ts).
  services: async (rt) => {
    const { db } = rt.database;
    if (rt.config.product.seedDemoData) await seedDemoCatalog(db);
    const stockOuts = rt.metrics.counter('palisade_stock_outs_total', "Times a product's available stock reached 0 (by an order's reservation or an adjustment)");
    const onStockOut = () => stockOuts.inc();
    return {
      catalog: new CatalogService({ db, audit: rt.audit, onStockOut }),
      categories: new CategoryService({ db, audit: rt.audit }),
      stock: new StockService({ db, audit: rt.audit, onStockOut }),
    };
  },
  context: (base, { catalog, categories }) => createProductContext(catalog, categories)(base),
  internal: {
    '/internal/stock/reserve': {
      from: ['order'],
      handle: async ({ stock }, body, claims) => {
        const req = parseReserveRequest(body);
        if (!req) throw badInput('malformed reservation');
        return stock.reserve(claims.caller, req);
      },
    },
    '/internal/stock/confirm': { from: ['order'], handle: async ({ stock }, body) => stock.confirm(orderRefOf(body, 'confirmation')) },
    '/internal/stock/release': { from: ['order'], handle: async ({ stock }, body, claims) => stock.release(claims.caller, orderRefOf(body, 'release')) },
  },
});

export const startProductSubgraph = (o: SubgraphOptions) => startSubgraph(productSubgraph, o);
