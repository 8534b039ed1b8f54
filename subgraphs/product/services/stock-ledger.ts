import { eq } from 'drizzle-orm';
import { keysetPage, type Connection, type Db } from '@palisade/kit';
import { stockMovements, type StockMovementRow } from '../db/schema.ts';
import * as v from './validation.ts';

/**
 * One product's stock ledger, newest first, by keyset over (created_at, id). Who may read it is the SDL's
 * business (product:manage); an unknown product simply has no movements.
 */
export function stockMovementsOf(db: Db, productId: string, first?: number | null, after?: string | null): Promise<Connection<StockMovementRow>> {
  const id = v.id(productId, 'productId');
  return keysetPage(db, stockMovements, { where: eq(stockMovements.productId, id), first, after, direction: 'desc' });
}
