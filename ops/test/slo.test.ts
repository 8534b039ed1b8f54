import { execFile, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createMetrics } from '@palisade/kit/metrics';
import { testSettings } from '@palisade/kit/testing/index';

const PROMETHEUS = fileURLToPath(new URL('../prometheus/', import.meta.url));
const RULES = ['alerts.yml', ...readdirSync(join(PROMETHEUS, 'rules')).map((f) => `rules/${f}`)];
const TESTS = readdirSync(join(PROMETHEUS, 'tests')).map((f) => `tests/${f}`);
// CI installs promtool (Debian's prometheus package, .ci/run); elsewhere the suite says it did not run.
const promtool = spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;
const run = (args: string[], cwd = PROMETHEUS) =>
  promisify(execFile)('promtool', args, { cwd }).then(
    (r) => ({ code: 0, out: r.stdout + r.stderr }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code ?? 1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` }),
  );

if (!promtool)
  describe('promtool', () => {
    it.runIf(testSettings().requireRealServers)('is installed (apt-get install prometheus): CI tests the alert rules', () => {
      expect(promtool).toBe(true);
    });
  });

describe('Prometheus rule files', () => {
  it('are all loaded by prometheus.yml', () => {
    // Prometheus sees ops/prometheus at /etc/prometheus; a glob there stands for the files it matches here.
    const globs = (parse(readFileSync(join(PROMETHEUS, 'prometheus.yml'), 'utf8')).rule_files as string[]).map((g) => new RegExp(`^${g.replace('/etc/prometheus/', '').replace('.', '\\.').replace('*', '[^/]*')}$`));
    expect(RULES.filter((f) => !globs.some((g) => g.test(f)))).toEqual([]);
  });

  it('count slow operations at a bucket the services export (a threshold between buckets would count nothing)', async () => {
    const thresholds = new Set([...readFileSync(join(PROMETHEUS, 'rules/slo.yml'), 'utf8').matchAll(/le="([\d.]+)"/g)].map((m) => m[1]));
    expect([...thresholds]).toEqual(['0.3']);
    const m = createMetrics('router', { allow: [] });
    m.duration.observe({ operation: 'Catalog' }, 0.2);
    const text = await m.registry.metrics();
    for (const le of thresholds) expect(text).toContain(`palisade_graphql_request_duration_seconds_bucket{le="${le}",service="router",operation="Catalog"} 1`);
  });

  it('cover both objectives with the three burn-rate pairs, and CPU, memory and restarts', () => {
    const alerts = RULES.flatMap((f) => (parse(readFileSync(join(PROMETHEUS, f), 'utf8')).groups as { rules: { alert?: string }[] }[]).flatMap((g) => g.rules.map((r) => r.alert).filter(Boolean)));
    for (const slo of ['Availability', 'Latency']) for (const pace of ['Fast', 'Sustained', 'Slow']) expect(alerts).toContain(`Palisade${slo}${pace}Burn`);
    expect(alerts).toEqual(expect.arrayContaining(['PalisadeCpuSaturated', 'PalisadeMemoryHigh', 'PalisadeRestarting']));
  });
});

describe.runIf(promtool)('promtool', () => {
  let scratch = '';
  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'palisade-rules-'));
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('accepts every rule file', async () => {
    const r = await run(['check', 'rules', ...RULES]);
    expect(r.out).not.toMatch(/FAILED/);
    expect(r.code, r.out).toBe(0);
  });

  it('passes every unit test: each alert fires on synthetic series when it should, and not otherwise', async () => {
    const r = await run(['test', 'rules', ...TESTS]);
    expect(r.code, r.out).toBe(0);
  });

  it('fails those tests when an alert is taken away (they test the rules, not nothing)', async () => {
    cpSync(PROMETHEUS, scratch, { recursive: true });
    const slo = join(scratch, 'rules/slo.yml');
    writeFileSync(slo, readFileSync(slo, 'utf8').replace(/ {6}- alert: PalisadeAvailabilityFastBurn\n(?: {8}.*\n| {10}.*\n)+/, ''));
    expect(readFileSync(slo, 'utf8')).not.toContain('PalisadeAvailabilityFastBurn');
    const r = await run(['test', 'rules', 'tests/slo.test.yml'], scratch);
    expect(r.code).not.toBe(0);
    expect(r.out).toContain('alertname: PalisadeAvailabilityFastBurn');
  });
});
