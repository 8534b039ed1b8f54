import { readAccessAnnotations, requirementsFor } from '@palisade/auth';
import type { SubgraphSource } from './subgraphs.ts';

/** Every field must say who may use it, on itself or its type (root fields on themselves). */
export function findUnannotatedFields(subgraph: SubgraphSource): string[] {
  const map = readAccessAnnotations(subgraph.typeDefs);
  return map.allFields
    .filter((key) => {
      const [type, field] = key.split('.') as [string, string];
      return requirementsFor(map, type, field).length === 0;
    })
    .map((key) => `unannotated: ${subgraph.name} ${key} has no @authenticated, @requiresScopes, @policy or @public`);
}
