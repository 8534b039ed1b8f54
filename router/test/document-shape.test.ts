import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'graphql';
import { HttpError } from '@palisade/kit';
import { measureDocumentShape, refuseCostlyToValidate } from '../src/document-shape.ts';
import { testConfig } from '@palisade/kit/testing/index';

const defaults = testConfig().router.limits;
const refusalOf = (text: string) => {
  try {
    refuseCostlyToValidate(text, defaults);
    return null;
  } catch (e) {
    return e instanceof HttpError ? { status: e.status, code: e.code } : e;
  }
};

describe('the shape check before validation', () => {
  it("refuses the penetration test's document (480 fragments spread side by side) as QUERY_TOO_COMPLEX", () => {
    const n = 480;
    const text = `{${Array.from({ length: n }, (_, i) => `...F${i}`).join(' ')}} ${Array.from({ length: n }, (_, i) => `fragment F${i} on Query{__typename}`).join(' ')}`;
    expect(text.length).toBeGreaterThan(19_000);
    expect(refusalOf(text)).toEqual({ status: 400, code: 'QUERY_TOO_COMPLEX' });
  });

  it('lets every trusted document through with the default limits', () => {
    const files = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.graphql') ? [join(dir, e.name)] : []));
    const docs = files(join(import.meta.dirname, '../../schema/operations'));
    expect(docs.length).toBeGreaterThan(0);
    for (const f of docs) expect(refusalOf(readFileSync(f, 'utf8'))).toBeNull();
  });

  it('refuses exactly the documents over a limit, looking at each node written at most once', () => {
    // f fragments; the operation spreads s of them side by side next to w sibling fields (some inside an
    // inline fragment, which validation merges into the set); each fragment holds `inner` fields.
    const shapes = fc.record({
      f: fc.integer({ min: 1, max: 60 }),
      s: fc.integer({ min: 0, max: 150 }),
      w: fc.integer({ min: 0, max: 150 }),
      inline: fc.integer({ min: 0, max: 60 }),
      inner: fc.integer({ min: 1, max: 150 }),
      limits: fc.record({ maxFragments: fc.integer({ min: 1, max: 64 }), maxSpreads: fc.integer({ min: 1, max: 200 }), maxSelectionsPerSet: fc.integer({ min: 1, max: 200 }) }),
    });
    fc.assert(
      fc.property(shapes, ({ f, s, w, inline, inner, limits }) => {
        const spreads = Array.from({ length: s }, (_, i) => `...F${i % f}`).join(' ');
        const fields = Array.from({ length: w }, (_, i) => `a${i}: __typename`).join(' ');
        const inlined = inline ? `... on Query { ${Array.from({ length: inline }, () => '__typename').join(' ')} }` : '';
        const frags = Array.from({ length: f }, (_, i) => `fragment F${i} on Query { ${Array.from({ length: inner }, () => '__typename').join(' ')} }`).join(' ');
        const doc = parse(`{ ${spreads} ${fields} ${inlined} __typename } ${frags}`);
        const shape = measureDocumentShape(doc, limits);
        const over = f > limits.maxFragments || s > limits.maxSpreads || s + w + inline + 1 > limits.maxSelectionsPerSet || inner > limits.maxSelectionsPerSet;
        expect(shape.refusal !== null).toBe(over);
        // Work before refusing (or passing): one look per definition and per selection written, at most.
        const written = 1 + f + (s + w + (inline ? 1 + inline : 0) + 1) + f * inner;
        expect(shape.visited).toBeLessThanOrEqual(written);
      }),
      { numRuns: 300 },
    );
  });
});
