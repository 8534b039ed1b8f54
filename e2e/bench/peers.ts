import { createServer, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { createGatewayRuntime } from '@graphql-hive/gateway-runtime';
import { decodeJwt } from 'jose';
import { CONTEXT_HEADER, operationHash, scopesForRoles, signContext, type Caller, type ContextSigner, type Role } from '@palisade/auth';
import { loadSupergraph } from '@palisade/router';
import type { SubgraphName } from '@palisade/kit';

// The peers Palisade is measured against, over the same subgraphs. Palisade's subgraphs accept only signed
// callers, so each peer gets the one thing it cannot do by default: sign the caller it was handed (it trusts
// the token unverified, as a peer without token checks would). Everything else is the peer's defaults.
const callerFrom = (authorization: string | null | undefined): Caller => {
  const token = authorization?.replace(/^Bearer /, '');
  const c = token ? decodeJwt(token) : null;
  const roles = (c?.roles as Role[] | undefined) ?? [];
  return { userId: (c?.sub as string) ?? null, sessionId: (c?.sid as string) ?? null, roles, scopes: scopesForRoles(roles), requestId: randomUUID(), ip: '127.0.0.1', userAgent: 'bench' };
};

export async function startBareApolloGateway(signer: ContextSigner, urls: Record<SubgraphName, string>, port = 0): Promise<{ url: string; stop(): Promise<void> }> {
  class Signing extends RemoteGraphQLDataSource<{ authorization?: string }> {
    override async willSendRequest({ request, context }: Parameters<RemoteGraphQLDataSource['willSendRequest'] & object>[0] & { context: { authorization?: string } }) {
      const digest = operationHash({ query: request.query, operationName: request.operationName, variables: request.variables });
      request.http?.headers.set(CONTEXT_HEADER, await signContext(signer, (this as unknown as { name: string }).name, digest, callerFrom(context.authorization)));
    }
  }
  const gateway = new ApolloGateway({
    supergraphSdl: loadSupergraph(),
    buildService: ({ name, url }) => Object.assign(new Signing({ url: urls[name as SubgraphName] ?? url }), { name }),
  });
  const server = new ApolloServer({ gateway: gateway as never });
  const { url } = await startStandaloneServer(server, { listen: { port, host: '127.0.0.1' }, context: async ({ req }) => ({ authorization: req.headers.authorization }) });
  return { url, stop: () => server.stop() };
}

export async function startHiveGateway(signer: ContextSigner, urls: Record<SubgraphName, string>, port = 0): Promise<{ url: string; stop(): Promise<void> }> {
  const byUrl = new Map(Object.entries(urls).map(([name, url]) => [url, name]));
  const supergraph = Object.entries(urls).reduce((sdl, [name, url]) => sdl.replace(`http://localhost:${({ user: 4001, product: 4002, order: 4003, security: 4004 } as Record<string, number>)[name]}/graphql`, url), loadSupergraph());
  const gw = createGatewayRuntime({
    supergraph,
    logging: false,
    // Forwarding the caller's Authorization header is how a Hive deployment tells subgraphs who asks. It also
    // makes the caller part of Hive's key for merging identical in-flight subgraph calls: without it, the
    // signature added below (after merging) would hand one user's `me` to whoever asked at the same moment.
    propagateHeaders: { fromClientToSubgraphs: ({ request }) => ({ authorization: request.headers.get('authorization') }) as Record<string, string> },
    plugins: () => [
      {
        async onFetch({ url, options, setOptions, context }: any) {
          const name = byUrl.get(url);
          if (!name || typeof options.body !== 'string') return;
          const body = JSON.parse(options.body);
          const caller = callerFrom(context?.request?.headers?.get('authorization'));
          const token = await signContext(signer, name, operationHash(body), caller);
          setOptions({ ...options, headers: { ...options.headers, [CONTEXT_HEADER]: token } });
        },
      },
    ],
  });
  const server: Server = createServer(gw as never);
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/graphql`,
    async stop() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await gw.dispose();
    },
  };
}
