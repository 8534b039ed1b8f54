import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { bodyHash, CONTEXT_HEADER, verifyContext } from '@palisade/auth';
import { loadInternalKeys } from '@palisade/kit';

/*
 * The product subgraph as the order subgraph sees it: its signed internal stock and quote routes, over real HTTP.
 * Subgraphs never import each other, tests included, so the order suite talks to this stand-in; the product
 * subgraph's own suite proves the real routes, and the e2e suites prove the two together.
 * It keeps product's promises: a reservation is all-or-nothing, a retry of the same order answers the same,
 * and a release puts stock back once. Unsigned or forged calls are refused as the real one refuses them.
 */

interface Item {
  name: string;
  priceCents: number;
  currency: string;
  stock: number;
  active: boolean;
}
type Reserved = { productId: string; name: string; quantity: number; unitPriceCents: number; currency: string };

export interface ProductStandIn {
  url: string;
  /** Adds a product; `price` as the API writes it ("12.34"). */
  add(price: string, stock: number): string;
  archive(id: string): void;
  /** Changes a product's price or currency, as a manager's update would. */
  reprice(id: string, price: string, currency?: string): void;
  stockOf(id: string): number;
  /** While down it answers every call 503, as an unreachable product subgraph would look through a proxy. */
  down: boolean;
  /** While set, confirmations are lost on the way: answered 503 and not applied. */
  loseConfirms: boolean;
  /** Runs after a reservation is made and before it is answered: what happens while a placement waits. */
  onReserve: (() => Promise<unknown>) | null;
  /** Runs after a quote is answered: what happens between a cart's check and its reservation. */
  onQuote: (() => void) | null;
  /** Awaited before a quote is answered: what happens while a cart change waits on the catalog. */
  beforeQuote: (() => Promise<void>) | null;
  /** Quote calls answered so far. */
  quoted: number;
  /** Reserves as if the order subgraph had asked (a placement that died before writing its order). */
  reserve(orderRef: string, productId: string, quantity: number): void;
  reservationOf(orderRef: string): 'held' | 'confirmed' | 'released' | undefined;
  /** Calls refused for a bad signature (always expected to be 0). */
  refused: number;
  close(): Promise<void>;
}

export async function startProductStandIn(): Promise<ProductStandIn> {
  const { trusted } = await loadInternalKeys('product', ['order']);
  const catalog = new Map<string, Item>();
  const reservations = new Map<string, { items: Reserved[]; status: 'held' | 'confirmed' | 'released' }>();

  const routes: Record<string, (body: any) => unknown> = {
    '/internal/stock/reserve': ({ orderRef, items }: { orderRef: string; items: { productId: string; quantity: number }[] }) => {
      const done = reservations.get(orderRef);
      if (done) return done.status === 'released' ? { ok: false, code: 'BAD_USER_INPUT', message: 'Reservation was released' } : { ok: true, items: done.items };
      for (const { productId, quantity } of items) {
        const p = catalog.get(productId);
        if (!p || !p.active) return { ok: false, code: 'NOT_FOUND', productId, message: 'Product not available' };
        if (p.stock < quantity) return { ok: false, code: 'OUT_OF_STOCK', productId, message: `Not enough stock for ${p.name}` };
      }
      const reserved = items.map(({ productId, quantity }) => {
        const p = catalog.get(productId)!;
        p.stock -= quantity;
        return { productId, name: p.name, quantity, unitPriceCents: p.priceCents, currency: p.currency };
      });
      reservations.set(orderRef, { items: reserved, status: 'held' });
      return { ok: true, items: reserved };
    },
    '/internal/catalog/quote': ({ productIds }: { productIds: string[] }) => ({
      quotes: productIds.flatMap((productId) => {
        const p = catalog.get(productId);
        return p ? [{ productId, name: p.name, priceCents: p.priceCents, currency: p.currency, available: p.stock, active: p.active }] : [];
      }),
    }),
    '/internal/stock/confirm': ({ orderRef }: { orderRef: string }) => {
      const r = reservations.get(orderRef);
      if (r?.status !== 'held') return { confirmed: false };
      r.status = 'confirmed';
      return { confirmed: true };
    },
    '/internal/stock/release': ({ orderRef }: { orderRef: string }) => {
      const r = reservations.get(orderRef);
      if (!r || r.status === 'released') return { released: false };
      r.status = 'released';
      for (const i of r.items) catalog.get(i.productId)!.stock += i.quantity;
      return { released: true };
    },
  };

  const standIn: ProductStandIn = {
    url: '',
    down: false,
    loseConfirms: false,
    onReserve: null,
    onQuote: null,
    beforeQuote: null,
    quoted: 0,
    refused: 0,
    reserve: (orderRef, productId, quantity) => void routes['/internal/stock/reserve']!({ orderRef, items: [{ productId, quantity }] }),
    reservationOf: (orderRef) => reservations.get(orderRef)?.status,
    add(price, stock) {
      const id = randomUUID();
      catalog.set(id, { name: `Item ${price}`, priceCents: Math.round(Number(price) * 100), currency: 'USD', stock, active: true });
      return id;
    },
    archive: (id) => void (catalog.get(id)!.active = false),
    reprice(id, price, currency) {
      const p = catalog.get(id)!;
      p.priceCents = Math.round(Number(price) * 100);
      if (currency) p.currency = currency;
    },
    stockOf: (id) => catalog.get(id)!.stock,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };

  const server: Server = createServer(async (req, res) => {
    if (standIn.down) return void res.writeHead(503).end();
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const route = routes[req.url ?? ''];
    if (req.method !== 'POST' || !route) return void res.writeHead(404).end();
    const header = req.headers[CONTEXT_HEADER];
    try {
      await verifyContext(typeof header === 'string' ? header : null, { trusted, audience: 'product', digest: bodyHash(raw) });
    } catch {
      standIn.refused++;
      return void res.writeHead(401).end();
    }
    if (standIn.loseConfirms && req.url === '/internal/stock/confirm') return void res.writeHead(503).end();
    const body = JSON.parse(raw.toString('utf8'));
    // As product's parseQuoteRequest: more ids than a cart can hold is a malformed request (400).
    if (req.url === '/internal/catalog/quote' && !(Array.isArray(body.productIds) && body.productIds.length <= 50))
      return void res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'BAD_USER_INPUT', message: 'malformed quote request' } }));
    const answer = route(body);
    if (req.url === '/internal/stock/reserve') await standIn.onReserve?.();
    if (req.url === '/internal/catalog/quote') {
      standIn.quoted++;
      await standIn.beforeQuote?.();
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    if (req.url === '/internal/catalog/quote') standIn.onQuote?.();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  standIn.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return standIn;
}
