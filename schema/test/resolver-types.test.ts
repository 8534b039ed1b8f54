import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kind, parse, print, visit, type ObjectTypeDefinitionNode } from 'graphql';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { buildResolverTypes, RESOLVER_TYPES, resolverTypesFileOf, schemaFileOf, staleResolverTypes, type ResolverTypesSpec } from '../src/resolver-types.ts';
import { REPO_ROOT } from '../src/subgraphs.ts';

const { config } = ts.readConfigFile(join(REPO_ROOT, 'tsconfig.json'), ts.sys.readFile);
const { options } = ts.parseJsonConfigFileContent(config, ts.sys, REPO_ROOT);

/**
 * Typechecks a subgraph's resolvers against resolver types generated from `sdl`, held in memory in place of the
 * committed file: what `npm run typecheck` would say after `npm run codegen` on that SDL. Unchanged files are
 * parsed once and shared between runs.
 */
function typecheckerFor(spec: ResolverTypesSpec) {
  const dir = join(REPO_ROOT, 'subgraphs', spec.subgraph, 'resolvers');
  const roots = readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => join(dir, f));
  const generatedPath = join(REPO_ROOT, resolverTypesFileOf(spec));
  const base = ts.createCompilerHost(options, true);
  const parsed = new Map<string, ts.SourceFile | undefined>();
  let old: ts.Program | undefined;
  return async (sdl: string): Promise<string[]> => {
    const generated = ts.createSourceFile(generatedPath, await buildResolverTypes(spec, sdl), options.target ?? ts.ScriptTarget.ES2022, true);
    const host: ts.CompilerHost = {
      ...base,
      getSourceFile: (file, lang, onError) => {
        if (file === generatedPath) return generated;
        if (!parsed.has(file)) parsed.set(file, base.getSourceFile(file, lang, onError));
        return parsed.get(file);
      },
    };
    const program = ts.createProgram(roots, options, host, old);
    old = program;
    return roots.flatMap((f) => program.getSemanticDiagnostics(program.getSourceFile(f)).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')));
  };
}

/** Every argument and every field of Query and Mutation: the members whose names the resolvers depend on. */
function rootMembers(sdl: string): { what: string; oldName: string; renamed: string }[] {
  const roots = parse(sdl).definitions.filter((d): d is ObjectTypeDefinitionNode => d.kind === Kind.OBJECT_TYPE_DEFINITION && (d.name.value === 'Query' || d.name.value === 'Mutation'));
  return roots.flatMap((t) =>
    (t.fields ?? []).flatMap((f) => [
      { what: `${t.name.value}.${f.name.value}`, oldName: f.name.value, renamed: rename(sdl, t.name.value, f.name.value, null) },
      ...(f.arguments ?? []).map((a) => ({ what: `${t.name.value}.${f.name.value}(${a.name.value})`, oldName: a.name.value, renamed: rename(sdl, t.name.value, f.name.value, a.name.value) })),
    ]),
  );
}

/** The SDL with one root field, or one of its arguments, renamed. */
function rename(sdl: string, type: string, field: string, arg: string | null): string {
  return print(
    visit(parse(sdl), {
      ObjectTypeDefinition: (t) => {
        if (t.name.value !== type) return undefined;
        const fields = t.fields?.map((f) => {
          if (f.name.value !== field) return f;
          if (arg === null) return { ...f, name: { ...f.name, value: `${field}Renamed` } };
          return { ...f, arguments: f.arguments?.map((a) => (a.name.value === arg ? { ...a, name: { ...a.name, value: `${arg}Renamed` } } : a)) };
        });
        return { ...t, fields };
      },
    }),
  );
}

describe('resolver types generated from each subgraph SDL', () => {
  it('are committed as the SDL generates them, and a changed SDL makes them stale', async () => {
    expect(await staleResolverTypes(REPO_ROOT)).toEqual([]);
    const spec = RESOLVER_TYPES[0]!;
    const sdl = readFileSync(join(REPO_ROOT, schemaFileOf(spec)), 'utf8');
    expect(await buildResolverTypes(spec, sdl)).toBe(await buildResolverTypes(spec, sdl));
    expect(await buildResolverTypes(spec, rootMembers(sdl)[0]!.renamed)).not.toBe(await buildResolverTypes(spec, sdl));
  });

  for (const spec of RESOLVER_TYPES) {
    it(`${spec.subgraph}: the resolvers typecheck against their SDL, and renaming any root field or argument breaks the typecheck`, async () => {
      const typecheck = typecheckerFor(spec);
      const sdl = readFileSync(join(REPO_ROOT, schemaFileOf(spec)), 'utf8');
      expect(await typecheck(sdl)).toEqual([]);
      const members = rootMembers(sdl);
      expect(members.length).toBeGreaterThan(3);
      const unnoticed: string[] = [];
      for (const m of members) {
        const errors = await typecheck(m.renamed);
        // The error must be about the renamed member, not something incidental.
        if (!errors.some((e) => e.includes(`'${m.oldName}'`))) unnoticed.push(`${m.what}: ${errors.join(' | ') || 'no error'}`);
      }
      expect(unnoticed).toEqual([]);
    }, 300_000);
  }
});
