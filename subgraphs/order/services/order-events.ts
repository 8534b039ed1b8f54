import { randomUUID } from 'node:crypto';
import { money, writeEvent, type DbOrTx, type OrderEventType } from '@palisade/kit';
import { eventOutbox, type OrderRow } from '../db/schema.ts';
import type { OrderEvent, OrderStatus } from './order.service.ts';

/**
 * Writes the integration event of an order's change (kit/src/events/schema.ts, docs/events.md) through the
 * transaction that makes the change: no event without its change, no change without its event.
 */
export function writeOrderEvent(tx: DbOrTx, event: OrderEvent, order: OrderRow, previousStatus: OrderStatus | null) {
  return writeEvent(tx, eventOutbox, {
    id: randomUUID(),
    type: `order.${event}` as OrderEventType,
    version: 1,
    occurredAt: new Date().toISOString(),
    data: { orderId: order.id, customerId: order.customerId, status: order.status as OrderStatus, previousStatus, total: money(order.totalCents, order.currency) },
  });
}
