import DataLoader from 'dataloader';
import type { SubgraphContext } from '@palisade/kit';
import type { OrderItemRow, OrderRow } from './db/schema.ts';
import type { OrderService } from './services/order.service.ts';

export interface OrderContext extends SubgraphContext {
  orders: OrderService;
  orderById: DataLoader<string, OrderRow | null>;
  itemsByOrder: DataLoader<string, OrderItemRow[]>;
}

export const createOrderContext = (orders: OrderService) => (base: SubgraphContext): OrderContext => ({
  ...base,
  orders,
  orderById: new DataLoader((ids) => orders.byIds(ids)),
  itemsByOrder: new DataLoader((ids) => orders.itemsFor(ids)),
});
