import { Kind, type DirectiveNode, type DocumentNode, type InputValueDefinitionNode, type TypeNode } from 'graphql';

/**
 * Arguments and input fields that a weaker permission must not set: `@requiresScopesToSet` in the SDL.
 * A root field's own annotation says who may call it; this says who may call it *with that value set*,
 * so `updateProduct(input: { active: false })` cannot do what `archiveProduct` guards.
 */
export const INPUT_GUARD_DIRECTIVE = 'requiresScopesToSet';

export interface InputGuards {
  /** Root field ("Mutation.updateProduct") → its arguments, for each root field that can reach a guard. */
  roots: Map<string, readonly InputValueDefinitionNode[]>;
  /** Input object type → its fields. */
  inputs: Map<string, readonly InputValueDefinitionNode[]>;
  /** Input types whose values can hold a guarded field at some depth. */
  reaching: Set<string>;
  /** The guarded argument or input field → alternatives, each a set of scopes that must all be held. */
  guarded: Map<InputValueDefinitionNode, string[][]>;
}

/** A guarded value the caller set without the scopes for it. */
export interface InputViolation {
  path: string[];
  anyOf: string[][];
}

const ROOTS = new Set(['Query', 'Mutation', 'Subscription']);
export const namedInputType = (t: TypeNode): string => (t.kind === Kind.NAMED_TYPE ? t.name.value : namedInputType(t.type));

function scopesOf(directives: readonly DirectiveNode[] | undefined): string[][] | null {
  const d = directives?.find((x) => x.name.value === INPUT_GUARD_DIRECTIVE);
  if (!d) return null;
  const v = d.arguments?.find((a) => a.name.value === 'scopes')?.value;
  const bad = () => new Error(`@${INPUT_GUARD_DIRECTIVE} needs scopes: a list of lists of strings`);
  if (!v || v.kind !== Kind.LIST) throw bad();
  return v.values.map((inner) => {
    if (inner.kind !== Kind.LIST) throw bad();
    return inner.values.map((s) => {
      if (s.kind !== Kind.STRING) throw bad();
      return s.value;
    });
  });
}

export function readInputGuards(doc: DocumentNode): InputGuards {
  const inputs = new Map<string, InputValueDefinitionNode[]>();
  const guarded = new Map<InputValueDefinitionNode, string[][]>();
  const note = (v: InputValueDefinitionNode) => {
    const s = scopesOf(v.directives);
    if (s) guarded.set(v, s);
  };
  for (const def of doc.definitions) {
    if (def.kind !== Kind.INPUT_OBJECT_TYPE_DEFINITION && def.kind !== Kind.INPUT_OBJECT_TYPE_EXTENSION) continue;
    inputs.set(def.name.value, [...(inputs.get(def.name.value) ?? []), ...(def.fields ?? [])]);
    def.fields?.forEach(note);
  }
  // Which input types can carry a guarded value, through any nesting (a fixpoint, so recursive types are covered).
  const reaching = new Set<string>();
  for (let grew = true; grew; ) {
    grew = false;
    for (const [name, fields] of inputs) {
      if (reaching.has(name)) continue;
      if (fields.some((f) => guarded.has(f) || reaching.has(namedInputType(f.type)))) reaching.add(name) && (grew = true);
    }
  }
  const roots = new Map<string, readonly InputValueDefinitionNode[]>();
  for (const def of doc.definitions) {
    if ((def.kind !== Kind.OBJECT_TYPE_DEFINITION && def.kind !== Kind.OBJECT_TYPE_EXTENSION) || !ROOTS.has(def.name.value)) continue;
    for (const field of def.fields ?? []) {
      const args = field.arguments ?? [];
      args.forEach(note);
      if (args.some((a) => guarded.has(a) || reaching.has(namedInputType(a.type)))) roots.set(`${def.name.value}.${field.name.value}`, args);
    }
  }
  return { roots, inputs, reaching, guarded };
}

const holds = (anyOf: string[][], scopes: readonly string[]) => anyOf.some((all) => all.every((s) => scopes.includes(s)));

/**
 * Walks the coerced arguments along the input types and returns every guarded value that is set
 * (anything but absent or null) without the scopes it needs. The walk follows the values, so it ends
 * with them however deep a recursive input goes.
 */
export function inputViolations(g: InputGuards, defs: readonly InputValueDefinitionNode[], values: unknown, scopes: readonly string[], path: string[] = []): InputViolation[] {
  if (values === null || typeof values !== 'object') return [];
  if (Array.isArray(values)) return values.flatMap((item, i) => inputViolations(g, defs, item, scopes, [...path, String(i)]));
  const out: InputViolation[] = [];
  for (const def of defs) {
    const value = (values as Record<string, unknown>)[def.name.value];
    if (value === undefined || value === null) continue;
    const here = [...path, def.name.value];
    const anyOf = g.guarded.get(def);
    if (anyOf && !holds(anyOf, scopes)) out.push({ path: here, anyOf });
    const type = namedInputType(def.type);
    const fields = g.inputs.get(type);
    if (fields && g.reaching.has(type)) out.push(...inputViolations(g, fields, value, scopes, here));
  }
  return out;
}

/** Every guard as "Mutation.updateProduct(input.active)" → scopes, for documentation and generated tests: shortest paths. */
export function listInputGuards(g: InputGuards): { field: string; path: string[]; type: string; anyOf: string[][] }[] {
  const out: { field: string; path: string[]; type: string; anyOf: string[][] }[] = [];
  const walk = (field: string, defs: readonly InputValueDefinitionNode[], path: string[], seen: ReadonlySet<string>) => {
    for (const def of defs) {
      const here = [...path, def.name.value];
      const anyOf = g.guarded.get(def);
      const type = namedInputType(def.type);
      if (anyOf) out.push({ field, path: here, type, anyOf });
      const fields = g.inputs.get(type);
      if (fields && g.reaching.has(type) && !seen.has(type)) walk(field, fields, here, new Set(seen).add(type));
    }
  };
  for (const [field, args] of g.roots) walk(field, args, [], new Set());
  return out;
}
