import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  buildSchema, getNamedType, isEnumType, isInputObjectType, isListType, isNonNullType, isObjectType, isScalarType,
  type GraphQLArgument, type GraphQLField, type GraphQLInputType, type GraphQLSchema,
} from 'graphql';
import { sql } from 'drizzle-orm';
import { testSettings, waitFor } from '@palisade/kit/testing/index';
import { createTestEnvironment, type TestEnvironment } from './harness/supergraph.ts';
import type { GraphQLClient, GraphQLResponse } from './harness/client.ts';

/**
 * Every mutation and every query that takes arguments, driven through the router with generated values
 * as an anonymous caller, a customer and an administrator. Whatever the input, the answer is a contract
 * error or data: never INTERNAL_SERVER_ERROR, never HTTP 5xx, never SQL, a stack trace or a file path.
 * FUZZ_SEED replays a run; FUZZ_RUNS sets the runs per field and caller.
 */
const SEED = testSettings().fuzzSeed;
const RUNS = testSettings().fuzzRuns;

const schema: GraphQLSchema = buildSchema(readFileSync(fileURLToPath(new URL('../schema/supergraph.graphql', import.meta.url)), 'utf8'));

// What must never be in an answer: database text, stacks, our file system.
const LEAKS: [string, RegExp][] = [
  ['SQL', /\b(select|insert|update|delete)\b[\s\S]*\b(from|into|set)\b/i],
  ['SQL', /syntax error at|violates|relation "/i],
  ['stack trace', /\n\s+at |\.ts:\d/],
  ['file path', /\/work\/|node_modules/],
];

/** Why an answer breaks the rules, or null. */
function violation(r: GraphQLResponse, text: string): string | null {
  if (r.status >= 500) return `HTTP ${r.status}`;
  if ((r.errors ?? []).some((e) => e.extensions?.code === 'INTERNAL_SERVER_ERROR')) return 'INTERNAL_SERVER_ERROR';
  for (const [what, re] of LEAKS) if (re.test(text)) return `${what} in the answer`;
  return null;
}

// ---- values -------------------------------------------------------------------------------------------
// Each leaf is mostly a plausible value and sometimes a hostile one, so that one bad value often arrives
// among good ones and gets past the checks in front of it (a NUL inside a well-formed email, a huge
// quantity of a real product) rather than being refused for the first wrong thing.

const b64 = (s: string) => Buffer.from(s).toString('base64url');
const known = { ids: [] as string[], emails: [] as string[] };
const pick = (list: () => string[], fallback: fc.Arbitrary<string>) => fc.oneof(fc.nat().map((i) => list()[i % Math.max(1, list().length)]).filter((v): v is string => typeof v === 'string'), fallback);

const badChars = fc.oneof({ weight: 3, arbitrary: fc.constantFrom('\u0000', '\uD800', '\uDFFF', '\uDBFF') }, { weight: 1, arbitrary: fc.constantFrom('\u0007', '\u202E', '\uFEFF', "'", '"', '\\', '%', ';') });
/** A good value with a bad character put somewhere inside it. */
const spoiled = (good: fc.Arbitrary<string>) => fc.tuple(good, badChars, fc.nat()).map(([g, c, at]) => g.slice(0, at % (g.length + 1)) + c + g.slice(at % (g.length + 1)));
const hostile = fc.oneof(
  fc.string({ unit: fc.constantFrom('\u0000', '\uD800', '\uDC00', 'a', '€', '🙂', '\u0301') }),
  fc.constantFrom("' OR 1=1 --", "'; drop table users; --", 'select * from users', '") or ("a"="a', '$1', "1' union select password_hash from users.users --", '', ' '),
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: 'binary' }),
  fc.constantFrom('x'.repeat(100_000), '€'.repeat(30_000), `${'a'.repeat(5_000)}@example.com`),
);

