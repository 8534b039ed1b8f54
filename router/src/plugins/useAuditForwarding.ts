import { buildAuditRecord, deliverAuditRecords, memoryAuditBuffer, redisStreamAuditBuffer, reportDelivery, signedAuditSender, type AuditInput, type Logger, type RedisStore, type ServiceClient, type Store } from '@palisade/kit';
import type { Caller } from '@palisade/auth';

export interface AuditForwardingOptions {
  /** The router's service client; events go to its `security` peer. */
  client: ServiceClient;
  log: Logger;
  /** With Redis, events wait in a stream shared by all replicas and survive a crash; otherwise in memory. */
  store?: Store | null;
  intervalMs?: number;
}

const ROUNDS_PER_FLUSH = 20;

/**
 * The router has no database: its own events (refused tokens, refused operations, suspicious input) wait in a
 * buffer and go to the security subgraph in signed batches. Each record is settled by the receiver's verdict
 * (stored, duplicate, or set aside as a dead letter), so a record it can never take is never sent again;
 * only transient failures are retried, with backoff.
 */
export function useAuditForwarding(o: AuditForwardingOptions) {
  const redis = o.store?.redis;
  const buffer = redis ? redisStreamAuditBuffer({ redis, prefix: (o.store as Partial<RedisStore>).prefix }, 'audit:router', o.log) : memoryAuditBuffer(o.log);
  const send = signedAuditSender(o.client);
  let sending: Promise<void> | null = null;
  let failures = 0;
  let retryAt = 0;

  const drain = async () => {
    await buffer.exclusive(async () => {
      for (let round = 0; round < ROUNDS_PER_FLUSH; round++) {
        const items = await buffer.peek(500);
        if (!items.length) return;
        const r = await deliverAuditRecords(send, items.map((i) => i.record));
        reportDelivery(o.log, 'router', r);
        await buffer.settle(items.slice(0, r.settled).map((i) => i.handle));
        if (r.transient) throw r.transient;
      }
    });
  };
  const flush = () => {
    if (sending || Date.now() < retryAt) return sending;
    sending = drain()
      .then(() => {
        failures = 0;
      })
      .catch(async (err) => {
        failures++;
        retryAt = Date.now() + Math.min(10_000, 250 * 2 ** Math.min(failures, 6));
        if (failures % 20 === 1) o.log.warn({ err: (err as Error).message, pending: await buffer.pending().catch(() => null) }, 'router audit events not delivered yet; will retry');
      })
      .finally(() => {
        sending = null;
      });
    return sending;
  };
  const timer = setInterval(() => void flush(), o.intervalMs ?? 300);
  timer.unref();
  return {
    durable: buffer.durable,
    record(caller: Caller | null, input: AuditInput) {
      buffer.push(buildAuditRecord('router', caller, input));
    },
    pending: () => buffer.pending(),
    async stop() {
      clearInterval(timer);
      await sending;
      retryAt = 0;
      await flush();
      const left = await buffer.pending().catch(() => 0);
      if (left) o.log[buffer.durable ? 'info' : 'error']({ pending: left }, buffer.durable ? 'router audit events left in the stream for the next router' : 'router audit events lost at stop');
    },
  };
}

export type AuditForwarder = ReturnType<typeof useAuditForwarding>;
