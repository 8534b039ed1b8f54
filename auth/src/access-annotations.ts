import { Kind, type DocumentNode, type DirectiveNode, type ValueNode } from 'graphql';

// The access annotations Apollo Router and Cosmo read, plus an explicit marker for what is public.
export type Requirement =
  | { kind: 'public' }
  | { kind: 'authenticated' }
  | { kind: 'scopes'; anyOf: string[][] }
  | { kind: 'policy'; anyOf: string[][] };

export interface AccessMap {
  /** Requirements stated on a type; they apply to every field of it. */
  types: Map<string, Requirement[]>;
  /** Requirements stated on a field ("Type.field"). */
  fields: Map<string, Requirement[]>;
  /** Every "Type.field" the document declares. */
  allFields: string[];
}

export function readAccessAnnotations(doc: DocumentNode): AccessMap {
  const types = new Map<string, Requirement[]>();
  const fields = new Map<string, Requirement[]>();
  const allFields: string[] = [];
  for (const def of doc.definitions) {
    if (
      def.kind !== Kind.OBJECT_TYPE_DEFINITION &&
      def.kind !== Kind.OBJECT_TYPE_EXTENSION &&
      def.kind !== Kind.INTERFACE_TYPE_DEFINITION &&
      def.kind !== Kind.INTERFACE_TYPE_EXTENSION
    )
      continue;
    const typeName = def.name.value;
    const typeReqs = requirementsOf(def.directives ?? []);
    if (typeReqs.length) types.set(typeName, [...(types.get(typeName) ?? []), ...typeReqs]);
    for (const field of def.fields ?? []) {
      const key = `${typeName}.${field.name.value}`;
      allFields.push(key);
      const reqs = requirementsOf(field.directives ?? []);
      if (reqs.length) fields.set(key, reqs);
    }
  }
  return { types, fields, allFields };
}

/** What a field needs: its type's requirements and its own, all of them. Empty means unannotated. */
export function requirementsFor(map: AccessMap, typeName: string, fieldName: string): Requirement[] {
  const isRoot = typeName === 'Query' || typeName === 'Mutation' || typeName === 'Subscription';
  // Root fields must each say what they need; a blanket on Query would hide a forgotten field.
  const fromType = isRoot ? [] : (map.types.get(typeName) ?? []);
  return [...fromType, ...(map.fields.get(`${typeName}.${fieldName}`) ?? [])];
}

function requirementsOf(directives: readonly DirectiveNode[]): Requirement[] {
  const out: Requirement[] = [];
  for (const d of directives) {
    switch (d.name.value) {
      case 'public':
        out.push({ kind: 'public' });
        break;
      case 'authenticated':
        out.push({ kind: 'authenticated' });
        break;
      case 'requiresScopes':
        out.push({ kind: 'scopes', anyOf: nestedStrings(argument(d, 'scopes')) });
        break;
      case 'policy':
        out.push({ kind: 'policy', anyOf: nestedStrings(argument(d, 'policies')) });
        break;
    }
  }
  return out;
}

function argument(d: DirectiveNode, name: string): ValueNode | undefined {
  return d.arguments?.find((a) => a.name.value === name)?.value;
}

function nestedStrings(value: ValueNode | undefined): string[][] {
  if (!value || value.kind !== Kind.LIST) throw new Error('access annotation needs a list of lists of strings');
  return value.values.map((inner) => {
    if (inner.kind !== Kind.LIST) throw new Error('access annotation needs a list of lists of strings');
    return inner.values.map((v) => {
      if (v.kind !== Kind.STRING) throw new Error('access annotation values must be strings');
      return v.value;
    });
  });
}
