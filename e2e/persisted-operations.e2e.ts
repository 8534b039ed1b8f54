import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Catalog, type CatalogQuery, type CatalogQueryVariables } from '@palisade/schema/generated/operations';
import { createTestEnvironment, type TestEnvironment } from './harness/supergraph.ts';

const manifest = JSON.parse(readFileSync(fileURLToPath(new URL('../schema/operations/manifest.json', import.meta.url)), 'utf8')) as { operations: { id: string; name: string; body: string }[] };
const catalog = manifest.operations.find((o) => o.name === 'Catalog')!;
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

let allow: TestEnvironment;
let enforce: TestEnvironment;
beforeAll(async () => {
  allow = await createTestEnvironment({ router: { persistedOperations: 'allow' } });
  enforce = await createTestEnvironment({ router: { persistedOperations: 'enforce' } });
});
afterAll(async () => {
  await allow?.stop();
  await enforce?.stop();
});

const post = async <Data = Record<string, any>>(env: TestEnvironment, body: object) => {
  const res = await fetch(env.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as { data?: Data; errors?: { extensions: { code: string } }[] } };
};
const code = (r: { body: { errors?: { extensions: { code: string } }[] } }) => r.body.errors?.[0]?.extensions.code;

describe('automatic persisted queries (allow mode)', () => {
  it('asks for the text of an unknown hash, then runs it by hash alone', async () => {
    const query = '{ categories { slug } }';
    const apq = { persistedQuery: { version: 1, sha256Hash: sha(query) } };
    expect(code(await post(allow, { extensions: apq }))).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect((await post(allow, { query, extensions: apq })).body.data?.categories.length).toBeGreaterThan(0);
    expect((await post(allow, { extensions: apq })).body.data?.categories.length).toBeGreaterThan(0);
  });

  it('runs trusted documents by id, and other queries too', async () => {
    expect((await post<CatalogQuery>(allow, { documentId: `sha256:${Catalog.id}`, variables: { first: 2 } satisfies CatalogQueryVariables })).body.data?.products.edges).toHaveLength(2);
    expect((await post(allow, { query: '{ categories { id } }' })).body.data?.categories).toBeDefined();
  });
});

describe('trusted documents only (enforce mode)', () => {
  it('runs manifest operations by id or by their exact text', async () => {
    expect((await post<CatalogQuery>(enforce, { documentId: Catalog.id, variables: { first: 1 } satisfies CatalogQueryVariables })).body.data?.products.edges).toHaveLength(1);
    expect((await post(enforce, { extensions: { persistedQuery: { version: 1, sha256Hash: catalog.id } } })).body.data?.products).toBeDefined();
    expect((await post(enforce, { query: catalog.body, variables: { first: 1 } })).body.data?.products).toBeDefined();
  });

  it('refuses any other operation, by POST or GET, and unknown hashes', async () => {
    const other = await post(enforce, { query: '{ products(first: 1) { edges { node { id } } } }' });
    expect(other.status).toBe(400);
    expect(code(other)).toBe('PERSISTED_QUERY_NOT_FOUND');
    const query = '{ categories { slug } }';
    expect(code(await post(enforce, { query, extensions: { persistedQuery: { version: 1, sha256Hash: sha(query) } } }))).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect(code(await post(enforce, { documentId: sha('nope') }))).toBe('PERSISTED_QUERY_NOT_FOUND');
    const get = await fetch(`${enforce.url}?query=${encodeURIComponent(query)}`, { headers: { 'apollo-require-preflight': 'true' } });
    expect(get.status).toBe(400);
    expect(((await get.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
  });
});