const word = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz'), minLength: 1, maxLength: 12 });
const goodDecimal = fc.tuple(fc.integer({ min: 0, max: 99_999 }), fc.nat({ max: 99 })).map(([a, b]) => `${a}.${String(b).padStart(2, '0')}`);
const badDecimal = fc.constantFrom('21474836.47', '21474836.48', '999999999.99', '1e309', '-0', '0', '0.001', '-1', 'NaN', 'Infinity', '1,5', ' 19.99 ', '00000000019.99');
const goodCursor = fc.tuple(fc.date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }), fc.uuid()).map(([d, u]) => b64(JSON.stringify([d.toISOString(), u])));
const badCursor = fc.oneof(
  fc.jsonValue().map((v) => b64(JSON.stringify(v))),
  fc.array(fc.oneof(fc.string(), fc.double(), fc.constantFrom(1e308, -1, 2 ** 63, 7, '2026-02-31T00:00:00.000Z', '0000-01-01T00:00:00.000Z', 'not-a-uuid'), fc.uuid()), { maxLength: 3 }).map((a) => b64(JSON.stringify(a))),
  fc.string().map(b64),
);
const goodId = pick(() => known.ids, fc.uuid());
const badId = fc.oneof(fc.constantFrom('00000000-0000-0000-0000-000000000000', '1', '-1', 'null'), fc.string().map(b64), spoiled(fc.uuid()));
const badInt = fc.constantFrom(2 ** 31 - 1, 2 ** 31, -(2 ** 31), -(2 ** 31) - 1, 2 ** 53, 1e21, 1.5, -0.5, 4294967296, -1, 0, '1', null, true);
const goodDate = fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString());
const badDate = fc.constantFrom('0000-01-01T00:00:00Z', '2026-02-31T00:00:00Z', '9999-12-31T23:59:59Z', '+275760-09-13T00:00:00.000Z', '2026-01-01', 'yesterday', '2026-01-01T24:00:00Z');

/** Plausible strings by the field's name: what a real client would send there. */
function goodString(name: string): fc.Arbitrary<string> {
  const n = name.toLowerCase();
  if (n === 'email') return pick(() => known.emails, fc.emailAddress());
  if (n.includes('password')) return fc.string({ minLength: 12, maxLength: 40 }).map((s) => `Pw-${s}-9z`);
  if (n.includes('price')) return goodDecimal;
  if (n === 'after') return goodCursor;
  if (n === 'currency') return fc.constantFrom('USD', 'EUR', 'usd');
  if (n === 'country') return fc.constantFrom('US', 'DE', 'gb');
  if (n === 'code' || n === 'totpcode') return fc.integer({ min: 0, max: 999_999 }).map((c) => String(c).padStart(6, '0'));
  if (n.includes('token')) return fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('base64url'));
  if (n === 'sku' || n === 'slug') return word;
  if (n === 'action') return fc.constantFrom('auth.login_failed', 'order.placed', 'access.denied');
  return fc.oneof(word, fc.string({ maxLength: 40 }));
}

function goodInt(name: string): fc.Arbitrary<number> {
  const n = name.toLowerCase();
  if (n === 'first') return fc.integer({ min: 0, max: 100 });
  if (n === 'windowhours') return fc.integer({ min: 1, max: 720 });
  if (n === 'quantity') return fc.integer({ min: 1, max: 100 });
  if (n === 'delta') return fc.integer({ min: -1_000_000, max: 1_000_000 });
  return fc.integer({ min: 0, max: 1_000_000 });
}

/** `calm` is how many good values to one bad one: chosen per run, so some runs carry a single bad value among good ones. */
const leaf = (calm: number, good: fc.Arbitrary<unknown>, bad: fc.Arbitrary<unknown>) => fc.oneof({ weight: calm, arbitrary: good }, { weight: 1, arbitrary: bad });

