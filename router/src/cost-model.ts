import { Kind, parse, type DocumentNode, type ValueNode } from 'graphql';

/** What the schema says a list field may return: `@listSize` from the supergraph (Apollo's demand-control spec). */
export interface ListSize {
  assumedSize: number | null;
  slicingArguments: string[];
  sizedFields: string[];
}

export type CostModel = Map<string, ListSize>; // "Type.field" → size rule

const ints = (v: ValueNode | undefined) => (v?.kind === Kind.INT ? Number(v.value) : null);
const strings = (v: ValueNode | undefined) => (v?.kind === Kind.LIST ? v.values.flatMap((x) => (x.kind === Kind.STRING ? [x.value] : [])) : []);

export function costModelFromSupergraph(supergraphSdl: string): CostModel {
  const model: CostModel = new Map();
  const doc: DocumentNode = parse(supergraphSdl);
  for (const def of doc.definitions) {
    if (def.kind !== Kind.OBJECT_TYPE_DEFINITION && def.kind !== Kind.OBJECT_TYPE_EXTENSION) continue;
    for (const field of def.fields ?? []) {
      const d = field.directives?.find((x) => x.name.value === 'listSize');
      if (!d) continue;
      const arg = (n: string) => d.arguments?.find((a) => a.name.value === n)?.value;
      model.set(`${def.name.value}.${field.name.value}`, { assumedSize: ints(arg('assumedSize')), slicingArguments: strings(arg('slicingArguments')), sizedFields: strings(arg('sizedFields')) });
    }
  }
  return model;
}
