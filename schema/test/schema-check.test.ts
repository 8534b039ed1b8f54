import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { composeSupergraph, loadSubgraphs, runSchemaCheck, SUPERGRAPH_FILE } from '../src/index.ts';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** A throwaway repo root with subgraph a and a chosen subgraph b, its supergraph composed and committed. */
function workspace(b: 'clean' | 'conflict' | 'unannotated', o: { commitSupergraph?: boolean } = {}) {
  const root = mkdtempSync(join(tmpdir(), 'palisade-schema-'));
  cpSync(join(fixtures, 'clean/a.graphql'), join(root, 'a.graphql'));
  cpSync(join(fixtures, `${b}/b.graphql`), join(root, 'b.graphql'));
  const subgraphs = [
    { name: 'a', file: 'a.graphql', url: 'http://a/graphql' },
    { name: 'b', file: 'b.graphql', url: 'http://b/graphql' },
  ];
  const composed = composeSupergraph(loadSubgraphs(root, subgraphs));
  if (o.commitSupergraph !== false && composed.supergraphSdl) writeFile(root, SUPERGRAPH_FILE, composed.supergraphSdl);
  return { root, subgraphs, supergraph: composed.supergraphSdl };
}

function writeFile(root: string, rel: string, text: string) {
  mkdirSync(join(root, rel, '..'), { recursive: true });
  writeFileSync(join(root, rel), text);
}

describe('schema check', () => {
  it('passes a clean, composed and committed supergraph', async () => {
    const w = workspace('clean');
    const r = await runSchemaCheck({ root: w.root, subgraphs: w.subgraphs, baseSupergraphSdl: w.supergraph });
    expect(r.problems).toEqual([]);
  });

  it('fails on a composition error', async () => {
    const w = workspace('conflict', { commitSupergraph: false });
    const r = await runSchemaCheck({ root: w.root, subgraphs: w.subgraphs, baseSupergraphSdl: null });
    expect(r.problems.some((p) => p.startsWith('composition:') && p.includes('Widget.name'))).toBe(true);
  });

  it('fails on a field nobody annotated', async () => {
    const w = workspace('unannotated');
    const r = await runSchemaCheck({ root: w.root, subgraphs: w.subgraphs, baseSupergraphSdl: w.supergraph });
    expect(r.problems).toEqual(['unannotated: b Widget.owner has no @authenticated, @requiresScopes, @policy or @public']);
  });

  it('fails when the committed supergraph is stale', async () => {
    const w = workspace('clean');
    writeFileSync(join(w.root, 'a.graphql'), readFileSync(join(w.root, 'a.graphql'), 'utf8').replace('size: Int', 'size: Int\n  color: String'));
    const r = await runSchemaCheck({ root: w.root, subgraphs: w.subgraphs, baseSupergraphSdl: null });
    expect(r.problems).toEqual([`stale: ${SUPERGRAPH_FILE} does not match the subgraphs; run npm run schema:compose`]);
  });

  it('fails on a breaking change against the base supergraph, unless allowed', async () => {
    const base = workspace('clean').supergraph!;
    const w = workspace('clean', { commitSupergraph: false });
    writeFileSync(join(w.root, 'a.graphql'), readFileSync(join(w.root, 'a.graphql'), 'utf8').replace('  size: Int\n', ''));
    const composed = composeSupergraph(loadSubgraphs(w.root, w.subgraphs));
    writeFile(w.root, SUPERGRAPH_FILE, composed.supergraphSdl!);
    const r = await runSchemaCheck({ root: w.root, subgraphs: w.subgraphs, baseSupergraphSdl: base });
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatch(/^breaking: Field 'size' .*removed from object type 'Widget'/);
    const allowed = await runSchemaCheck({ root: w.root, subgraphs: w.subgraphs, baseSupergraphSdl: base, allowBreaking: true });
    expect(allowed.problems).toEqual([]);
  });

  it('fails on a persisted operation the schema cannot run, or a stale manifest', async () => {
    const w = workspace('clean');
    writeFile(w.root, 'schema/operations/widgets.graphql', 'query Widget($id: ID!) { widget(id: $id) { id colour } }');
    const r = await runSchemaCheck({ root: w.root, subgraphs: w.subgraphs, baseSupergraphSdl: null });
    expect(r.problems).toContain('operations: Cannot query field "colour" on type "Widget".');
    expect(r.problems).toContain('stale: schema/operations/manifest.json does not match schema/operations; run npm run schema:operations');
  });

  it('passes on the real subgraphs and the committed supergraph', async () => {
    const r = await runSchemaCheck({ baseSupergraphSdl: null });
    expect(r.problems).toEqual([]);
  });
});
