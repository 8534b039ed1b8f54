import { fileURLToPath } from 'node:url';
import { defineSubgraph, startSubgraph, type SubgraphOptions } from '@palisade/kit';
import { auditOutbox } from './db/schema.ts';
import { resolvers } from './resolvers/index.ts';
import { policies } from './rules.ts';
import { createOrderContext } from './context.ts';
import { OrderService } from './services/order.service.ts';
import { orderKpis } from './services/order-kpis.ts';
import { CartService } from './services/cart.service.ts';
import { ProductStock } from './services/product-stock.ts';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

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
    return { orders, carts };
  },
  context: (base, { orders, carts }) => createOrderContext(orders, carts)(base),
  jobs: ({ orders }, { config }) => [
    orders.startRestockRetries(config.order.restockRetryMs),
    // Reservations are settled from here, never by the product subgraph asking back (services/stock-holds.ts).
    orders.startReservationSettling(config.order.reservationSweepMs, config.order.reservationTtlSeconds),
  ],
});

export const startOrderSubgraph = (o: SubgraphOptions) => startSubgraph(orderSubgraph, o);
