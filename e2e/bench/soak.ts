import autocannon from 'autocannon';
import { memoryMiB } from './processes.ts';

/** One workload's request: the body, and per request its caller and a string its answer must contain. */
export interface SoakWorkload {
  query: string;
  variables: object;
  caller(n: number): { token: string | null; expect: string; from?: string };
}

export interface SoakOptions {
  url: string;
  workloads: SoakWorkload[];
  seconds: number;
  warmupSeconds: number;
  sampleSeconds: number;
  connections: number;
  /** Each process watched, by name: its pids now (a router's workers included), and its /metrics when it has one. */
  processes: Record<string, { pids: () => number[]; metrics?: string }>;
}

async function heapUsedMiB(metricsUrl: string): Promise<number | null> {
  try {
    const text = await (await fetch(metricsUrl)).text();
    const used = /^nodejs_heap_size_used_bytes(?:\{[^}]*\})? (\S+)$/m.exec(text)?.[1];
    return used ? Number(used) / 2 ** 20 : null;
  } catch {
    return null;
  }
}

/** Least-squares slope of y over x. */
function slope(points: [number, number][]): number {
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return sxx ? points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0) / sxx : 0;
}

/**
 * Mixed traffic (the workloads in turn, request by request) for `seconds`, each process's RSS sampled every
 * `sampleSeconds`. Growth is the fitted slope after warm-up, so one garbage collection's dip or spike does not
 * decide it; answers are checked as in the cells.
 */
export async function soak(o: SoakOptions): Promise<string[]> {
  const samples = new Map<string, [number, number][]>(Object.keys(o.processes).map((name) => [name, []]));
  // The JS heap in use beside RSS: a heap that stays flat while RSS climbs is V8 and the allocator growing, not a leak.
  const heaps = new Map<string, [number, number][]>(Object.keys(o.processes).map((name) => [name, []]));
  const started = Date.now();
  const sample = () => {
    const t = (Date.now() - started) / 1000;
    for (const [name, p] of Object.entries(o.processes)) {
      samples.get(name)!.push([t, memoryMiB(p.pids(), 'VmRSS')]);
      if (p.metrics) void heapUsedMiB(p.metrics).then((h) => h !== null && heaps.get(name)!.push([t, h]));
    }
  };
  sample();
  const timer = setInterval(sample, o.sampleSeconds * 1000);
  let n = 0;
  let wrong = 0;
  const result = await autocannon({
    url: o.url,
    method: 'POST',
    connections: o.connections,
    duration: o.seconds,
    headers: { 'content-type': 'application/json' },
    requests: [
      {
        setupRequest: (req: any, context: any) => {
          const i = n++;
          const w = o.workloads[i % o.workloads.length]!;
          const c = w.caller(Math.floor(i / o.workloads.length));
          context.expect = c.expect;
          const headers = { ...req.headers, ...(c.token ? { authorization: `Bearer ${c.token}` } : {}), ...(c.from ? { 'x-forwarded-for': c.from } : {}) };
          return { ...req, headers, body: JSON.stringify({ query: w.query, variables: w.variables }) };
        },
        onResponse: (status: number, answer: string, context: any) => {
          if (status !== 200 || !answer.includes(context.expect) || answer.includes('"errors"')) wrong++;
        },
      },
    ],
  } as never);
  clearInterval(timer);
  sample();
  const mib = (x: number) => x.toFixed(0);
  const rows = [...samples].map(([name, points]) => {
    const after = points.filter(([t]) => t >= o.warmupSeconds);
    const atWarm = after[0]?.[1] ?? NaN;
    const end = points.at(-1)![1];
    const peak = Math.max(...points.map(([, y]) => y));
    const perMinute = after.length > 2 ? slope(after) * 60 : NaN;
    const heap = heaps.get(name)!.filter(([t]) => t >= o.warmupSeconds);
    // The heap saws up and down between collections; its floor (lowest sample) is what stays alive.
    const floor = (xs: [number, number][]) => Math.min(...xs.map(([, y]) => y));
    const half = Math.floor(heap.length / 2);
    const heapGrowth = heap.length > 3 ? `${mib(floor(heap.slice(0, half)))} → ${mib(floor(heap.slice(half)))}` : '–';
    return `| ${name} | ${mib(points[0]![1])} | ${mib(atWarm)} | ${mib(end)} | ${mib(peak)} | ${perMinute.toFixed(2)} | ${heapGrowth} |`;
  });
  return [
    `Soak: ${o.seconds}s of mixed traffic (${o.workloads.length} workloads in turn) at ${o.connections} connections, ${result.requests.total} requests (${result.requests.average.toFixed(0)} req/s), ${result.errors + result.non2xx} errors, ${wrong} wrong or refused answers; RSS sampled every ${o.sampleSeconds}s, warm-up ${o.warmupSeconds}s`,
    '',
    '| process | RSS at start MiB | after warm-up MiB | at end MiB | peak sampled MiB | RSS growth after warm-up MiB/min | JS heap floor after warm-up: first half → second half MiB |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...rows,
  ];
}
