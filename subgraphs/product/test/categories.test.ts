import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { StartedSubgraph } from '@palisade/kit';
import { signedSubgraphRequest, suiteDatabase, testCaller, testConfig } from '@palisade/kit/testing/index';
import { startProductSubgraph } from '../index.ts';

let sg: StartedSubgraph;
let db: Awaited<ReturnType<typeof suiteDatabase>>;
const manager = testCaller({ userId: randomUUID(), roles: ['MANAGER'] });
const customer = testCaller({ userId: randomUUID() });

beforeAll(async () => {
  db = await suiteDatabase();
  sg = await startProductSubgraph({ config: testConfig(), port: 0, databaseUrl: db.url, pgliteDir: null, peers: { security: 'http://127.0.0.1:9', order: 'http://127.0.0.1:9' } });
});
afterAll(async () => {
  await sg?.stop();
  await db?.drop();
});

const gql = (caller: typeof manager, query: string, variables?: Record<string, unknown>) => signedSubgraphRequest(sg.url, 'product', caller, query, variables);
const codes = (r: Awaited<ReturnType<typeof gql>>) => (r.body.errors ?? []).map((e) => e.extensions?.code);
const MOVE = 'mutation($id: ID!, $p: ID) { updateCategory(id: $id, input: { parentId: $p }) { id parent { id } } }';

async function makeTree(n: number) {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await gql(manager, 'mutation($s: String!) { createCategory(input: { name: "Node", slug: $s }) { id } }', { s: `node-${randomUUID().slice(0, 8)}` });
    ids.push(r.body.data!.createCategory.id as string);
  }
  return ids;
}

/** Follows parents from each category; a cycle would walk forever, so the walk is bounded by the count. */
async function hasCycle(ids: string[]) {
  const r = await gql(manager, '{ categories { id parent { id } } }');
  const parent = new Map((r.body.data!.categories as { id: string; parent: { id: string } | null }[]).map((c) => [c.id, c.parent?.id ?? null]));
  return ids.some((start) => {
    let at: string | null = start;
    for (let steps = 0; at; steps++) {
      if (steps > parent.size) return true;
      at = parent.get(at) ?? null;
    }
    return false;
  });
}

describe('moving categories', () => {
  it('never makes a cycle, whatever sequence of moves is asked', async () => {
    const ids = await makeTree(6);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(5), fc.option(fc.nat(5), { nil: null })), { minLength: 1, maxLength: 12 }), async (moves) => {
        for (const [child, parent] of moves) {
          const r = await gql(manager, MOVE, { id: ids[child], p: parent === null ? null : ids[parent] });
          // A refused move is refused as the caller's mistake, never as a server error.
          expect(codes(r).every((c) => c === 'BAD_USER_INPUT')).toBe(true);
        }
        expect(await hasCycle(ids)).toBe(false);
      }),
      { numRuns: 15 },
    );
  });

  it('lets one of two opposite moves at once win, never both', async () => {
    // Many pairs at once, so the two moves of a pair really overlap.
    const pairs = await Promise.all(Array.from({ length: 15 }, () => makeTree(2)));
    const results = await Promise.all(pairs.map(([a, b]) => Promise.all([gql(manager, MOVE, { id: a, p: b }), gql(manager, MOVE, { id: b, p: a })])));
    // One wins; the other is told why, as the caller's mistake (not a deadlock surfacing as a server error).
    for (const [x, y] of results) expect([codes(x), codes(y)].map((c) => c.join()).sort()).toEqual(['', 'BAD_USER_INPUT']);
    expect(await hasCycle(pairs.flat())).toBe(false);
  });

  it('renames, refuses a taken slug as CONFLICT, and is for catalog writers only', async () => {
    const [a, b] = await makeTree(2);
    const slugOfB = ((await gql(manager, '{ categories { id slug } }')).body.data!.categories as { id: string; slug: string }[]).find((c) => c.id === b)!.slug;
    const renamed = await gql(manager, 'mutation($id: ID!) { updateCategory(id: $id, input: { name: "Renamed" }) { name } }', { id: a });
    expect(renamed.body.data).toEqual({ updateCategory: { name: 'Renamed' } });
    expect(codes(await gql(manager, 'mutation($id: ID!, $s: String) { updateCategory(id: $id, input: { slug: $s }) { id } }', { id: a, s: slugOfB }))).toEqual(['CONFLICT']);
    expect(codes(await gql(manager, 'mutation($id: ID!) { updateCategory(id: $id, input: {}) { id } }', { id: a }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await gql(manager, MOVE, { id: randomUUID(), p: null }))).toEqual(['NOT_FOUND']);
    expect(codes(await gql(customer, 'mutation($id: ID!) { updateCategory(id: $id, input: { name: "Mine" }) { id } }', { id: a }))).toEqual(['FORBIDDEN']);
  });
});
