import { hostname } from 'node:os';
import { EVENT_STREAMS, startEventConsumer, type EventConsumer, type EventStream, type Logger } from '@palisade/kit';
import type { NotificationService } from './notification.service.ts';

export interface NotifierOptions {
  stream: EventStream;
  notifications: NotificationService;
  log: Logger;
  intervalMs: number;
  /** Entries another consumer has held unacked this long are taken over. */
  claimIdleMs: number;
  /** This process's name in the group: the same after a restart, so it first finishes what it had read. */
  consumer?: string;
}

/** The consumer group every user subgraph replica joins; each event goes to one of them. */
export const NOTIFIER_GROUP = 'notifier';
export const NOTIFIER_STREAMS = [EVENT_STREAMS.orders, EVENT_STREAMS.catalog] as const;

/** Consumes the order and catalog streams into notifications (and their mail); a subgraph job. */
export class Notifier {
  private consumers: EventConsumer[] = [];
  readonly consumer: string;
  constructor(private readonly o: NotifierOptions) {
    this.consumer = o.consumer ?? `user-${hostname()}`;
  }

  /** Starts consuming; a start after a stop (or a crash) first takes back what this consumer left pending. */
  start(): this {
    this.stop();
    this.consumers = NOTIFIER_STREAMS.map((streamName) =>
      startEventConsumer({
        stream: this.o.stream,
        streamName,
        group: NOTIFIER_GROUP,
        consumer: this.consumer,
        handle: async (event) => void (await this.o.notifications.record(event)),
        deadLetter: async (entry, reason) => {
          await this.o.notifications.deadLetter(streamName, entry, reason);
          this.o.log.warn({ stream: streamName, entryId: entry.id, reason }, 'event set aside as a dead letter');
        },
        log: this.o.log,
        intervalMs: this.o.intervalMs,
        claimIdleMs: this.o.claimIdleMs,
      }),
    );
    return this;
  }

  /** One pass over both streams now (tests; the job runs them every intervalMs). */
  async poll(): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.poll()));
  }

  stop(): void {
    for (const c of this.consumers) c.stop();
    this.consumers = [];
  }
}
