import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Kind, parse, type FragmentDefinitionNode, type OperationDefinitionNode, type FieldNode } from 'graphql';
import { asksTotalCount } from '../src/pagination.ts';

// A page asked for without totalCount sends no count statement (keysetPage's `count: false`), so deciding
// "not asked" wrongly would answer 0 to a client that asked. Generated selections of a connection: totalCount
// anywhere (directly, in inline fragments, in named fragments, nested fragments, under @include) or nowhere.
type Sel = { kind: 'field'; name: string } | { kind: 'inline'; of: Sel[] } | { kind: 'spread'; of: Sel[]; include: boolean };
const fieldName = fc.constantFrom('edges { node { id } }', 'pageInfo { hasNextPage }', '__typename', 'totalCount');
const selection: fc.Arbitrary<Sel[]> = fc.letrec<{ sels: Sel[]; sel: Sel }>((tie) => ({
  sel: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fieldName.map((name) => ({ kind: 'field' as const, name })),
    tie('sels').map((of) => ({ kind: 'inline' as const, of })),
    fc.tuple(tie('sels'), fc.boolean()).map(([of, include]) => ({ kind: 'spread' as const, of, include })),
  ),
  sels: fc.array(tie('sel'), { minLength: 1, maxLength: 3 }),
})).sels;

const contains = (sels: Sel[]): boolean => sels.some((s) => (s.kind === 'field' ? s.name === 'totalCount' : contains(s.of)));

function render(sels: Sel[]): { query: string } {
  const fragments: string[] = [];
  const text = (ss: Sel[]): string =>
    ss
      .map((s) => {
        if (s.kind === 'field') return s.name;
        if (s.kind === 'inline') return `... on OrderConnection { ${text(s.of)} }`;
        const index = fragments.push('') - 1;
        const name = `F${index}`;
        // Its own selections may define fragments of their own: the slot is taken first.
        fragments[index] = `fragment ${name} on OrderConnection { ${text(s.of)} }`;
        return `...${name}${s.include ? ' @include(if: $x)' : ''}`;
      })
      .join(' ');
  const body = text(sels);
  return { query: `query($x: Boolean!) { orders(first: 5) { ${body} } } ${fragments.join(' ')}` };
}

function infoOf(query: string) {
  const doc = parse(query);
  const op = doc.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  const fragments = Object.fromEntries(doc.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((f) => [f.name.value, f]));
  return { fieldNodes: [op.selectionSet.selections[0] as FieldNode], fragments };
}

describe('asksTotalCount', () => {
  it('says yes exactly when totalCount is selected somewhere in the connection, over generated selections', () => {
    fc.assert(
      fc.property(selection, (sels) => {
        expect(asksTotalCount(infoOf(render(sels).query))).toBe(contains(sels));
      }),
      { numRuns: 300 },
    );
  });

  it('does not look into nested objects: a totalCount of something inside an edge is not the connection\'s', () => {
    expect(asksTotalCount(infoOf('{ orders { edges { node { items { totalCount } } } } }'))).toBe(false);
    expect(asksTotalCount(infoOf('{ orders { edges { node { id } } totalCount } }'))).toBe(true);
  });

  it('terminates on a fragment spread twice', () => {
    expect(asksTotalCount(infoOf('{ orders { ...A ...A } } fragment A on OrderConnection { edges { cursor } }'))).toBe(false);
  });
});
