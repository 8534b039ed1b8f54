import { randomUUID } from 'node:crypto';
import { writeEvent, type DbOrTx } from '@palisade/kit';
import { eventOutbox, type ProductRow } from '../db/schema.ts';

/** A stock change crossed the reorder point downwards: it was above it, and is now at or below it. */
export const crossesReorderPoint = (before: number, after: number, reorderPoint: number) => before > reorderPoint && after <= reorderPoint;

/**
 * Writes `product.low_stock` through the transaction of the change that crossed the reorder point, once per
 * crossing: further sales below it do not cross again; stock back above it (a restock, a release) re-arms it.
 */
export async function noteLowStock(tx: DbOrTx, product: Pick<ProductRow, 'id' | 'sku' | 'name' | 'reorderPoint'>, before: number, after: number) {
  if (!crossesReorderPoint(before, after, product.reorderPoint)) return false;
  await writeEvent(tx, eventOutbox, {
    id: randomUUID(),
    type: 'product.low_stock',
    version: 1,
    occurredAt: new Date().toISOString(),
    data: { productId: product.id, sku: product.sku.slice(0, 200), name: product.name.slice(0, 500), available: after, reorderPoint: product.reorderPoint },
  });
  return true;
}
