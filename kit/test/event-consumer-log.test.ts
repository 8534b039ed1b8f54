import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.ts';
import { startEventConsumer } from '../src/events/consumer.ts';
import { eventFields, type IntegrationEvent } from '../src/events/schema.ts';
import { MemoryEventStream } from '../src/events/stream.ts';
import { testConfig, testSettings } from '../src/testing/config.ts';

const seed = testSettings().propertySeed;
const value = fc.string({ minLength: 8, maxLength: 30, unit: fc.constantFrom('a', 'q', 'z', '@', '.', '$', '9') });

const event = (): IntegrationEvent => ({
  id: randomUUID(),
  type: 'order.placed',
  version: 1,
  occurredAt: new Date().toISOString(),
  data: { orderId: randomUUID(), customerId: randomUUID(), status: 'PENDING', previousStatus: null, total: { amount: '1.00', currency: 'EUR' } },
});

describe('an event the handler fails on', () => {
  it('is logged without the value a database error quotes in its message', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-consumer-log-'));
    const file = join(dir, 'log.jsonl');
    try {
      const log = createLogger('test', testConfig({ log: { file, level: 'debug' } }).log);
      await fc.assert(
        fc.asyncProperty(value, async (secret) => {
          const stream = new MemoryEventStream();
          await stream.add('x', eventFields(event()));
          // A Postgres error as the driver raises it: the offending value quoted in the message.
          const pgError = Object.assign(new Error(`invalid input syntax for type uuid: "${secret}"`), { code: '22P02', severity: 'ERROR' });
          const consumer = startEventConsumer({
            stream, streamName: 'x', group: 'g', consumer: 'me', log, intervalMs: 3_600_000, claimIdleMs: 3_600_000,
            handle: async () => { throw pgError; },
            deadLetter: async () => {},
          });
          const start = readFileSync(file, { flag: 'a+' }).length;
          try {
            expect((await consumer.poll()).failed).toBe(1);
          } finally {
            consumer.stop();
          }
          const written = readFileSync(file, 'utf8').slice(start);
          expect(written).toContain('event not handled');
          expect(written).not.toContain(secret);
        }),
        { seed, numRuns: 30 },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
