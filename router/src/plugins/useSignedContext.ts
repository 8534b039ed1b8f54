import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { GraphQLError } from 'graphql';
import { CONTEXT_HEADER, ErrorCode, operationHash, signContext, type ContextSigner } from '@palisade/auth';
import { injectTraceHeaders } from '@palisade/kit';
import type { RouterContext } from '../context.ts';
import { createSubgraphFetch } from '../subgraph-fetch.ts';

/**
 * Each subgraph fetch carries the caller, signed by the router for that subgraph and bound to the
 * exact operation it is sent with; subgraphs trust nothing else.
 */
export class SignedContextDataSource extends RemoteGraphQLDataSource<RouterContext> {
  constructor(
    private readonly subgraph: string,
    url: string,
    private readonly signer: ContextSigner,
    fetcher: typeof fetch,
  ) {
    super({ url, fetcher: fetcher as never });
  }

  override async willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<RouterContext>) {
    if (!context?.caller) throw new Error('subgraph fetch without a caller');
    const digest = operationHash({ query: request.query, operationName: request.operationName, variables: request.variables, extensions: request.extensions });
    request.http?.headers.set(CONTEXT_HEADER, await signContext(this.signer, this.subgraph, digest, context.caller));
    request.http?.headers.set('x-request-id', context.requestId);
    injectTraceHeaders((k, v) => request.http?.headers.set(k, v));
  }

  /** A subgraph that could not decide (its store is down) says so; the client hears that, not a masked 500. */
  override async errorFromResponse(response: Parameters<RemoteGraphQLDataSource['errorFromResponse']>[0]) {
    const error = await super.errorFromResponse(response);
    const body = (error.extensions.response as { body?: { errors?: { extensions?: { code?: unknown } }[] } } | undefined)?.body;
    if (response.status === 503 && body?.errors?.[0]?.extensions?.code === ErrorCode.SERVICE_UNAVAILABLE)
      return new GraphQLError('A store this decision needs is unavailable; retry shortly', { extensions: { code: ErrorCode.SERVICE_UNAVAILABLE } });
    // The router checked the operation against the supergraph already; what only the subgraph can refuse is a
    // value of its own scalar (a DateTime that is no date). That is the caller's input, and said as such.
    const refused = body?.errors?.[0] as { message?: unknown; extensions?: { code?: unknown; field?: unknown } } | undefined;
    if (response.status === 400 && body?.errors?.every((e) => e.extensions?.code === ErrorCode.BAD_USER_INPUT || e.extensions?.code === 'GRAPHQL_VALIDATION_FAILED'))
      return new GraphQLError(String(refused?.message ?? 'Invalid input'), { extensions: { code: ErrorCode.BAD_USER_INPUT, ...(typeof refused?.extensions?.field === 'string' ? { field: refused.extensions.field } : {}) } });
    return error;
  }
}

export function useSignedContext(signer: ContextSigner, urls: Record<string, string>, wrapFetch: (subgraph: string, f: typeof fetch) => typeof fetch = (_s, f) => f) {
  const base = createSubgraphFetch();
  return ({ name, url }: { name: string; url?: string }) => {
    const target = urls[name] ?? url;
    if (!target) throw new Error(`no URL for subgraph ${name}`);
    return new SignedContextDataSource(name, target, signer, wrapFetch(name, base));
  };
}
