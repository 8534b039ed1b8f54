import type { Logger } from '../logger.ts';
import { every } from '../background.ts';
import { readIntegrationEvent, type IntegrationEvent } from './schema.ts';
import type { EventStream, StreamEntry } from './stream.ts';

export interface EventConsumerOptions {
  stream: EventStream;
  streamName: string;
  group: string;
  /** This process's name in the group; a restart under the same name first finishes what it left pending. */
  consumer: string;
  /**
   * Handles one event; must be idempotent by event id (a redelivery after a crash before the ack comes again).
   * Throwing leaves the entry pending, to be retried.
   */
  handle(event: IntegrationEvent, entryId: string): Promise<void>;
  /** Keeps an entry that is not an event we know (a dead letter); it is acked after, and never retried. */
  deadLetter(entry: StreamEntry, reason: string): Promise<void>;
  log: Logger;
  intervalMs: number;
  /** Entries pending on another consumer this long are taken over (it crashed, or was replaced). */
  claimIdleMs: number;
  batch?: number;
}

export interface EventConsumer {
  /** One pass: reclaim, then read new entries, handling and acking each. */
  poll(): Promise<{ handled: number; deadLettered: number; failed: number }>;
  stop(): void;
}

/**
 * A consumer in a Redis Streams group: at least once from the stream, exactly once in effect through the
 * handler's idempotence. On its first pass it takes back its own pending entries (read before a crash, never
 * acked), and each pass takes over entries another consumer left pending past claimIdleMs.
 */
export function startEventConsumer(o: EventConsumerOptions): EventConsumer {
  const batch = o.batch ?? 50;
  let ready: Promise<void> | null = null;
  let reclaimedOwn = false;
  let inFlight: Promise<{ handled: number; deadLettered: number; failed: number }> | null = null;
  let stopped = false;

  const handleAll = async (entries: StreamEntry[], r: { handled: number; deadLettered: number; failed: number }) => {
    for (const entry of entries) {
      if (stopped) return;
      const read = readIntegrationEvent(entry.fields.event);
      try {
        if ('event' in read) {
          await o.handle(read.event, entry.id);
          r.handled++;
        } else if ('poison' in read) {
          await o.deadLetter(entry, read.poison);
          r.deadLettered++;
        }
        // A later version of a type is published beside the one this code reads: acked, nothing to do.
      } catch (err) {
        // Left pending: retried on this consumer's next start or by a claim once idle, never lost.
        r.failed++;
        // The error itself, not its message: the logger's serializer strips the values a database error quotes.
        o.log.warn({ entryId: entry.id, err }, 'event not handled; left pending for a retry');
        continue;
      }
      await o.stream.ack(o.streamName, o.group, [entry.id]);
    }
  };

  const pass = async () => {
    const r = { handled: 0, deadLettered: 0, failed: 0 };
    ready ??= o.stream.ensureGroup(o.streamName, o.group).catch((err) => {
      ready = null;
      throw err;
    });
    await ready;
    // Until one pass has gone through them, this consumer's own pending entries come first (a pass that
    // failed on the way, Redis away at start, tries again next time).
    if (!reclaimedOwn) {
      for (let own; (own = await o.stream.readOwnPending(o.streamName, o.group, o.consumer, batch)).length && !stopped; ) {
        const before = r.failed;
        await handleAll(own, r);
        if (r.failed > before) break; // what failed stays pending; the next start or a claim retries it
      }
      reclaimedOwn = true;
    }
    await handleAll(await o.stream.claimStale(o.streamName, o.group, o.consumer, o.claimIdleMs, batch), r);
    for (let fresh; !stopped && (fresh = await o.stream.readNew(o.streamName, o.group, o.consumer, batch)).length; ) {
      await handleAll(fresh, r);
      if (fresh.length < batch) break;
    }
    return r;
  };

  const poll = () => {
    inFlight ??= pass().finally(() => (inFlight = null));
    return inFlight;
  };
  const job = every(o.intervalMs, o.log, {
    run: poll,
    worthTelling: (r) => r.handled + r.deadLettered + r.failed > 0,
    done: `events consumed from ${o.streamName}`,
    failed: `could not consume events from ${o.streamName}; will retry`,
  });
  return {
    poll,
    stop() {
      stopped = true;
      job.stop();
    },
  };
}