/** A value for a named argument or input field, generated from its type. */
function valueFor(name: string, type: GraphQLInputType, calm: number, depth = 0): fc.Arbitrary<unknown> {
  if (isNonNullType(type)) return fc.oneof({ weight: 30, arbitrary: valueFor(name, type.ofType, calm, depth) }, { weight: 1, arbitrary: fc.constant(null) });
  const orAbsent = (a: fc.Arbitrary<unknown>) => fc.oneof({ weight: 3, arbitrary: a }, { weight: 1, arbitrary: fc.constantFrom(null, undefined) });
  if (isListType(type)) {
    const item = valueFor(name, type.ofType, calm, depth + 1);
    return orAbsent(fc.oneof({ weight: 8, arbitrary: fc.array(item, { minLength: 1, maxLength: 4 }) }, { weight: 1, arbitrary: fc.array(item, { maxLength: 60 }) }));
  }
  if (isInputObjectType(type)) {
    if (depth > 4) return fc.constant(null);
    const fields = Object.values(type.getFields());
    const record = fc.record(Object.fromEntries(fields.map((f) => [f.name, valueFor(f.name, f.type, calm, depth + 1)])), { requiredKeys: fields.filter((f) => isNonNullType(f.type)).map((f) => f.name) });
    const withStranger = fc.tuple(record, word, fc.jsonValue({ maxDepth: 3 })).map(([r, k, v]) => ({ ...r, [k]: v }));
    return orAbsent(fc.oneof({ weight: 20, arbitrary: record }, { weight: 1, arbitrary: withStranger }, { weight: 1, arbitrary: hostile }));
  }
  if (isEnumType(type)) return orAbsent(leaf(calm, fc.constantFrom(...type.getValues().map((v) => v.name)), hostile));
  if (!isScalarType(type)) throw new Error(`no generator for ${String(type)}`);
  const n = name.toLowerCase();
  switch (type.name) {
    case 'String':
      return orAbsent(leaf(calm, goodString(name), n === 'after' ? badCursor : n.includes('price') ? fc.oneof(badDecimal, hostile) : fc.oneof(spoiled(goodString(name)), hostile)));
    case 'ID':
      return orAbsent(leaf(calm, goodId, fc.oneof(badId, hostile)));
    case 'Int':
    case 'Float':
      return orAbsent(leaf(calm, goodInt(name), badInt));
    case 'Boolean':
      return orAbsent(leaf(calm, fc.boolean(), fc.oneof(hostile, badInt)));
    case 'DateTime':
      return orAbsent(leaf(calm, goodDate, fc.oneof(badDate, spoiled(goodDate), hostile)));
    case 'JSON':
      return orAbsent(fc.jsonValue({ maxDepth: 4 }));
    default:
      throw new Error(`no generator for scalar ${type.name}`);
  }
}

// ---- targets ------------------------------------------------------------------------------------------

interface Target {
  name: string;
  document: string;
  args: readonly GraphQLArgument[];
}

const selectionOf = (field: GraphQLField<unknown, unknown>) => (isObjectType(getNamedType(field.type)) ? ' { __typename }' : '');
const call = (field: GraphQLField<unknown, unknown>) => `${field.name}${field.args.length ? `(${field.args.map((a) => `${a.name}: $${a.name}`).join(', ')})` : ''}${selectionOf(field)}`;
const declare = (args: readonly GraphQLArgument[]) => (args.length ? `(${args.map((a) => `$${a.name}: ${String(a.type)}`).join(', ')})` : '');

/** Every mutation; every query with arguments; and fields with arguments one step below a query without. */
function targets(): Target[] {
  const out: Target[] = [];
  for (const field of Object.values(schema.getMutationType()!.getFields())) out.push({ name: `Mutation.${field.name}`, document: `mutation Fuzz${declare(field.args)} { ${call(field)} }`, args: field.args });
  for (const field of Object.values(schema.getQueryType()!.getFields())) {
    if (field.name.startsWith('_')) continue;
    if (field.args.length) out.push({ name: `Query.${field.name}`, document: `query Fuzz${declare(field.args)} { ${call(field)} }`, args: field.args });
    const owner = getNamedType(field.type);
    if (field.args.length || !isObjectType(owner)) continue;
    for (const inner of Object.values(owner.getFields()))
      if (inner.args.length) out.push({ name: `${owner.name}.${inner.name}`, document: `query Fuzz${declare(inner.args)} { ${field.name} { ${call(inner)} } }`, args: inner.args });
  }
  return out;
}

