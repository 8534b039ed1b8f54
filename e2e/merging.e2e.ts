import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnvironment, type TestEnvironment } from './harness/supergraph.ts';

let env: TestEnvironment;
beforeAll(async () => {
  env = await createTestEnvironment();
});
afterAll(async () => env?.stop());

const mergedSoFar = async () => {
  const text = await (await fetch(env.url.replace(/\/graphql$/, '/metrics'))).text();
  return Number(/^palisade_merged_operations_total(?:\{[^}]*\})? (\d+)/m.exec(text)?.[1] ?? 0);
};

describe('identical queries in flight at once', () => {
  it("run once per caller, and every caller gets their own account, never another's", async () => {
    const alice = await env.asCustomer('Alice');
    const bob = await env.asCustomer('Bob');
    const query = '{ me { id displayName } }';
    let reads = 0;
    // The user loader's batched read, as \`me\` does it; background work (the mail queue reading a recipient by
    // id after registration) reads the same table and must not count.
    const stop = env.supergraph.subgraphs.user.database.observe((q) => void (/from "users"\."users" where "users"\."users"\."id" = any\(/.test(q) && reads++));
    const before = await mergedSoFar();
    let answers;
    try {
      answers = await Promise.all(Array.from({ length: 30 }, () => [alice.request(query), bob.request(query)]).flat());
    } finally {
      stop();
    }
    answers.forEach((r, i) => expect(r.data?.me).toEqual(i % 2 === 0 ? { id: alice.userId, displayName: 'Alice' } : { id: bob.userId, displayName: 'Bob' }));
    // 60 requests; without merging each reads the user once.
    expect(reads).toBeGreaterThan(0);
    expect(reads).toBeLessThan(60);
    expect((await mergedSoFar()) - before).toBe(60 - reads);
  });

  it("never merges mutations: each of a caller's identical concurrent changes happens", async () => {
    const carol = await env.asCustomer('Carol');
    let updates = 0;
    const stop = env.supergraph.subgraphs.user.database.observe((q) => void (/^update "users"\."users"/.test(q) && updates++));
    try {
      const results = await Promise.all(Array.from({ length: 5 }, () => carol.request('mutation($i: UpdateProfileInput!) { updateProfile(input: $i) { displayName } }', { i: { displayName: 'Carol 1' } })));
      for (const r of results) expect(r.data?.updateProfile).toEqual({ displayName: 'Carol 1' });
    } finally {
      stop();
    }
    expect(updates).toBe(5);
  });
});
