import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../src/logger.ts';
import { createMetrics, type ServiceMetrics } from '../src/metrics.ts';
import { circuitBreaker } from '../src/circuit-breaker.ts';

/** The value of palisade_circuit_breaker_state for one target, as /metrics shows it (NaN when absent). */
const stateOf = async (m: ServiceMetrics, target: string) => {
  const line = (await m.registry.metrics()).split('\n').find((l) => l.startsWith('palisade_circuit_breaker_state{') && l.includes(`target="${target}"`));
  return Number(line?.split(' ')[1] ?? NaN);
};

afterEach(() => void vi.useRealTimers());

describe('palisade_circuit_breaker_state', () => {
  it('follows each breaker through closed (0), open (2), half-open (1) and closed again, per target', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const metrics = createMetrics('router', { allow: [] });
    let failing = true;
    const action = async () => {
      if (failing) throw new Error('no answer');
      return 'ok';
    };
    const log = createLogger('router');
    const user = circuitBreaker(action, { subject: { subgraph: 'user' }, log, resetMs: 1_000, gauge: { metrics, target: 'user' } });
    const product = circuitBreaker(action, { subject: { subgraph: 'product' }, log, resetMs: 1_000, gauge: { metrics, target: 'product' } });
    try {
      expect([await stateOf(metrics, 'user'), await stateOf(metrics, 'product')]).toEqual([0, 0]);
      for (let i = 0; i < 5; i++) await user.fire().catch(() => {});
      expect([await stateOf(metrics, 'user'), await stateOf(metrics, 'product')]).toEqual([2, 0]);
      await vi.advanceTimersByTimeAsync(1_000);
      expect(await stateOf(metrics, 'user')).toBe(1);
      failing = false;
      expect(await user.fire()).toBe('ok');
      expect(await stateOf(metrics, 'user')).toBe(0);
    } finally {
      user.shutdown();
      product.shutdown();
    }
  });
});
