import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Kind, parse, print, visit, type ObjectTypeDefinitionNode } from 'graphql';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { buildResolverTypes, RESOLVER_TYPES, resolverTypesFileOf, schemaFileOf, staleResolverTypes, type ResolverTypesSpec } from '../src/resolver-types.ts';
import { REPO_ROOT } from '../src/subgraphs.ts';
import { readSubgraphSdl } from '@palisade/auth';

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

interface Member {
  type: string;
  field: string;
  arg: string | null;
}
const nameOf = (m: Member) => `${m.type}.${m.field}${m.arg === null ? '' : `(${m.arg})`}`;
/** What an error about the renamed member names: the member, and for an argument its field's generated args type. */
const mentions = (m: Member) => (m.arg === null ? [`'${m.field}'`] : [`'${m.arg}'`, `${m.type}${m.field[0]!.toUpperCase()}${m.field.slice(1)}Args`]);

/**
 * Every field and every argument of Query and Mutation (the members whose names the resolvers depend on), as SDL
 * changes to typecheck. A field is renamed alone: an object literal reports only its first unknown property. The
 * k-th argument of every field is renamed in one change: each resolver reads its own arguments, so each still
 * sees exactly one renamed, and errors are told apart by the field's args type. Fewer programs, same coverage.
 */
function renamings(sdl: string): { members: Member[]; sdl: string }[] {
  const roots = parse(sdl).definitions.filter((d): d is ObjectTypeDefinitionNode => d.kind === Kind.OBJECT_TYPE_DEFINITION && (d.name.value === 'Query' || d.name.value === 'Mutation'));
  const fields = roots.flatMap((t) => (t.fields ?? []).map((f) => ({ type: t.name.value, field: f.name.value, args: (f.arguments ?? []).map((a) => a.name.value) })));
  const byField = fields.map((f): Member[] => [{ type: f.type, field: f.field, arg: null }]);
  const mostArgs = Math.max(0, ...fields.map((f) => f.args.length));
  const byArgIndex = Array.from({ length: mostArgs }, (_, k) => fields.flatMap((f): Member[] => (k < f.args.length ? [{ type: f.type, field: f.field, arg: f.args[k]! }] : [])));
  return [...byField, ...byArgIndex].map((members) => ({ members, sdl: rename(sdl, members) }));
}

/** The SDL with the given root fields, or arguments, renamed. */
function rename(sdl: string, members: Member[]): string {
  const hit = (type: string, field: string, arg: string | null) => members.some((m) => m.type === type && m.field === field && m.arg === arg);
  return print(
    visit(parse(sdl), {
      ObjectTypeDefinition: (t) => {
        const fields = t.fields?.map((f) => {
          const args = f.arguments?.map((a) => (hit(t.name.value, f.name.value, a.name.value) ? { ...a, name: { ...a.name, value: `${a.name.value}Renamed` } } : a));
          return { ...f, name: hit(t.name.value, f.name.value, null) ? { ...f.name, value: `${f.name.value}Renamed` } : f.name, arguments: args };
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
    const sdl = readSubgraphSdl(join(REPO_ROOT, schemaFileOf(spec)));
    expect(await buildResolverTypes(spec, sdl)).toBe(await buildResolverTypes(spec, sdl));
    expect(await buildResolverTypes(spec, renamings(sdl)[0]!.sdl)).not.toBe(await buildResolverTypes(spec, sdl));
  });

  for (const spec of RESOLVER_TYPES) {
    it(`${spec.subgraph}: the resolvers typecheck against their SDL, and renaming any root field or argument breaks the typecheck`, async () => {
      const typecheck = typecheckerFor(spec);
      const sdl = readSubgraphSdl(join(REPO_ROOT, schemaFileOf(spec)));
      expect(await typecheck(sdl)).toEqual([]);
      const changes = renamings(sdl);
      expect(changes.flatMap((c) => c.members).length).toBeGreaterThan(3);
      const unnoticed: string[] = [];
      for (const change of changes) {
        const errors = await typecheck(change.sdl);
        // Each renamed member needs an error about it, not something incidental.
        for (const m of change.members) if (!errors.some((e) => mentions(m).every((s) => e.includes(s)))) unnoticed.push(`${nameOf(m)}: ${errors.join(' | ') || 'no error'}`);
      }
      expect(unnoticed).toEqual([]);
    }, 300_000);
  }
});
