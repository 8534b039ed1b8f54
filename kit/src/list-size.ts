import { Kind, type ConstDirectiveNode, type ValueNode } from 'graphql';

/** What the schema says a list field may return: `@listSize` (Apollo's demand-control spec). */
export interface ListSize {
  assumedSize: number | null;
  slicingArguments: string[];
  sizedFields: string[];
}

const int = (v: ValueNode | undefined) => (v?.kind === Kind.INT ? Number(v.value) : null);
const strings = (v: ValueNode | undefined) => (v?.kind === Kind.LIST ? v.values.flatMap((x) => (x.kind === Kind.STRING ? [x.value] : [])) : []);

/**
 * A field's @listSize, read one way for both cost models: the router's (whole operation, before execution) and
 * the subgraphs' rate limits (per field, as it resolves), so a page costs the same in both.
 */
export function listSizeOf(directives: readonly ConstDirectiveNode[] | undefined): ListSize | null {
  const d = directives?.find((x) => x.name.value === 'listSize');
  if (!d) return null;
  const arg = (n: string) => d.arguments?.find((a) => a.name.value === n)?.value;
  return { assumedSize: int(arg('assumedSize')), slicingArguments: strings(arg('slicingArguments')), sizedFields: strings(arg('sizedFields')) };
}

/**
 * What one list field costs a budget: its slicing argument's value (the first one given), else @listSize's
 * assumed size; anything else 1. The subgraphs' rate limits and the router's public cache (charging a hit as the
 * subgraph would have) both count with this, so a page costs the same wherever it is answered.
 */
export function pageCost(size: ListSize | null | undefined, argument: (name: string) => unknown): number {
  if (!size) return 1;
  for (const n of size.slicingArguments) {
    const v = argument(n);
    if (typeof v === 'number') return Math.max(1, v);
  }
  return Math.max(1, size.assumedSize ?? 1);
}
