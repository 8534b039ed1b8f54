import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'graphql';
import { badInput } from '@palisade/auth';
import { createAuditWriter, envInt, isUuid, runSubgraph, type SubgraphOptions } from '@palisade/kit';
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
      trusts: ['product'],
      build: (rt) => {
        const orders = new OrderService({ db: rt.database.db, audit: createAuditWriter('order', auditOutbox), keys: rt.keys, productBase: () => rt.peerBase('product'), log: rt.log });
        return {
          name: 'order',
          stopWith: [orders.startRestockRetries(envInt('RESTOCK_RETRY_MS', 10_000))],
          typeDefs,
          resolvers,
          policies,
          createContext: createOrderContext(orders),
          internal: {
            // The product subgraph settling a reservation nobody confirmed asks whether its order exists.
            '/internal/orders/exists': {
              from: ['product'],
              handle: async (body) => {
                const ref = (body as { orderRef?: unknown } | null)?.orderRef;
                if (!isUuid(ref)) throw badInput('malformed question');
                return { exists: (await orders.byIds([ref]))[0] !== null };
              },
            },
          },
        };
      },
    },
    o,
  );
}
