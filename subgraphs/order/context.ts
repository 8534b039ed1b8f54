import DataLoader from 'dataloader';
import type { SubgraphContext } from '@palisade/kit';
import type { OrderItemRow, OrderRow } from './db/schema.ts';
import type { OrderService } from './services/order.service.ts';
import type { CartService } from './services/cart.service.ts';

export interface OrderContext extends SubgraphContext {
  orders: OrderService;
  carts: CartService;
  orderById: DataLoader<string, OrderRow | null>;
  itemsByOrder: DataLoader<string, OrderItemRow[]>;
}

export const createOrderContext = (orders: OrderService, carts: CartService) => (base: SubgraphContext): OrderContext => ({
  ...base,
  orders,
  carts,
  orderById: new DataLoader((ids) => orders.byIds(ids)),
  itemsByOrder: new DataLoader((ids) => orders.itemsFor(ids)),
});
