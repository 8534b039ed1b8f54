import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { StartedSubgraph } from '@palisade/kit';
import { signedSubgraphRequest, suiteDatabase, testCaller, testConfig } from '@palisade/kit/testing/index';
import { startProductSubgraph } from '../index.ts';

let sg: StartedSubgraph;
let db: Awaited<ReturnType<typeof suiteDatabase>>;
let productId: string;
const manager = testCaller({ userId: randomUUID(), roles: ['MANAGER'] });

const gql = (query: string, variables?: Record<string, unknown>) => signedSubgraphRequest(sg.url, 'product', manager, query, variables);
const update = (input: Record<string, unknown>) => gql('mutation($id: ID!, $i: UpdateProductInput!) { updateProduct(id: $id, input: $i) { brand attributes { name value } imageUrls } }', { id: productId, i: input });

beforeAll(async () => {
  db = await suiteDatabase();
  sg = await startProductSubgraph({ config: testConfig(), port: 0, databaseUrl: db.url, pgliteDir: null, peers: { security: 'http://127.0.0.1:9', order: 'http://127.0.0.1:9' } });
  const created = await gql('mutation($i: CreateProductInput!) { createProduct(input: $i) { id brand attributes { name } imageUrls } }', {
    i: { sku: `D-${randomUUID().slice(0, 8)}`, name: 'Detailed', description: '', price: '5.00', currency: 'USD' },
  });
  expect(created.body.data!.createProduct).toMatchObject({ brand: null, attributes: [], imageUrls: [] });
  productId = created.body.data!.createProduct.id;
});
afterAll(async () => {
  await sg?.stop();
  await db?.drop();
});

/** Refused as the caller's mistake, pointing at the offending argument, never an internal error. */
async function expectRefused(input: Record<string, unknown>, path: RegExp) {
  const r = await update(input);
  expect(r.status, JSON.stringify(input)).toBeLessThan(500);
  expect(r.body.errors?.map((e) => e.extensions?.code), JSON.stringify(input)).toEqual(['BAD_USER_INPUT']);
  expect(String(r.body.errors?.[0]?.extensions?.field), JSON.stringify(input)).toMatch(path);
}

const host = fc.domain();
const badUrl = fc.oneof(
  fc.webUrl({ validSchemes: ['http', 'ftp', 'ws', 'file'] }),
  fc.tuple(fc.constantFrom('javascript:', 'JavaScript:', 'data:', 'data:image/png;base64,', 'vbscript:', 'blob:https://'), fc.string()).map(([s, rest]) => s + rest),
  fc.tuple(fc.stringMatching(/^[a-z0-9]{1,10}$/), fc.option(fc.stringMatching(/^[a-z0-9]{1,10}$/)), host).map(([u, p, h]) => `https://${u}${p === null ? '' : `:${p}`}@${h}/x.png`),
  fc.tuple(host, fc.constantFrom(' ', '\t', '\n', '\u0000', '\u007f', '\u0085')).map(([h, c]) => `https://${h}/a${c}b.png`),
  host.map((h) => `https://${h}/${'a'.repeat(2050)}`),
  fc.tuple(host, fc.integer({ min: 0, max: 5 })).map(([h, i]) => [`https:${h}/x`, `https:\\\\${h}/x`, `//${h}/x`, `https:///${h}`, 'https://', ''][i]!),
  fc.string({ maxLength: 40 }).filter((s) => !/^https:\/\//i.test(s)),
);
const text = (min: number, max: number) => fc.string({ minLength: min, maxLength: max }).filter((s) => s.trim().length >= min && !/[\u0000-\u001f\u007f-\u009f]/.test(s));
const badAttributes = fc.oneof(
  fc.array(fc.record({ name: text(1, 10), value: text(1, 10) }), { minLength: 31, maxLength: 40 }).map((list) => list.map((a, i) => ({ ...a, name: `n${i}` }))),
  text(0, 5).map((v) => [{ name: '   ', value: v || 'x' }]),
  fc.constant([{ name: 'n'.repeat(51), value: 'x' }]),
  fc.constant([{ name: 'weight', value: 'v'.repeat(201) }]),
  text(1, 20).map((name) => [{ name, value: 'one' }, { name: name.toUpperCase() === name ? name.toLowerCase() : name.toUpperCase(), value: 'two' }]).filter((l) => l[0]!.name.trim().toLowerCase() === l[1]!.name.trim().toLowerCase()),
  fc.constantFrom('\u0000', '\u0007', '\u001b').map((c) => [{ name: `a${c}b`, value: 'x' }]),
  // Every control character (C0, DEL, C1), in a name or a value.
  fc.tuple(fc.integer({ min: 0, max: 0x9f }).filter((c) => c <= 0x1f || c >= 0x7f), fc.boolean()).map(([c, inName]) => {
    const bad = `a${String.fromCharCode(c)}b`;
    return [inName ? { name: bad, value: 'x' } : { name: 'n', value: bad }];
  }),
);

describe('brand, attributes and image URLs', () => {
  it('are stored and returned, and an empty brand clears it', async () => {
    const set = await update({ brand: ' Acme ', attributes: [{ name: 'Colour', value: 'red' }, { name: 'size', value: 'XL' }], imageUrls: ['https://img.example.com/a.png?w=400#top', 'HTTPS://CDN.Example.com/b.jpg'] });
    expect(set.body.errors).toBeUndefined();
    expect(set.body.data!.updateProduct).toEqual({ brand: 'Acme', attributes: [{ name: 'Colour', value: 'red' }, { name: 'size', value: 'XL' }], imageUrls: ['https://img.example.com/a.png?w=400#top', 'https://cdn.example.com/b.jpg'] });
    expect((await update({ brand: '' })).body.data!.updateProduct.brand).toBeNull();
  });

  it('accepts generated https URLs', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.webUrl({ validSchemes: ['https'], withQueryParameters: true, withFragments: true }), { maxLength: 3 }), async (urls) => {
        const r = await update({ imageUrls: urls });
        expect(r.body.errors, JSON.stringify(urls)).toBeUndefined();
      }),
      { numRuns: 30 },
    );
  });

  it('refuse every generated bad URL and attribute list with BAD_USER_INPUT at its argument', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.webUrl({ validSchemes: ['https'] }), { maxLength: 2 }), badUrl, async (good, bad) => {
        await expectRefused({ imageUrls: [...good, bad] }, new RegExp(`^input\\.imageUrls\\.${good.length}$`));
      }),
      { numRuns: 60 },
    );
    await fc.assert(fc.asyncProperty(badAttributes, async (attributes) => expectRefused({ attributes }, /^input\.attributes/)), { numRuns: 40 });
    await expectRefused({ imageUrls: Array.from({ length: 11 }, (_, i) => `https://img.example.com/${i}.png`) }, /^input\.imageUrls$/);
    await expectRefused({ brand: 'b'.repeat(101) }, /^input\.brand$/);
  });
});