// ---- the run ------------------------------------------------------------------------------------------

let env: TestEnvironment;
let callers: [string, GraphQLClient][] = [];
const all = targets();

beforeAll(async () => {
  env = await createTestEnvironment();
  // Signed in once: the admin's token is reused, so nothing generated can lock the admin out.
  const admin = await env.asAdmin();
  const customer = await env.asCustomer('Fuzzed');
  callers = [['anonymous', env.asAnonymous()], ['customer', customer], ['admin', admin]];
  const catalog = await env.asAnonymous().ok<{ products: { edges: { node: { id: string } }[] } }>('{ products(first: 3) { edges { node { id } } } }');
  // Ids and emails that exist, so generated calls reach real rows; the fuzzed customer's own are left out,
  // or the admin's calls would deactivate it halfway through.
  const bystander = await env.asCustomer('Bystander');
  known.ids.push(...catalog.products.edges.map((e) => e.node.id), bystander.userId);
  known.emails.push(bystander.email, 'nobody@example.com');
});
afterAll(async () => env?.stop());

// What the generated operations ended in, for the run's summary: mostly refusals, but data too.
const outcomes = new Map<string, number>();
afterAll(() => console.log(`[fuzz] outcomes: ${JSON.stringify(Object.fromEntries([...outcomes].sort((a, b) => b[1] - a[1])))}`));

// Ending the caller's own session would only make the rest of the run anonymous; a session of its own is used.
const SESSION_ENDING = new Set(['Mutation.logout']);

