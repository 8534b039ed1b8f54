import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'graphql';
import { createAuditWriter, runSubgraph, type SubgraphOptions } from '@palisade/kit';
import { auditOutbox } from './db/schema.ts';
import { resolvers } from './resolvers/index.ts';
import { policies } from './rules.ts';
import { createOrderContext } from './context.ts';
import { OrderService } from './services/order.service.ts';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
export const typeDefs = parse(readFileSync(here('./schema.graphql'), 'utf8'));

export async function startOrderSubgraph(o: SubgraphOptions) {
  return runSubgraph(
    {
      name: 'order',
      migrationsFolder: here('./db/migrations'),
      outbox: auditOutbox,
      build: (rt) => {
        const orders = new OrderService({ db: rt.database.db, audit: createAuditWriter('order', auditOutbox), keys: rt.keys, productBase: () => rt.peerBase('product'), log: rt.log });
        return { name: 'order', typeDefs, resolvers, policies, createContext: createOrderContext(orders) };
      },
    },
    o,
  );
}
