import { fileURLToPath } from 'node:url';
import { defineSubgraph, EVENT_STREAMS, eventStreamOf, startEventRelay, startSubgraph, type SubgraphOptions } from '@palisade/kit';
import { auditOutbox, eventOutbox } from './db/schema.ts';
import { resolvers } from './resolvers/index.ts';
import { policies } from './rules.ts';
import { createOrderContext } from './context.ts';
import { OrderService } from './services/order.service.ts';
import { orderKpis } from './services/order-kpis.ts';
import { CUSTOMER_ERASE_PATH, CUSTOMER_EXPORT_PATH, eraseCustomer, exportCustomer } from './services/customer-data.ts';
import { CartService } from './services/cart.service.ts';
import { ProductStock } from './services/product-stock.ts';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
/** How often the order events' relay looks for unpublished ones. */
const EVENT_RELAY_INTERVAL_MS = 200;

export const orderSubgraph = defineSubgraph({
  name: 'order',
  dbSchema: 'orders',
  migrationsFolder: here('./db/migrations'),
  sdlFile: here('./schema.graphql'),
  resolvers,
  policies,
  outbox: auditOutbox,
  peers: ['product'],
  services: (rt) => {
    const orders = new OrderService({ db: rt.database.db, audit: rt.audit, peers: rt.peers, log: rt.log, onOrder: orderKpis(rt.metrics) });
    const carts = new CartService({ db: rt.database.db, audit: rt.audit, stock: new ProductStock({ peers: rt.peers, log: rt.log }), orders, shopCurrency: rt.config.order.shopCurrency });
    return { orders, carts, db: rt.database.db };
  },
  context: (base, { orders, carts }) => createOrderContext(orders, carts)(base),
  jobs: ({ orders }, { config, database, store, log, metrics }) => [
    orders.startRestockRetries(config.order.restockRetryMs),
    // Order events go from the outbox (the source of truth) to the orders stream, at least once (docs/events.md).
    startEventRelay({ name: 'orders', db: database.db, table: eventOutbox, stream: eventStreamOf(store), streamName: EVENT_STREAMS.orders, log, metrics, intervalMs: EVENT_RELAY_INTERVAL_MS }),
    // Reservations are settled from here, never by the product subgraph asking back (services/stock-holds.ts).
    orders.startReservationSettling(config.order.reservationSweepMs, config.order.reservationTtlSeconds),
  ],
  // Customers' data rights: the user subgraph asks for a customer's orders and cart, or has them erased.
  internal: {
    [CUSTOMER_EXPORT_PATH]: { from: ['user'], handle: (s, body) => exportCustomer(s.db, body) },
    [CUSTOMER_ERASE_PATH]: { from: ['user'], handle: (s, body) => eraseCustomer(s.db, body) },
  },
});

export const startOrderSubgraph = (o: SubgraphOptions) => startSubgraph(orderSubgraph, o);
