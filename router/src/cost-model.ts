import { Kind, parse, type DocumentNode } from 'graphql';
import { listSizeOf, type ListSize } from '@palisade/kit';

export type { ListSize };
export type CostModel = Map<string, ListSize>; // "Type.field" → size rule

/** Every @listSize of the supergraph, by field coordinate. */
export function costModelFromSupergraph(supergraphSdl: string): CostModel {
  const model: CostModel = new Map();
  const doc: DocumentNode = parse(supergraphSdl);
  for (const def of doc.definitions) {
    if (def.kind !== Kind.OBJECT_TYPE_DEFINITION && def.kind !== Kind.OBJECT_TYPE_EXTENSION) continue;
    for (const field of def.fields ?? []) {
      const size = listSizeOf(field.directives);
      if (size) model.set(`${def.name.value}.${field.name.value}`, size);
    }
  }
  return model;
}
