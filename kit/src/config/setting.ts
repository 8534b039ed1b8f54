import type { ValueParser } from './values.ts';

/** The process's variables, or any stand-in for them (tests, a child's environment). */
export type Environment = Readonly<Record<string, string | undefined>>;

/** Refused configuration: one line per bad variable, all of them at once. */
export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(
    problems: string | readonly string[],
    /** The variables named, for a caller that wants them apart from the sentences. */
    readonly variables: readonly string[] = [],
  ) {
    const lines = typeof problems === 'string' ? [problems] : problems;
    super(lines.join('; '));
    this.name = 'ConfigError';
    this.problems = lines;
  }
}

/** Collects what is wrong, each under the variable at fault; a variable already refused is not refused again. */
export class Problems {
  readonly lines: string[] = [];
  readonly variables = new Set<string>();
  add(variable: string, line: string): void {
    if (this.variables.has(variable)) return;
    this.variables.add(variable);
    this.lines.push(line);
  }
  /** A line about variables that may each have been refused already; skipped if one was. */
  addAbout(variables: readonly string[], line: string): void {
    if (variables.some((v) => this.variables.has(v))) return;
    variables.forEach((v) => this.variables.add(v));
    this.lines.push(line);
  }
  throwIfAny(): void {
    if (this.lines.length) throw new ConfigError(this.lines, [...this.variables]);
  }
}

/** One environment variable: how its text becomes a value, its default, and the README's line about it. */
export interface Setting<T> {
  readonly kind: 'setting';
  readonly env: string;
  readonly value: ValueParser<T>;
  readonly default: T;
  /** The default as the README shows it. */
  readonly shown: string;
  readonly describe: string;
  /** Never repeated in an error: the value may be a password, a key or a URL holding one. */
  readonly secret: boolean;
}

/** One variable per name (a port per subgraph, a key per service): one row in the README. */
export interface Family<K extends string, T> {
  readonly kind: 'family';
  readonly names: string;
  readonly shown: string;
  readonly describe: string;
  readonly members: Readonly<Record<K, Setting<T>>>;
}

interface Doc {
  shown?: string;
  secret?: boolean;
}

const show = (v: unknown) => (v === null ? 'unset' : typeof v === 'string' ? `\`${v}\`` : Array.isArray(v) ? v.join(', ') || 'unset' : String(v));

/** A variable with a default. */
export function setting<T>(env: string, value: ValueParser<T>, fallback: T, describe: string, doc: Doc = {}): Setting<T> {
  return { kind: 'setting', env, value, default: fallback, shown: doc.shown ?? show(fallback), describe, secret: doc.secret ?? false };
}

/** A variable that may be unset (null). */
export function optional<T>(env: string, value: ValueParser<T>, describe: string, doc: Doc = {}): Setting<T | null> {
  return setting<T | null>(env, value as ValueParser<T | null>, null, describe, doc);
}

export function family<K extends string, T>(keys: readonly K[], member: (key: K) => Setting<T>, doc: { names: string; shown: string; describe: string }): Family<K, T> {
  return { kind: 'family', ...doc, members: Object.fromEntries(keys.map((k) => [k, member(k)])) as Record<K, Setting<T>> };
}

/** Settings grouped as the configuration is shaped: a setting, a family, or a group of them. */
export type SettingTree = Setting<unknown> | Family<string, unknown> | { readonly [key: string]: SettingTree };

export type ValuesOf<S> = S extends Setting<infer T> ? T : S extends Family<infer K, infer T> ? Record<K, T> : { -readonly [K in keyof S]: ValuesOf<S[K]> };

const isSetting = (s: SettingTree): s is Setting<unknown> => (s as Setting<unknown>).kind === 'setting';
const isFamily = (s: SettingTree): s is Family<string, unknown> => (s as Family<string, unknown>).kind === 'family';

function readOne<T>(s: Setting<T>, env: Environment, problems: Problems): T {
  const raw = env[s.env];
  if (raw === undefined || raw === '') return s.default;
  const parsed = s.value.safeParse(raw);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => {
    const where = issue.path.length ? `${s.env} at ${issue.path.join('.')}` : s.env;
    const got = s.secret || issue.path.length || raw.length > 60 ? '' : ` (got "${raw}")`;
    // Some checks (auth's issuer list) already name the variable and the entry at fault.
    return issue.message.startsWith(s.env) ? issue.message : issue.message.startsWith('must ') ? `${where} ${issue.message}${got}` : `${where}: ${issue.message}`;
  });
  problems.add(s.env, lines.join('; '));
  return s.default;
}

/** Every value of a tree read from `env`; each bad variable adds a line to `problems` and reads as its default. */
export function readSettings<S extends SettingTree>(tree: S, env: Environment, problems: Problems): ValuesOf<S> {
  if (isSetting(tree)) return readOne(tree, env, problems) as ValuesOf<S>;
  if (isFamily(tree)) return Object.fromEntries(Object.entries(tree.members).map(([k, s]) => [k, readOne(s, env, problems)])) as ValuesOf<S>;
  return Object.fromEntries(Object.entries(tree).map(([k, s]) => [k, readSettings(s as SettingTree, env, problems)])) as ValuesOf<S>;
}

/** Each setting and family of a tree, in order: the rows of the README's table. */
export function rowsOf(tree: SettingTree): (Setting<unknown> | Family<string, unknown>)[] {
  if (isSetting(tree) || isFamily(tree)) return [tree];
  return Object.values(tree).flatMap((s) => rowsOf(s as SettingTree));
}

/** Every variable a tree reads. */
export const variablesOf = (tree: SettingTree): string[] => rowsOf(tree).flatMap((r) => (isFamily(r) ? Object.values(r.members).map((m) => m.env) : [r.env]));
