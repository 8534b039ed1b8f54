import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config/index.ts';

// SUBGRAPH_DEFENCES=off exists to measure what the subgraphs' own defences cost; nothing else may turn them off.
const problems = (env: Record<string, string>) => {
  try {
    loadConfig(env, { services: [] });
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
};

describe('the benchmark-only switch of the subgraph defences', () => {
  it('keeps the defences on by default', () => {
    expect(loadConfig({}, { services: [] }).benchmark.subgraphDefences).toBe('on');
  });

  it('refuses it in production, even with the benchmark flag', () => {
    expect(problems({ NODE_ENV: 'production', SUBGRAPH_DEFENCES: 'off', PALISADE_BENCHMARK_ONLY_UNSAFE: 'true' })).toEqual([
      'SUBGRAPH_DEFENCES=off is refused in production: the subgraphs always enforce their access rules, input guards and rate limits',
    ]);
  });

  it('refuses it outside the benchmark, without the explicit flag', () => {
    expect(problems({ NODE_ENV: 'development', SUBGRAPH_DEFENCES: 'off' })).toEqual(['SUBGRAPH_DEFENCES=off is for the benchmark only and needs PALISADE_BENCHMARK_ONLY_UNSAFE=true']);
    expect(problems({ NODE_ENV: 'test', SUBGRAPH_DEFENCES: 'off', PALISADE_BENCHMARK_ONLY_UNSAFE: 'false' })).toHaveLength(1);
  });

  it('honours it with the flag outside production', () => {
    expect(loadConfig({ NODE_ENV: 'development', SUBGRAPH_DEFENCES: 'off', PALISADE_BENCHMARK_ONLY_UNSAFE: 'true' }, { services: [] }).benchmark.subgraphDefences).toBe('off');
  });
});
