import { createHash } from 'node:crypto';
import { DrizzleQueryError } from 'drizzle-orm/errors';

/**
 * Errors as logs may carry them: which statement failed and why, never its text, its values or a stack.
 * Drizzle's query error spells its parameters into its message and stack ("params: ada@example.com,
 * $argon2id$…"); Postgres puts values into `detail` ("Key (email)=(ada@example.com) already exists") and
 * some messages ('invalid input syntax for type uuid: "…"'). A log line names the statement by its kind,
 * its table and a fingerprint (the same statement always has the same one, so it can be found in the code
 * or matched across lines), and the place it failed by one source location instead of a stack.
 */

// Keys of error objects that hold values sent to the database, never statement text.
const VALUE_KEYS = new Set(['params', 'parameters', 'args', 'detail', 'where', 'hint', 'internalQuery', 'internal_query', 'internalPosition', 'position']);
// Keys that hold statement text or a stack: described, never copied.
const STATEMENT_KEYS = new Set(['query', 'sql', 'statement', 'stack']);

interface DbErrorFields {
  code?: unknown;
  severity?: unknown;
  constraint?: unknown;
  constraint_name?: unknown;
  table?: unknown;
  table_name?: unknown;
  column?: unknown;
  column_name?: unknown;
  schema?: unknown;
  schema_name?: unknown;
  routine?: unknown;
}

/** A Postgres error (postgres.js or PGlite): a five-character SQLSTATE and a severity. */
function isDbError(err: object): err is Error & DbErrorFields {
  const e = err as DbErrorFields;
  return typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) && typeof e.severity === 'string';
}

const text = (v: unknown) => (typeof v === 'string' ? v : undefined);

/**
 * Quoted parts of a Postgres message are values, unless they name the constraint, table or column. Postgres
 * does not escape a quote inside a value, so everything from the first remaining quote to the last goes.
 */
function dbMessage(err: Error & DbErrorFields): string {
  const names = [err.constraint, err.constraint_name, err.table, err.table_name, err.column, err.column_name, err.schema, err.schema_name].filter((n): n is string => typeof n === 'string' && !n.includes('"'));
  const kept: string[] = [];
  let message = String(err.message);
  for (const name of new Set(names)) message = message.split(`"${name}"`).join(`\u0000${kept.push(`"${name}"`) - 1}\u0000`);
  return message.replace(/"[\s\S]*"/, '"…"').replace(/\u0000(\d+)\u0000/g, (_m, i: string) => kept[Number(i)]!);
}

/** Drops a Drizzle-style "params: …" tail, whatever follows it. */
export function withoutParams(s: string): string {
  const at = s.indexOf('\nparams: ');
  return at === -1 ? s : `${s.slice(0, at)}\nparams: [not logged]`;
}

/** Drizzle's "Failed query: <text>" message (as some callers log `err.message`), with the text described instead. */
function withoutStatement(s: string): string {
  const m = /^Failed query: ([\s\S]*?)(\nparams: [\s\S]*)?$/.exec(s);
  if (!m) return s;
  const { kind, table, fingerprint } = describeStatement(m[1]!);
  return `Failed query (${kind} on ${table ?? 'the database'}, statement ${fingerprint})`;
}

/** A statement as a log may name it: what it does, the table it names, and a fingerprint of its text. */
export function describeStatement(query: string): { kind: string; table?: string; fingerprint: string } {
  const kind = /^\s*(select|insert|update|delete|with|create|alter|drop|lock|set|begin|commit|rollback)\b/i.exec(query)?.[1]?.toLowerCase() ?? 'other';
  const target = /\b(?:into|from|update|table)\s+("[^"]+"|\w+)(?:\.("[^"]+"|\w+))?/i.exec(query);
  const table = target ? [target[1], target[2]].filter(Boolean).map((n) => n!.replace(/"/g, '')).join('.') : undefined;
  return { kind, table, fingerprint: createHash('sha256').update(query).digest('hex').slice(0, 12) };
}

/** Where the error was raised: the first frame in our own code (else the first), as file:line:column, cwd-relative. */
export function originOf(err: Error): string | undefined {
  if (typeof err.stack !== 'string') return undefined;
  const frames = [...err.stack.matchAll(/^\s+at (?:.*?\()?((?:file:\/\/)?\/[^()\s]+?:\d+:\d+)\)?$/gm)].map((m) => m[1]!.replace(/^file:\/\//, ''));
  const own = frames.find((f) => !f.includes('/node_modules/')) ?? frames[0];
  return own?.startsWith(`${process.cwd()}/`) ? own.slice(process.cwd().length + 1) : own;
}

/** What a log line may say about an error; anything not an Error passes unchanged (strings lose params). */
export function safeError(err: unknown, depth = 0): unknown {
  if (typeof err === 'string') return withoutStatement(withoutParams(err));
  if (!(err instanceof Error) || depth > 5) return err;
  let out: Record<string, unknown>;
  if (err instanceof DrizzleQueryError || (typeof (err as { query?: unknown }).query === 'string' && 'params' in err)) {
    const statement = describeStatement(String((err as DrizzleQueryError).query));
    out = { type: err.constructor.name, message: `${statement.kind} on ${statement.table ?? 'the database'} failed`, statement, origin: originOf(err) };
  } else if (isDbError(err)) {
    const message = dbMessage(err);
    out = {
      type: err.constructor.name,
      message,
      code: err.code,
      severity: err.severity,
      constraint: text(err.constraint ?? err.constraint_name),
      table: text(err.table ?? err.table_name),
      column: text(err.column ?? err.column_name),
      routine: text(err.routine),
      origin: originOf(err),
    };
  } else {
    const message = withoutParams(err.message);
    out = { type: err.constructor.name, message, origin: originOf(err) };
    for (const [k, v] of Object.entries(err)) if (!VALUE_KEYS.has(k) && !STATEMENT_KEYS.has(k) && k !== 'cause' && !(k in out)) out[k] = typeof v === 'string' ? withoutParams(v) : v;
  }
  if (err.cause !== undefined) out.cause = safeError(err.cause, depth + 1);
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out;
}

/** Each argument of a log call: errors made safe, strings and an object's direct string values without params. */
export function safeLogArgument(arg: unknown): unknown {
  if (typeof arg === 'string' || arg instanceof Error) return safeError(arg);
  if (!arg || typeof arg !== 'object' || Array.isArray(arg)) return arg;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(arg)) out[k] = typeof v === 'string' || v instanceof Error ? safeError(v) : v;
  return out;
}
