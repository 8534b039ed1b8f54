import { readFileSync } from 'node:fs';

// `tsx e2e/bench/profile-summary.ts <file.cpuprofile>`: where a process spent its CPU, by package (self time)
// and by function (self, and inclusive of what it called), to choose what to make faster next.
interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
const profile = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const self = new Map<number, number>();
profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

const short = (url: string) => url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/main\//, '');
const packageOf = (url: string) => {
  if (url.includes('node_modules/')) {
    const rest = url.split('node_modules/').pop()!;
    return rest.split('/').slice(0, rest.startsWith('@') ? 2 : 1).join('/');
  }
  return url.startsWith('node:') ? url : url ? short(url).split('/').slice(0, 2).join('/') : '(native)';
};
const frame = (n: Node) => `${n.callFrame.functionName || '(anonymous)'} ${short(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
const idle = new Set(['(idle)', '(program)']);

let busy = 0;
const byPackage = new Map<string, number>();
const selfByFunction = new Map<string, number>();
const inclusive = new Map<string, number>();
for (const [id, t] of self) {
  const n = byId.get(id)!;
  if (idle.has(n.callFrame.functionName)) continue;
  busy += t;
  const pkg = n.callFrame.url ? packageOf(n.callFrame.url) : `(${n.callFrame.functionName})`;
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + t);
  selfByFunction.set(frame(n), (selfByFunction.get(frame(n)) ?? 0) + t);
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const f = frame(byId.get(cur)!);
    if (seen.has(f)) continue;
    seen.add(f);
    inclusive.set(f, (inclusive.get(f) ?? 0) + t);
  }
}
const top = (m: Map<string, number>, k: number, filter: (name: string) => boolean = () => true) =>
  [...m].filter(([name]) => filter(name)).sort((a, b) => b[1] - a[1]).slice(0, k).map(([name, t]) => `${((t / busy) * 100).toFixed(1).padStart(5)}%  ${name}`).join('\n');
const ours = (name: string) => /(router|kit|auth|subgraphs)\/src|subgraphs\//.test(name) || name.includes('@apollo/gateway') || name.includes('@apollo/server/dist/esm/requestPipeline');
console.log(`busy ${(busy / 1e6).toFixed(1)} s (idle excluded)\n\nby package (self):\n${top(byPackage, 20)}\n\nby function (self):\n${top(selfByFunction, 25)}\n\nour code and Apollo's pipeline (inclusive):\n${top(inclusive, 40, ours)}`);
