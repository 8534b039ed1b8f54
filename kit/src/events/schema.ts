import { z } from 'zod';

/**
 * Integration events: what one subgraph tells the others through a stream. The schema is a contract
 * (docs/events.md): a field may be added under the same version; removing, renaming or retyping one is a new
 * version of the type, published beside the old one until its consumers have moved.
 */
export const ORDER_EVENT_TYPES = ['order.placed', 'order.confirmed', 'order.shipped', 'order.delivered', 'order.cancelled'] as const;
export const CATALOG_EVENT_TYPES = ['product.low_stock'] as const;
export type OrderEventType = (typeof ORDER_EVENT_TYPES)[number];
export type CatalogEventType = (typeof CATALOG_EVENT_TYPES)[number];

/** The streams events travel on (under the store's key prefix), one per producing subgraph. */
export const EVENT_STREAMS = { orders: 'events:orders', catalog: 'events:catalog' } as const;

const money = z.object({ amount: z.string().regex(/^\d{1,12}(\.\d{1,4})?$/), currency: z.string().regex(/^[A-Z]{3}$/) });
const envelope = { id: z.uuid(), version: z.literal(1), occurredAt: z.iso.datetime() };

export const orderEventSchema = z.object({
  ...envelope,
  type: z.enum(ORDER_EVENT_TYPES),
  data: z.object({
    orderId: z.uuid(),
    customerId: z.uuid(),
    status: z.enum(['PENDING', 'CONFIRMED', 'SHIPPED', 'DELIVERED', 'CANCELLED']),
    /** The status it left (null when placed). */
    previousStatus: z.enum(['PENDING', 'CONFIRMED', 'SHIPPED', 'DELIVERED', 'CANCELLED']).nullable(),
    total: money,
  }),
});

export const catalogEventSchema = z.object({
  ...envelope,
  type: z.enum(CATALOG_EVENT_TYPES),
  data: z.object({
    productId: z.uuid(),
    sku: z.string().max(200),
    name: z.string().max(500),
    available: z.number().int().nonnegative(),
    reorderPoint: z.number().int().nonnegative(),
  }),
});

export const integrationEventSchema = z.discriminatedUnion('type', [orderEventSchema, catalogEventSchema]);

export type OrderIntegrationEvent = z.infer<typeof orderEventSchema>;
export type CatalogIntegrationEvent = z.infer<typeof catalogEventSchema>;
export type IntegrationEvent = z.infer<typeof integrationEventSchema>;

const laterVersion = z.object({ id: z.uuid(), type: z.string().max(100), version: z.number().int().min(2) });

/**
 * An event read back from a stream: a known event of a known version; a later version of some type (published
 * beside the version this code reads, see docs/events.md: skipped, not an error); or poison (a dead letter).
 */
export type ReadEvent = { event: IntegrationEvent } | { laterVersion: true } | { poison: string };

export function readIntegrationEvent(raw: unknown): ReadEvent {
  if (typeof raw !== 'string') return { poison: 'no event field' };
  if (raw.length > 64_000) return { poison: 'event too large' };
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { poison: 'not JSON' };
  }
  const parsed = integrationEventSchema.safeParse(json);
  if (parsed.success) return { event: parsed.data };
  return laterVersion.safeParse(json).success ? { laterVersion: true } : { poison: 'not a known event of a known version' };
}

/** The event, when it is one this code reads; null otherwise. */
export function parseIntegrationEvent(raw: unknown): IntegrationEvent | null {
  const r = readIntegrationEvent(raw);
  return 'event' in r ? r.event : null;
}

/** The stream entry's fields: the event whole (JSON) and its id and type, for tools reading the stream. */
export const eventFields = (e: IntegrationEvent): Record<string, string> => ({ id: e.id, type: e.type, event: JSON.stringify(e) });
