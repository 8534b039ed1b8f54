import { serviceUnavailable, type Caller } from '@palisade/auth';
import { ServiceCallError, type Logger, type ServiceClient } from '@palisade/kit';
import type { OrderLine } from './validation.ts';

export type ReservedItem = { productId: string; name: string; quantity: number; unitPriceCents: number; currency: string };
export type ReserveAnswer =
  | { ok: true; items: ReservedItem[] }
  | { ok: false; code: string; productId?: string; message: string };

/** The catalog's word on a product, as carts show and check it (product's services/quotes.ts). */
export interface Quote {
  productId: string;
  name: string;
  priceCents: number;
  currency: string;
  available: number;
  active: boolean;
}

/** The product subgraph's stock routes, as this subgraph calls them (signed, through the service client). */
export class ProductStock {
  constructor(private readonly d: { peers: ServiceClient; log: Logger }) {}

  /** All items or none, once per order however often it is asked; throws when product cannot be reached. */
  reserve(caller: Caller | null, orderId: string, items: OrderLine[]): Promise<ReserveAnswer> {
    return this.d.peers.post<ReserveAnswer>('product', '/internal/stock/reserve', { orderRef: orderId, items }, { caller });
  }

  /** Current names, prices and stock of these products, in one call; products the catalog does not know are absent. */
  async quote(caller: Caller | null, productIds: string[]): Promise<Map<string, Quote>> {
    if (!productIds.length) return new Map();
    let quotes: Quote[];
    try {
      ({ quotes } = await this.d.peers.post<{ quotes: Quote[] }>('product', '/internal/catalog/quote', { productIds }, { caller }));
    } catch (err) {
      if (err instanceof ServiceCallError) throw serviceUnavailable('The catalog cannot be reached right now; retry shortly');
      throw err;
    }
    return new Map(quotes.map((q) => [q.productId, q]));
  }

  /** True once product keeps the stock for good (confirmed now, or already confirmed or released before). */
  confirm(caller: Caller | null, orderId: string): Promise<boolean> {
    return this.settle(caller, orderId, '/internal/stock/confirm', 'could not confirm stock reservation');
  }

  /** True once product holds no stock for the order (released now, or never held / already released). */
  release(caller: Caller | null, orderId: string): Promise<boolean> {
    return this.settle(caller, orderId, '/internal/stock/release', 'could not release stock reservation');
  }

  private async settle(caller: Caller | null, orderId: string, path: string, failed: string): Promise<boolean> {
    try {
      await this.d.peers.post('product', path, { orderRef: orderId }, { caller });
      return true;
    } catch (err) {
      this.d.log.warn({ orderId, err: (err as Error).message }, failed);
      return false;
    }
  }
}
