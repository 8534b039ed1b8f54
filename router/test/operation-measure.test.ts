import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ApolloGateway } from '@apollo/gateway';
import {
  getNamedType, isInterfaceType, isListType, isNonNullType, isObjectType, Kind, parse, valueFromASTUntyped,
  type DocumentNode, type FragmentDefinitionNode, type GraphQLOutputType, type GraphQLSchema, type OperationDefinitionNode, type SelectionSetNode,
} from 'graphql';
import { loadSupergraph } from '../src/supergraph.ts';
import { costModelFromSupergraph, type CostModel } from '../src/cost-model.ts';
import { countSelections, DEFAULT_LIST_SIZE, measureOperation, type OperationMeasure } from '../src/operation-measure.ts';

let gateway: ApolloGateway;
let schema: GraphQLSchema;
let model: CostModel;
beforeAll(async () => {
  const sdl = loadSupergraph();
  gateway = new ApolloGateway({ supergraphSdl: sdl });
  schema = (await gateway.load()).schema;
  model = costModelFromSupergraph(sdl);
});
afterAll(async () => gateway?.stop());

const fragmentsOf = (doc: DocumentNode) => Object.fromEntries(doc.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [])));
const operationOf = (doc: DocumentNode) => doc.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
const measure = (text: string, variables: Record<string, unknown> = {}, maxVisited?: number) => {
  const doc = parse(text);
  return { doc, m: measureOperation(schema, operationOf(doc), fragmentsOf(doc), variables, model, maxVisited) };
};

/**
 * The measure by its definition: the operation with every fragment written out where it is spread, walked as
 * it would execute. Exponential in nested spreads — which is why the router does not do it this way — but
 * the plain statement of what each number means, for documents small enough to expand.
 */
function expandedMeasure(doc: DocumentNode, variables: Record<string, unknown>): Omit<OperationMeasure, 'visited' | 'exhausted'> {
  const operation = operationOf(doc);
  const fragments = fragmentsOf(doc);
  const m = { depth: 0, aliases: 0, directives: operation.directives?.length ?? 0, cost: 0 };
  const isList = (t: GraphQLOutputType): boolean => isListType(isNonNullType(t) ? t.ofType : t);
  const walk = (set: SelectionSetNode, typeName: string, depth: number, multiplier: number, sized: { fields: string[]; size: number } | null) => {
    for (const sel of set.selections) {
      m.directives += sel.directives?.length ?? 0;
      if (sel.kind === Kind.INLINE_FRAGMENT) walk(sel.selectionSet, sel.typeCondition?.name.value ?? typeName, depth, multiplier, sized);
      else if (sel.kind === Kind.FRAGMENT_SPREAD) {
        const frag = fragments[sel.name.value] as FragmentDefinitionNode;
        walk(frag.selectionSet, frag.typeCondition.name.value, depth, multiplier, sized);
      } else {
        if (sel.alias) m.aliases++;
        if (sel.name.value.startsWith('__')) continue;
        const type = schema.getType(typeName);
        const field = isObjectType(type) || isInterfaceType(type) ? type.getFields()[sel.name.value] : undefined;
        const here = sized?.fields.includes(sel.name.value) ? multiplier * sized.size : multiplier;
        m.cost += here;
        m.depth = Math.max(m.depth, depth);
        if (!sel.selectionSet || !field) continue;
        const rule = model.get(`${typeName}.${sel.name.value}`);
        let size = isList(field.type) ? DEFAULT_LIST_SIZE : 1;
        let childSized: { fields: string[]; size: number } | null = null;
        if (rule) {
          const sliced = rule.slicingArguments.map((n) => sel.arguments?.find((a) => a.name.value === n)).map((a) => (a ? Number(valueFromASTUntyped(a.value, variables)) : NaN)).find((n) => Number.isFinite(n));
          const ruleSize = Math.max(0, sliced ?? rule.assumedSize ?? DEFAULT_LIST_SIZE);
          if (rule.sizedFields.length) childSized = { fields: rule.sizedFields, size: ruleSize };
          else size = ruleSize;
        }
        walk(sel.selectionSet, getNamedType(field.type).name, depth + 1, here * size, childSized);
      }
    }
  };
  walk(operation.selectionSet, schema.getQueryType()!.name, 1, 1, null);
  return m;
}

