import {
  getNamedType, isListType, isNonNullType, isObjectType, isInterfaceType, Kind, valueFromASTUntyped,
  type DocumentNode, type FragmentDefinitionNode, type GraphQLField, type GraphQLOutputType, type GraphQLSchema, type OperationDefinitionNode, type SelectionSetNode,
} from 'graphql';
import type { CostModel } from './cost-model.ts';

export interface OperationMeasure {
  depth: number;
  aliases: number;
  directives: number;
  cost: number;
  /** Selections the measure walked: the work it did, at most once per selection written in the document. */
  visited: number;
  /** The walk stopped at its budget of visits; the other numbers are then incomplete. */
  exhausted: boolean;
}

/** A list nobody sized is assumed to hold this many items. */
export const DEFAULT_LIST_SIZE = 10;

/** Visits allowed per selection written in the document (each is walked once; the rest is slack). */
export const VISITS_PER_SELECTION = 2;

// null (written, or a variable's value) leaves the size to the server's default: not a size of 0.
const sizeOf = (v: unknown): number => (v === null || v === undefined ? NaN : Number(v));

const isList = (t: GraphQLOutputType): boolean => isListType(isNonNullType(t) ? t.ofType : t);

/** Fields, inline fragments and spreads written in the document, in every definition: its size as the walk sees it. */
export function countSelections(document: DocumentNode): number {
  let n = 0;
  const count = (set: SelectionSetNode | undefined) => {
    if (!set) return;
    for (const sel of set.selections) {
      n++;
      if (sel.kind !== Kind.FRAGMENT_SPREAD) count(sel.selectionSet);
    }
  };
  for (const d of document.definitions) if (d.kind === Kind.OPERATION_DEFINITION || d.kind === Kind.FRAGMENT_DEFINITION) count(d.selectionSet);
  return n;
}

/**
 * What a selection set adds wherever it is spread, independent of where: counts of aliases and directives, the
 * depth it reaches below its own level (-Infinity when it holds no counted field), and its cost for a
 * multiplier of 1. Cost is linear in the multiplier, except that a parent's @listSize(sizedFields) multiplies
 * only its own direct fields of those names: their cost is kept apart by name, the rest summed in `flat`.
 */
interface SetMeasure {
  aliases: number;
  directives: number;
  depth: number;
  flat: number;
  sized: Map<string, number>;
}

const empty = (): SetMeasure => ({ aliases: 0, directives: 0, depth: -Infinity, flat: 0, sized: new Map() });

function add(into: SetMeasure, from: SetMeasure) {
  into.aliases += from.aliases;
  into.directives += from.directives;
  into.depth = Math.max(into.depth, from.depth);
  into.flat += from.flat;
  for (const [name, cost] of from.sized) into.sized.set(name, (into.sized.get(name) ?? 0) + cost);
}

/** The cost of a set under its parent's list size: fields the parent sizes run `size` times, the rest once. */
function costOf(set: SetMeasure, sized: { fields: string[]; size: number } | null): number {
  let cost = set.flat;
  for (const [name, c] of set.sized) cost += sized?.fields.includes(name) ? c * sized.size : c;
  return cost;
}

/**
 * Measures an operation the way it would execute: every field costs 1 times the number of times it will
 * run, which list sizes (a slicing argument such as `first`, else @listSize's assumed size) multiply.
 * Aliases and directives count once per place they execute, so a fragment spread three times counts three
 * times. Aliases of meta fields (`__typename`, `__schema`, `__type`) count toward the alias limit; meta fields
 * cost nothing, as introspection is switched off in production.
 *
 * Each fragment is measured once and its measure reused at every spread, so the work is linear in the
 * document's size however deeply fragments spread each other; `maxVisited` bounds it all the same.
 */
export function measureOperation(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: Record<string, FragmentDefinitionNode>,
  variables: Record<string, unknown>,
  model: CostModel,
  maxVisited = Infinity,
): OperationMeasure {
  // A variable the request leaves out takes the operation's default: the size it will execute with.
  const defaults = Object.fromEntries((operation.variableDefinitions ?? []).flatMap((v) => (v.defaultValue ? [[v.variable.name.value, valueFromASTUntyped(v.defaultValue)]] : [])));
  variables = { ...defaults, ...variables };
  const m: OperationMeasure = { depth: 0, aliases: 0, directives: operation.directives?.length ?? 0, cost: 0, visited: 0, exhausted: false };
  const root = operation.operation === 'query' ? schema.getQueryType() : operation.operation === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType();
  if (!root) return m;
  // Only names some @listSize sizes need their cost kept apart; everything else folds into `flat`.
  const sizedNames = new Set([...model.values()].flatMap((rule) => rule.sizedFields));
  const measured = new Map<string, SetMeasure | 'walking'>();

  const fragment = (name: string): SetMeasure | null => {
    const known = measured.get(name);
    if (known === 'walking') return null; // a cycle: validation refuses it before we get here
    if (known) return known;
    const frag = fragments[name];
    if (!frag) return null;
    measured.set(name, 'walking');
    const result = walk(frag.selectionSet, frag.typeCondition.name.value);
    measured.set(name, result);
    return result;
  };

  const walk = (set: SelectionSetNode, typeName: string): SetMeasure => {
    const out = empty();
    for (const sel of set.selections) {
      if (m.exhausted || ++m.visited > maxVisited) {
        m.exhausted = true;
        return out;
      }
      out.directives += sel.directives?.length ?? 0;
      if (sel.kind === Kind.INLINE_FRAGMENT) {
        add(out, walk(sel.selectionSet, sel.typeCondition?.name.value ?? typeName));
        continue;
      }
      if (sel.kind === Kind.FRAGMENT_SPREAD) {
        const f = fragment(sel.name.value);
        if (f) add(out, f);
        continue;
      }
      if (sel.alias) out.aliases++;
      if (sel.name.value.startsWith('__')) continue;
      const type = schema.getType(typeName);
      const field: GraphQLField<unknown, unknown> | undefined = isObjectType(type) || isInterfaceType(type) ? type.getFields()[sel.name.value] : undefined;
      // This field runs once per multiplier, and its children once per item of its list.
      let own = 1;
      out.depth = Math.max(out.depth, 0);
      if (sel.selectionSet && field) {
        const rule = model.get(`${typeName}.${sel.name.value}`);
        let size = isList(field.type) ? DEFAULT_LIST_SIZE : 1;
        let childSized: { fields: string[]; size: number } | null = null;
        if (rule) {
          const sliced = rule.slicingArguments
            .map((name) => sel.arguments?.find((a) => a.name.value === name))
            .map((a) => (a ? sizeOf(valueFromASTUntyped(a.value, variables)) : NaN))
            .find((n) => Number.isFinite(n));
          const ruleSize = Math.max(0, sliced ?? rule.assumedSize ?? DEFAULT_LIST_SIZE);
          if (rule.sizedFields.length) childSized = { fields: rule.sizedFields, size: ruleSize };
          else size = ruleSize;
        }
        const child = walk(sel.selectionSet, getNamedType(field.type).name);
        out.aliases += child.aliases;
        out.directives += child.directives;
        out.depth = Math.max(out.depth, child.depth + 1);
        own += size * costOf(child, childSized);
      }
      if (sizedNames.has(sel.name.value)) out.sized.set(sel.name.value, (out.sized.get(sel.name.value) ?? 0) + own);
      else out.flat += own;
    }
    return out;
  };

  const top = walk(operation.selectionSet, root.name);
  m.aliases = top.aliases;
  m.directives += top.directives;
  m.depth = Math.max(0, top.depth + 1);
  m.cost = costOf(top, null);
  return m;
}
