import { Kind, parse, TypeInfo, visit, visitWithTypeInfo, type DirectiveNode, type DocumentNode, type GraphQLSchema, type TypeDefinitionNode, type FieldDefinitionNode } from 'graphql';

/** The directives that make a field or type readable by fewer than everyone. */
const RESTRICTING = new Set(['authenticated', 'requiresScopes', 'policy']);

/** The subgraph whose changes are announced (its writes bump the cache version): only its fields may be cached. */
export const CACHED_GRAPH = 'PRODUCT';

/**
 * "Type.field" of every field an anonymous caller may read AND whose answer comes from the product subgraph,
 * read from the supergraph. The supergraph keeps @authenticated, @requiresScopes and @policy (its SECURITY
 * links) but not @public; `npm run schema:check` refuses any field without an annotation, so a field with
 * none of the three on itself, its type or the type it returns is one the subgraph marked @public.
 *
 * Only the product subgraph announces its changes (subgraphs/product/index.ts), so a field another subgraph
 * answers (join__field naming another graph, or a root field it owns) is never cached: nothing would tell
 * the router that it changed.
 */
export function publicProductFields(supergraphSdl: string): Set<string> {
  const doc = parse(supergraphSdl);
  const types = new Map<string, TypeDefinitionNode>();
  for (const d of doc.definitions) if ('name' in d && d.name && isTypeDefinition(d)) types.set(d.name.value, d);
  const restricted = (directives: readonly DirectiveNode[] | undefined) => (directives ?? []).some((d) => RESTRICTING.has(d.name.value));
  const graphsOf = (directives: readonly DirectiveNode[] | undefined, name: string) =>
    (directives ?? []).filter((d) => d.name.value === name && !isExternal(d)).map((d) => graphArgument(d)).filter((g): g is string => Boolean(g));

  const out = new Set<string>();
  for (const [typeName, type] of types) {
    if (type.kind !== Kind.OBJECT_TYPE_DEFINITION || restricted(type.directives)) continue;
    const isRoot = typeName === 'Query';
    const typeGraphs = graphsOf(type.directives, 'join__type');
    for (const field of type.fields ?? []) {
      if (restricted(field.directives) || restrictedType(field, types, restricted)) continue;
      const own = graphsOf(field.directives, 'join__field');
      const graphs = own.length ? own : typeGraphs;
      // A root field starts a fetch: it must be the product subgraph's alone. A nested one is answered with its
      // parent, so it need only be one the product subgraph can answer.
      const ok = isRoot ? graphs.length === 1 && graphs[0] === CACHED_GRAPH : graphs.includes(CACHED_GRAPH);
      if (ok) out.add(`${typeName}.${field.name.value}`);
    }
  }
  return out;
}

/**
 * Whether every field of the query is one of `fields`. Conservative by design: a private field anywhere in the
 * document (under @skip/@include too, or in a fragment never spread) makes the whole operation uncacheable, and
 * so does introspection. `__typename` is the same for everyone.
 */
export function onlyFields(schema: GraphQLSchema, document: DocumentNode, fields: ReadonlySet<string>): boolean {
  const info = new TypeInfo(schema);
  let ok = true;
  visit(
    document,
    visitWithTypeInfo(info, {
      Field(node) {
        if (node.name.value === '__typename') return;
        const parent = info.getParentType();
        if (!parent || !fields.has(`${parent.name}.${node.name.value}`)) {
          ok = false;
          return false as never;
        }
      },
    }),
  );
  return ok;
}

function restrictedType(field: FieldDefinitionNode, types: Map<string, TypeDefinitionNode>, restricted: (d: readonly DirectiveNode[] | undefined) => boolean) {
  let t = field.type;
  while (t.kind !== Kind.NAMED_TYPE) t = t.type;
  return restricted(types.get(t.name.value)?.directives);
}

const isTypeDefinition = (d: { kind: string }): d is TypeDefinitionNode =>
  d.kind === Kind.OBJECT_TYPE_DEFINITION || d.kind === Kind.INTERFACE_TYPE_DEFINITION || d.kind === Kind.UNION_TYPE_DEFINITION || d.kind === Kind.ENUM_TYPE_DEFINITION || d.kind === Kind.SCALAR_TYPE_DEFINITION;

function graphArgument(d: DirectiveNode): string | null {
  const v = d.arguments?.find((a) => a.name.value === 'graph')?.value;
  return v?.kind === Kind.ENUM ? v.value : null;
}

function isExternal(d: DirectiveNode): boolean {
  const v = d.arguments?.find((a) => a.name.value === 'external')?.value;
  return v?.kind === Kind.BOOLEAN && v.value;
}