// A slice of the real schema to write documents in: field → the type it leads to (null for a leaf).
const FIELDS: Record<string, Record<string, string | null>> = {
  Query: { categories: 'Category', products: 'ProductConnection', __typename: null },
  Category: { id: null, name: null, slug: null, parent: 'Category', children: 'Category', __typename: null },
  ProductConnection: { totalCount: null, edges: 'ProductEdge', __typename: null },
  ProductEdge: { cursor: null, node: 'Product' },
  Product: { id: null, name: null, sku: null, inStock: null, price: 'Money', category: 'Category', __typename: null },
  Money: { amount: null, currency: null },
};
const FRAGMENT_TYPES = ['Category', 'ProductConnection', 'Product'];

/**
 * Random documents over that slice: aliases (of meta fields too), directives, inline fragments, sliced lists,
 * and named fragments that spread later ones (never a cycle), each spread any number of times anywhere.
 */
const documents = fc.gen().map((g) => {
  const fragmentCount = g(fc.integer, { min: 0, max: 5 });
  const fragmentTypes = Array.from({ length: fragmentCount }, () => g(fc.constantFrom, ...FRAGMENT_TYPES));
  let alias = 0;
  const selections = (type: string, depthLeft: number, fromFragment: number): string => {
    const fields = FIELDS[type]!;
    const parts: string[] = [];
    const count = g(fc.integer, { min: 1, max: 4 });
    for (let i = 0; i < count; i++) {
      const kind = g(fc.integer, { min: 0, max: 9 });
      const spreadable = fragmentTypes.map((t, j) => [t, j] as const).filter(([t, j]) => t === type && j > fromFragment);
      if (kind === 0 && spreadable.length) {
        const [, j] = g(fc.constantFrom, ...spreadable);
        parts.push(`...F${j}` + (g(fc.boolean) ? ' @include(if: true)' : ''));
        continue;
      }
      if (kind === 1 && depthLeft > 0) {
        parts.push(`... on ${type} { ${selections(type, depthLeft - 1, fromFragment)} }`);
        continue;
      }
      const names = Object.keys(fields).filter((f) => fields[f] === null || depthLeft > 0);
      const name = g(fc.constantFrom, ...names);
      const aliased = g(fc.boolean) ? `a${alias++}: ` : '';
      const args = name === 'products' && g(fc.boolean) ? `(first: ${g(fc.integer, { min: 0, max: 40 })})` : '';
      const directive = g(fc.integer, { min: 0, max: 4 }) === 0 ? ' @skip(if: false)' : '';
      const next = fields[name];
      parts.push(`${aliased}${name}${args}${directive}${next ? ` { ${selections(next, depthLeft - 1, fromFragment)} }` : ''}`);
    }
    return parts.join(' ');
  };
  const fragments = fragmentTypes.map((t, j) => `fragment F${j} on ${t} { ${selections(t, 3, j)} }`);
  return [`query Q { ${selections('Query', 4, -1)} }`, ...fragments].join('\n');
});

