import { fileURLToPath } from 'node:url';
import { badInput } from '@palisade/auth';
import { announceCatalogChange, defineSubgraph, EVENT_STREAMS, eventStreamOf, startEventRelay, startSubgraph, type SubgraphOptions } from '@palisade/kit';
import { auditOutbox, eventOutbox } from './db/schema.ts';
import { resolvers } from './resolvers/index.ts';
import { policies } from './rules.ts';
import { createProductContext } from './context.ts';
import { CatalogService } from './services/catalog.service.ts';
import { CategoryService } from './services/category.service.ts';
import { StockService, parseReserveRequest } from './services/stock.service.ts';
import { announcingChanges } from './services/catalog-changes.ts';
import { seedDemoCatalog } from './services/seed.ts';
import { parseQuoteRequest, quoteProducts } from './services/quotes.ts';
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
    if (rt.config.product.seedDemoData) await seedDemoCatalog(rt.database.db);
    // The router's public cache serves an answer only under the catalog version it was computed with: a new one
    // at start (this replica may run different code or data) and after each committed change.
    const announce = () => announceCatalogChange(rt.store);
    await announce().catch((err: Error) => rt.log.warn({ err: err.message }, 'catalog version not announced; the router caches nothing until it is'));
    const { db, audit } = announcingChanges({ db: rt.database.db, audit: rt.audit, announce, log: rt.log });
    const stockOuts = rt.metrics.counter('palisade_stock_outs_total', "Times a product's available stock reached 0 (by an order's reservation or an adjustment)");
    const onStockOut = () => stockOuts.inc();
    return {
      catalog: new CatalogService({ db, audit, onStockOut }),
      categories: new CategoryService({ db, audit }),
      stock: new StockService({ db, audit, onStockOut }),
      quote: (ids: string[]) => quoteProducts(rt.database.db, ids),
    };
  },
  context: (base, { catalog, categories }) => createProductContext(catalog, categories)(base),
  // Low-stock events go from the outbox (the source of truth) to the catalog stream, at least once (docs/events.md).
  jobs: (_, { database, store, log, metrics }) => [startEventRelay({ name: 'catalog', db: database.db, table: eventOutbox, stream: eventStreamOf(store), streamName: EVENT_STREAMS.catalog, log, metrics, intervalMs: 200 })],
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
    // Read-only: what the order subgraph's carts show and check (names, current prices, stock available now).
    '/internal/catalog/quote': {
      from: ['order'],
      handle: async ({ quote }, body) => {
        const ids = parseQuoteRequest(body);
        if (!ids) throw badInput('malformed quote request');
        return quote(ids);
      },
    },
    '/internal/stock/release': { from: ['order'], handle: async ({ stock }, body, claims) => stock.release(claims.caller, orderRefOf(body, 'release')) },
  },
});

export const startProductSubgraph = (o: SubgraphOptions) => startSubgraph(productSubgraph, o);
