import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { ApolloGateway } from '@apollo/gateway';
import { loadSupergraph, SUPERGRAPH_PATH } from '../src/supergraph.ts';

describe('the static supergraph', () => {
  it('keeps access annotations in the committed file, where Apollo Router and tooling read them', () => {
    const committed = readFileSync(SUPERGRAPH_PATH, 'utf8');
    expect(committed).toContain('@link(url: "https://specs.apollo.dev/requiresScopes/v0.1", for: SECURITY)');
    expect(committed).toMatch(/@requiresScopes\(scopes: \[\["user:read:any"\]\]\)/);
  });

  it('loads into Apollo Gateway, which would refuse the SECURITY links as they are', async () => {
    const sdl = loadSupergraph();
    expect(sdl).not.toContain('for: SECURITY');
    const gateway = new ApolloGateway({ supergraphSdl: sdl });
    const { schema } = await gateway.load();
    expect(Object.keys(schema.getQueryType()!.getFields())).toEqual(expect.arrayContaining(['me', 'products', 'order', 'auditEvents']));
    expect(schema.getQueryType()!.getFields()._entities).toBeUndefined();
    await gateway.stop();
    const raw = new ApolloGateway({ supergraphSdl: readFileSync(SUPERGRAPH_PATH, 'utf8') });
    await expect(raw.load()).rejects.toThrow(/for: SECURITY but is unsupported/);
  });
});
