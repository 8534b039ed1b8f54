import type { ApolloServerPlugin } from '@apollo/server';
import type { HttpContext, Routes } from '@palisade/kit';
import type { RouterContext } from './context.ts';

/** One GraphQL request over HTTP, as the request hooks see it before Apollo does. */
export interface GraphQLHttpRequest {
  method: 'GET' | 'POST';
  /**
   * The operation: a POST's JSON object, or a GET's query, documentId and extensions from the URL. Hooks may
   * replace it (a trusted document's text, the console's cookie token). null for a body that is not JSON,
   * which goes to Apollo as it came so its CSRF prevention can refuse it.
   */
  operation: Record<string, unknown> | null;
}

export type SubgraphFetch = typeof fetch;

/**
 * One concern of the router, in the one shape startRouter assembles from a list. Every hook is optional;
 * hooks run in list order, and for subgraph fetches the first plugin in the list is the outermost wrapper.
 */
export interface RouterPlugin {
  name: string;
  /** Routes it serves (besides /graphql, which the router owns). */
  routes?: Routes;
  /** On every /graphql request, before Apollo parses it: headers, the operation's text, early refusals. */
  request?: (h: HttpContext, r: GraphQLHttpRequest) => void;
  /** What it adds to the request's context (the caller, the console flag). */
  context?: (h: HttpContext) => Promise<Partial<RouterContext>> | Partial<RouterContext>;
  /** Apollo Server plugins: parsing, validation, execution, the response. */
  apollo?: ApolloServerPlugin<RouterContext>[];
  /** Wraps the router's fetch to one subgraph. */
  fetch?: (subgraph: string, next: SubgraphFetch) => SubgraphFetch;
  stop?: () => Promise<void>;
}

/** The list's hooks, each kind folded into one function or one list. */
export function assemblePlugins(plugins: readonly RouterPlugin[]) {
  return {
    routes: Object.assign({}, ...plugins.map((p) => p.routes ?? {})) as Routes,
    request: (h: HttpContext, r: GraphQLHttpRequest) => {
      for (const p of plugins) p.request?.(h, r);
    },
    context: async (h: HttpContext) => {
      let ctx: Partial<RouterContext> = {};
      for (const p of plugins) if (p.context) ctx = { ...ctx, ...(await p.context(h)) };
      return ctx;
    },
    apollo: plugins.flatMap((p) => p.apollo ?? []),
    fetch: (subgraph: string, f: SubgraphFetch) => plugins.reduceRight((next, p) => (p.fetch ? p.fetch(subgraph, next) : next), f),
    stop: async () => {
      for (const p of [...plugins].reverse()) await p.stop?.();
    },
  };
}