describe('input the database cannot hold', () => {
  it('variables nested 10,000 deep are refused with 400 BAD_USER_INPUT, by POST and by GET', async () => {
    const deep = `${'['.repeat(10_000)}"x"${']'.repeat(10_000)}`;
    const post = await fetch(env.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"query":"query($s: String) { products(filter: { search: $s }) { totalCount } }","variables":{"s":${deep}}}` });
    expect(post.status).toBe(400);
    expect(((await post.json()) as GraphQLResponse).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const shallowDeep = `${'['.repeat(1_000)}1${']'.repeat(1_000)}`; // what fits in a URL
    const get = await fetch(`${env.url}?query=${encodeURIComponent('query($s: String) { products(filter: { search: $s }) { totalCount } }')}&variables=${encodeURIComponent(`{"s":${shallowDeep}}`)}`, { headers: { 'apollo-require-preflight': 'true' } });
    expect(get.status).toBe(400);
    expect(((await get.json()) as GraphQLResponse).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('money beyond the integer columns is BAD_USER_INPUT with the field, for a price and for an order total', async () => {
    const admin = await env.asAdmin();
    const tooDear = await admin.request('mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }', { i: { sku: 'FUZZ-DEAR', name: 'Dear', description: '', price: '21474836.48', currency: 'USD' } });
    expect(tooDear.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'price' });
    const dearest = await admin.ok<{ createProduct: { id: string } }>('mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }', { i: { sku: 'FUZZ-DEAREST', name: 'Dearest', description: '', price: '21474836.47', currency: 'USD', initialStock: 10 } });
    known.ids.unshift(dearest.createProduct.id);
    const customer = await env.asCustomer('Rich');
    const order = await customer.request('mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id } }', {
      i: { items: [{ productId: dearest.createProduct.id, quantity: 2 }], shippingAddress: { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' } },
    });
    expect(order.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.items' });
    // Refused without keeping the stock it had reserved.
    const stock = await admin.ok<{ product: { stock: number } }>('query($id: ID!) { product(id: $id) { stock } }', { id: dearest.createProduct.id });
    expect(stock.product.stock).toBe(10);
    // Stock near the column's end: adding more is the caller's mistake, not an overflow inside Postgres.
    await env.supergraph.subgraphs.product.database.db.execute(sql`update products.products set stock = 2147483000 where id = ${dearest.createProduct.id}`);
    const overflow = await admin.request('mutation($id: ID!) { adjustStock(id: $id, delta: 1000, reason: "count") { stock } }', { id: dearest.createProduct.id });
    expect(overflow.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'delta' });
  });

  it('a sign-in with a NUL byte is BAD_USER_INPUT, and still counts toward lockout and the audit trail', async () => {
    const victim = await env.asCustomer('Target');
    const from = env.asAnonymous().from('203.0.113.77');
    const admin = await env.asAdmin();
    const failedBefore = async () => (await admin.ok<{ auditEvents: { totalCount: number } }>('{ auditEvents(filter: { action: "auth.login_failed" }, first: 0) { totalCount } }')).auditEvents.totalCount;
    const before = await failedBefore();
    for (let i = 0; i < 5; i++) {
      const r = await from.request('mutation($i: LoginInput!) { login(input: $i) { accessToken } }', { i: { email: victim.email, password: `guess\u0000${i}` } });
      expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.password' });
    }
    const right = await from.request('mutation($i: LoginInput!) { login(input: $i) { accessToken } }', { i: { email: victim.email, password: victim.password } });
    expect(right.errors?.[0]?.extensions?.code).toBe('ACCOUNT_LOCKED');
    let seen = before;
    await waitFor(async () => (seen = await failedBefore()) >= before + 5, 'five refused sign-ins in the audit trail').catch((err: Error) => {
      throw new Error(`${err.message}: ${seen - before} seen`);
    });
  });
});

describe('generated input through the router', () => {
  it('covers every mutation and every query that takes arguments', () => {
    const names = all.map((t) => t.name);
    for (const m of Object.keys(schema.getMutationType()!.getFields())) expect(names).toContain(`Mutation.${m}`);
    for (const [q, f] of Object.entries(schema.getQueryType()!.getFields())) if (f.args.length) expect(names).toContain(`Query.${q}`);
    console.log(`[fuzz] seed ${SEED}: ${all.length} fields × 3 callers × ${RUNS} runs = ${all.length * 3 * RUNS} operations`);
  });

  it.each(all.map((t, i) => [t.name, t, i] as const))('%s', async (_name, target, index) => {
    const vars = fc.constantFrom(1, 3, 12, 40).chain((calm) =>
      fc.record(Object.fromEntries(target.args.map((a) => [a.name, valueFor(a.name, a.type, calm)])), { requiredKeys: target.args.filter((a) => isNonNullType(a.type)).map((a) => a.name) }),
    );
    const who = SESSION_ENDING.has(target.name) ? [callers[0]!, ['own session', (await env.asCustomer('Leaving')) as GraphQLClient] as [string, GraphQLClient]] : callers;
    for (const [c, [caller, client]] of who.entries()) {
      // One seed per field and caller, all from FUZZ_SEED: each gets values of its own, and a run replays.
      const seed = SEED + index * 7 + c;
      const result = await fc.check(
        fc.asyncProperty(vars, async (variables) => {
          const r = await client.request(target.document, variables as Record<string, unknown>);
          const outcome = `${caller}:${r.errors?.length ? String(r.errors[0]!.extensions?.code) : "data"}`;
          outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
          const problem = violation(r, JSON.stringify(r));
          if (problem) throw new Error(`${problem}: ${JSON.stringify(r.errors ?? r.data).slice(0, 600)}`);
        }),
        { seed, numRuns: RUNS, endOnFailure: true },
      );
      if (result.failed) {
        const shown = JSON.stringify(result.counterexample?.[0], (_k, v: unknown) => (typeof v === 'string' && v.length > 200 ? `${v.slice(0, 200)}…(${v.length})` : v));
        throw new Error(`${target.name} as ${caller} (FUZZ_SEED=${SEED}, path ${result.counterexamplePath}): ${result.errorInstance instanceof Error ? result.errorInstance.message : String(result.errorInstance)}\nvariables: ${shown}`);
      }
    }
  });
});
