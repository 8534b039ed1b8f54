import { memoryMiB } from './processes.ts';

export interface Row {
  target: string;
  workload: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  wrong: number;
  gatewayCpuMs: number;
  subgraphCpuMs: number;
  subgraphCalls: number;
}

export interface ReportInput {
  machine: string;
  rounds: number;
  seconds: number;
  connections: number;
  rows: Row[];
  workloads: string[];
  subgraphDefencesOff: boolean;
  /** BENCH_ROUTER_WORKERS, and the name its gateway's rows carry. */
  workers: number;
  workersTarget: string;
  /** Each process (a gateway with its workers) by name: its pids, read now for their peak memory. */
  peaks: [string, number[]][];
}

const ONE = 'Palisade (security on)';

/** The benchmark's tables: every cell, the ratios between gateways, N workers against one, peak memory. */
export function report(o: ReportInput): string[] {
  const row = (t: string, w: string) => o.rows.find((r) => r.target === t && r.workload === w);
  const ratio = (a: number | undefined, b: number | undefined) => (a && b ? `${(a / b).toFixed(2)}×` : '–');
  const label = (t: string) => (o.subgraphDefencesOff && t.startsWith('Palisade') ? t.replace(')', ', subgraph defences off)') : t);
  const mib = (pids: number[]) => `${memoryMiB(pids, 'VmHWM').toFixed(0)}${pids.length > 1 ? ` (${pids.map((p) => memoryMiB([p], 'VmHWM').toFixed(0)).join(' + ')}: primary + workers)` : ''}`;
  return [
    `${o.machine}; median of ${o.rounds} rounds of ${o.seconds}s per cell, ${o.connections} connections; each gateway and subgraph a process of its own`,
    '',
    '| workload | gateway | req/s | p50 ms | p99 ms | errors | wrong answers | gateway CPU ms/req | subgraph CPU ms/req | subgraph calls/req |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...o.rows.map((r) => `| ${r.workload} | ${label(r.target)} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.errors} | ${r.wrong} | ${r.gatewayCpuMs.toFixed(2)} | ${r.subgraphCpuMs.toFixed(2)} | ${r.subgraphCalls.toFixed(2)} |`),
    '',
    'Throughput is of the whole system on this machine (gateway, subgraphs, Postgres, Redis and the load generator share it); "per gateway core" divides the gateways\' own CPU per request.',
    '',
    '| workload | security overhead | Palisade ÷ Apollo Gateway | Palisade ÷ Hive Gateway | per gateway core: ÷ Apollo | per gateway core: ÷ Hive |',
    '|---|---:|---:|---:|---:|---:|',
    ...o.workloads.map((w) => {
      const on = row(ONE, w);
      const off = row('Palisade (security off)', w);
      const apollo = row('Apollo Gateway (bare)', w);
      const hive = row('Hive Gateway', w);
      const overhead = on && off ? `${(((off.rps - on.rps) / off.rps) * 100).toFixed(1)}%` : '–';
      return `| ${w} | ${overhead} | ${ratio(on?.rps, apollo?.rps)} | ${ratio(on?.rps, hive?.rps)} | ${ratio(apollo?.gatewayCpuMs, on?.gatewayCpuMs)} | ${ratio(hive?.gatewayCpuMs, on?.gatewayCpuMs)} |`;
    }),
    // N workers against one process; a cluster's gateway CPU is all its workers' and their primary's.
    ...(o.workers > 1
      ? [
          '',
          `| workload | ${o.workers} workers ÷ 1: req/s | ${o.workers} workers ÷ 1: gateway CPU per request |`,
          '|---|---:|---:|',
          ...o.workloads.map((w) => `| ${w} | ${ratio(row(o.workersTarget, w)?.rps, row(ONE, w)?.rps)} | ${ratio(row(o.workersTarget, w)?.gatewayCpuMs, row(ONE, w)?.gatewayCpuMs)} |`),
        ]
      : []),
    // Peak over the whole run (VmHWM, seeding included); a cluster's processes added up.
    '',
    '| process | peak RSS MiB |',
    '|---|---:|',
    ...o.peaks.map(([name, pids]) => `| ${name} | ${mib(pids)} |`),
  ];
}
