import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import type { HttpContext } from './http.ts';

/** Hands one HTTP request to Apollo Server and writes its answer: the whole integration, in one place. */
export async function executeApollo<TContext extends BaseContext>(
  server: ApolloServer<TContext>,
  h: HttpContext,
  body: unknown,
  context: () => Promise<TContext>,
): Promise<void> {
  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(h.req.headers)) {
    if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  const result = await server.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method: h.req.method?.toUpperCase() ?? 'GET', headers, search: h.url.search, body },
    context,
  });
  for (const [key, value] of result.headers) h.res.setHeader(key, value);
  h.res.statusCode = result.status ?? 200;
  if (result.body.kind === 'complete') {
    h.res.end(result.body.string);
    return;
  }
  for await (const chunk of result.body.asyncIterator) h.res.write(chunk);
  h.res.end();
}
