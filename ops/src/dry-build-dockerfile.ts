/**
 * A reader for the parts of Dockerfile syntax our image uses: stages, WORKDIR, COPY/ADD, RUN, ENV, ARG, USER,
 * HEALTHCHECK, CMD. Enough to run the file's steps without a Docker engine (ops/src/dry-build.ts); anything it
 * does not know is kept as an instruction the runner reports and skips.
 */
export interface Instruction {
  keyword: string;
  /** Text after the keyword, continuation lines joined. */
  args: string;
  line: number;
}

export interface Stage {
  name: string;
  base: string;
  instructions: Instruction[];
}

export interface CopyStep {
  from: string | null;
  sources: string[];
  dest: string;
  flags: Record<string, string>;
}

export function parseDockerfile(text: string): { args: Record<string, string>; stages: Stage[] } {
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = lines[i]!;
    if (/^\s*(#|$)/.test(line)) continue;
    while (/\\\s*$/.test(line) && i + 1 < lines.length) line = line.replace(/\\\s*$/, ' ') + lines[++i]!.replace(/^\s*#.*$/, '');
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m) throw new Error(`Dockerfile line ${start + 1}: cannot read "${line.trim()}"`);
    const instruction = { keyword: m[1]!.toUpperCase(), args: m[2]!.trim(), line: start + 1 };
    if (instruction.keyword === 'FROM') {
      const from = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args);
      if (!from) throw new Error(`Dockerfile line ${start + 1}: cannot read FROM ${instruction.args}`);
      stages.push({ base: from[1]!, name: from[2] ?? String(stages.length), instructions: [] });
    } else if (!stages.length) {
      if (instruction.keyword !== 'ARG') throw new Error(`Dockerfile line ${start + 1}: ${instruction.keyword} before FROM`);
      Object.assign(args, parseAssignments(instruction.args));
    } else stages.at(-1)!.instructions.push(instruction);
  }
  return { args, stages };
}

/** `K=V K2="V 2"` (or the old `K V` form of ENV) → a record. */
export function parseAssignments(text: string): Record<string, string> {
  const legacy = /^([A-Za-z_]\w*)(?:\s+(.*))?$/.exec(text);
  if (legacy) return { [legacy[1]!]: legacy[2] ?? '' };
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/([A-Za-z_]\w*)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/g)) out[m[1]!] = /^["']/.test(m[2]!) ? m[2]!.slice(1, -1) : m[2]!;
  return out;
}

/** `${NAME}` and `$NAME` from the build's ARG and ENV values, as Docker expands them in COPY, WORKDIR and ENV. */
export const expand = (text: string, vars: Record<string, string>) =>
  text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_, a: string | undefined, b: string | undefined) => vars[(a ?? b)!] ?? '');

/** A JSON array (`["node", "x"]`) or a shell string, as CMD, RUN and HEALTHCHECK CMD take them. */
export function commandOf(text: string): string[] {
  if (text.startsWith('[')) return JSON.parse(text) as string[];
  return ['sh', '-c', text];
}

export function parseCopy(args: string): CopyStep {
  const words = args.startsWith('[') ? (JSON.parse(args) as string[]) : args.split(/\s+/);
  const flags: Record<string, string> = {};
  while (words[0]?.startsWith('--')) {
    const [key, value] = words.shift()!.slice(2).split('=');
    flags[key!] = value ?? 'true';
  }
  if (words.length < 2) throw new Error(`COPY needs a source and a destination: ${args}`);
  const dest = words.pop()!;
  return { from: flags.from ?? null, sources: words, dest, flags };
}

/** The COPY/ADD steps that read the build context (not another stage), with the line they are on. */
export function contextCopies(stages: Stage[]): (CopyStep & { line: number })[] {
  return stages.flatMap((s) =>
    s.instructions.filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD').map((i) => ({ ...parseCopy(i.args), line: i.line })).filter((c) => c.from === null),
  );
}
