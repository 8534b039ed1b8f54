import {
  getNamedType, isListType, isNonNullType, isObjectType, isInterfaceType, Kind, valueFromASTUntyped,
  type FragmentDefinitionNode, type GraphQLField, type GraphQLOutputType, type GraphQLSchema, type OperationDefinitionNode, type SelectionSetNode,
} from 'graphql';
import type { CostModel } from './cost-model.ts';

export interface OperationMeasure {
  depth: number;
  aliases: number;
  directives: number;
  cost: number;
}

/** A list nobody sized is assumed to hold this many items. */
export const DEFAULT_LIST_SIZE = 10;

const isList = (t: GraphQLOutputType): boolean => isListType(isNonNullType(t) ? t.ofType : t);

/**
 * Walks an operation the way it would execute: every field costs 1 times the number of times it will
 * run, which list sizes (a slicing argument such as `first`, else @listSize's assumed size) multiply.
 * Introspection fields are not counted; they are switched off in production.
 */
export function measureOperation(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: Record<string, FragmentDefinitionNode>,
  variables: Record<string, unknown>,
  model: CostModel,
): OperationMeasure {
  const m: OperationMeasure = { depth: 0, aliases: 0, directives: operation.directives?.length ?? 0, cost: 0 };
  const root = operation.operation === 'query' ? schema.getQueryType() : operation.operation === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType();
  if (!root) return m;

  const walk = (set: SelectionSetNode, typeName: string, depth: number, multiplier: number, sized: { fields: string[]; size: number } | null, seen: Set<string>) => {
    for (const sel of set.selections) {
      m.directives += sel.directives?.length ?? 0;
      if (sel.kind === Kind.INLINE_FRAGMENT) {
        walk(sel.selectionSet, sel.typeCondition?.name.value ?? typeName, depth, multiplier, sized, seen);
        continue;
      }
      if (sel.kind === Kind.FRAGMENT_SPREAD) {
        const frag = fragments[sel.name.value];
        if (!frag || seen.has(frag.name.value)) continue;
        walk(frag.selectionSet, frag.typeCondition.name.value, depth, multiplier, sized, new Set(seen).add(frag.name.value));
        continue;
      }
      if (sel.name.value.startsWith('__')) continue;
      if (sel.alias) m.aliases++;
      const type = schema.getType(typeName);
      const field: GraphQLField<unknown, unknown> | undefined = isObjectType(type) || isInterfaceType(type) ? type.getFields()[sel.name.value] : undefined;
      const here = sized?.fields.includes(sel.name.value) ? multiplier * sized.size : multiplier;
      m.cost += here;
      m.depth = Math.max(m.depth, depth);
      if (!sel.selectionSet || !field) continue;
      const rule = model.get(`${typeName}.${sel.name.value}`);
      let size = isList(field.type) ? DEFAULT_LIST_SIZE : 1;
      let childSized: { fields: string[]; size: number } | null = null;
      if (rule) {
        const sliced = rule.slicingArguments
          .map((name) => sel.arguments?.find((a) => a.name.value === name))
          .map((a) => (a ? Number(valueFromASTUntyped(a.value, variables)) : NaN))
          .find((n) => Number.isFinite(n));
        const ruleSize = Math.max(0, sliced ?? rule.assumedSize ?? DEFAULT_LIST_SIZE);
        if (rule.sizedFields.length) childSized = { fields: rule.sizedFields, size: ruleSize };
        else size = ruleSize;
      }
      walk(sel.selectionSet, getNamedType(field.type).name, depth + 1, here * size, childSized, seen);
    }
  };
  walk(operation.selectionSet, root.name, 1, 1, null, new Set());
  return m;
}
