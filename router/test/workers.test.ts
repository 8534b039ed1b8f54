import { describe, expect, it } from 'vitest';
import { ConfigError } from '@palisade/kit';
import { availableCores, planWorkers } from '../src/workers.ts';

const config = (workers: number | null, redis: string | null) => ({ router: { workers }, redis: { url: redis } }) as Parameters<typeof planWorkers>[0];

describe('ROUTER_WORKERS', () => {
  it('defaults to one worker per core with Redis', () => {
    expect(planWorkers(config(null, 'redis://r'), 4)).toEqual({ count: 4 });
    expect(planWorkers(config(3, 'redis://r'), 4)).toEqual({ count: 3 });
  });

  it('refuses several workers without Redis, naming both variables', () => {
    let refused: unknown;
    try {
      planWorkers(config(2, null), 4);
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(ConfigError);
    expect((refused as ConfigError).variables).toEqual(['ROUTER_WORKERS', 'REDIS_URL']);
    expect((refused as ConfigError).message).toMatch(/ROUTER_WORKERS=2 needs REDIS_URL/);
  });

  it('falls back to one process, with a warning, when the default would give several without Redis', () => {
    expect(planWorkers(config(null, null), 4)).toEqual({ count: 1, warning: expect.stringMatching(/REDIS_URL/) });
    expect(planWorkers(config(1, null), 4)).toEqual({ count: 1 });
    expect(planWorkers(config(null, null), 1)).toEqual({ count: 1 });
  });

  it('counts the cores a CPU quota allows', () => {
    expect(availableCores('max 100000')).toBeGreaterThanOrEqual(1);
    expect(availableCores('50000 100000')).toBe(1);
    expect(availableCores('100000000 100000')).toBe(availableCores(null));
  });
});