describe('the operation measure', () => {
  it('gives the numbers of the written-out operation, for generated documents', () => {
    fc.assert(
      fc.property(documents, (text) => {
        const { doc, m } = measure(text);
        expect({ depth: m.depth, aliases: m.aliases, directives: m.directives, cost: m.cost }).toEqual(expandedMeasure(doc, {}));
        expect(m.exhausted).toBe(false);
      }),
      { numRuns: 400 },
    );
  });

  it('visits each selection written in the document at most once, however deeply fragments spread each other', () => {
    // Level i spreads level i+1 n times: the written-out operation has n^k leaves, the document k·n spreads.
    const nested = fc.record({ k: fc.integer({ min: 1, max: 30 }), n: fc.integer({ min: 1, max: 6 }), leaf: fc.constantFrom('id', 'id name', '__typename', 'children { id }'), other: documents });
    fc.assert(
      fc.property(nested, ({ k, n, leaf, other }) => {
        let text = `${other.replace(/^query Q \{/, '{ categories { ...L0 }')}`;
        for (let i = 0; i < k; i++) text += `\nfragment L${i} on Category { ${Array.from({ length: n }, () => `...L${i + 1}`).join(' ')} }`;
        text += `\nfragment L${k} on Category { ${leaf} }`;
        const { doc, m } = measure(text);
        expect(m.visited).toBeLessThanOrEqual(countSelections(doc));
        // Spread n times, a fragment adds n times its cost: the leaf's fields run n^k times per category.
        const leafCost = { id: 1, 'id name': 2, __typename: 0, 'children { id }': 1 + 20 }[leaf]!;
        const base = measure(other);
        if (n ** k * leafCost < 1e12) expect(m.cost).toBe(base.m.cost + 1 + 50 * n ** k * leafCost);
        else expect(m.cost).toBeGreaterThan(1e12);
      }),
      { numRuns: 300 },
    );
  });

  it('stops at its budget of visits and says so', () => {
    fc.assert(
      fc.property(documents, fc.integer({ min: 1, max: 100 }), (text, short) => {
        const { doc, m } = measure(text);
        const budget = m.visited - short;
        const cut = measureOperation(schema, operationOf(doc), fragmentsOf(doc), {}, model, budget);
        expect(cut.exhausted).toBe(budget < m.visited);
        expect(cut.visited).toBeLessThanOrEqual(Math.max(budget, 0) + 1);
      }),
    );
  });

  it('counts aliases of meta fields toward the alias limit', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('__typename', '__schema { queryType { name } }', '__type(name: "Product") { name }'), { minLength: 1, maxLength: 40 }), (metas) => {
        const { m } = measure(`{ ${metas.map((f, i) => `m${i}: ${f}`).join(' ')} categories { id } }`);
        expect(m.aliases).toBe(metas.length);
      }),
    );
  });

  it("measures a variable the request leaves out at the operation's default, as if it were sent", () => {
    // Every document gets at least one written size, besides those the generator writes.
    const withSizes = fc.tuple(documents, fc.integer({ min: 0, max: 200 })).map(([text, k]) => text.replace(/^query Q \{/, `query Q { sized: products(first: ${k}) { edges { node { id category { children { name } } } } }`));
    fc.assert(
      fc.property(withSizes, fc.boolean(), (text, nullDefaults) => {
        // Every written size becomes a variable whose default is that size.
        const sizes: number[] = [];
        const body = text.replace(/first: (\d+)/g, (_, n: string) => `first: $v${sizes.push(Number(n)) - 1}`);
        const declared = `query Q(${sizes.map((n, i) => `$v${i}: Int = ${n}`).join(', ')}) {`;
        const withDefaults = body.replace(/^query Q \{/, declared);
        const sent = Object.fromEntries(sizes.map((n, i) => [`v${i}`, n]));
        const literal = measure(text).m;
        expect(measure(withDefaults).m).toEqual(literal);
        expect(measure(withDefaults, sent).m).toEqual(literal);
        // A null sent explicitly replaces the default (the spec's coercion) and sizes nothing: as if no size were written.
        if (nullDefaults) expect(measure(withDefaults, Object.fromEntries(sizes.map((_, i) => [`v${i}`, null]))).m).toEqual(measure(text.replace(/\(first: \d+\)/g, '')).m);
      }),
      { numRuns: 100 },
    );
  });

  it('measures the report\'s query with a default of 100 as with a written 100 (cost 24,101)', () => {
    const text = 'query($n: Int = 100) { products(first: $n) { edges { node { id category { children { name } } } } } }';
    expect(measure(text).m.cost).toBe(24_101);
    expect(measure(text).m.cost).toBe(measure(text.replace('$n) {', '100) {').replace('($n: Int = 100)', '')).m.cost);
  });

  it('reads list sizes from variables, and a list of zero costs nothing below it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), (n) => {
        const text = 'query($n: Int) { products(first: $n) { totalCount edges { node { id category { children { id } } } } } }';
        const { doc, m } = measure(text, { n });
        expect(m.cost).toBe(expandedMeasure(doc, { n }).cost);
        expect(m.cost).toBe(n === 0 ? 2 : measure(text, { n: 1 }).m.cost * n - 2 * (n - 1));
      }),
    );
  });
});
