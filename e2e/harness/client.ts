export interface GraphQLResponse<T = Record<string, any>> {
  status: number;
  headers: Headers;
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: { code?: string; [k: string]: unknown } }[];
}

/** A storefront/admin client as real clients talk to the router: JSON over HTTP, optional bearer token. */
export class GraphQLClient {
  constructor(
    readonly url: string,
    readonly token: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {}

  withToken(token: string | null) {
    return new GraphQLClient(this.url, token, this.headers);
  }

  /** As if calling from another address (the router trusts one proxy hop in these tests). */
  from(ip: string) {
    return new GraphQLClient(this.url, this.token, { ...this.headers, 'x-forwarded-for': ip });
  }

  async request<T = Record<string, any>>(query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}): Promise<GraphQLResponse<T>> {
    const res = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(this.token ? { authorization: `Bearer ${this.token}` } : {}), ...this.headers, ...headers },
      body: JSON.stringify({ query, variables }),
    });
    const text = await res.text();
    let body: { data?: T; errors?: GraphQLResponse['errors'] } = {};
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error(`router answered ${res.status} with non-JSON: ${text.slice(0, 200)}`);
    }
    return { status: res.status, headers: res.headers, data: body.data, errors: body.errors };
  }

  /** Like request, but fails the test with the errors when there are any. */
  async ok<T = Record<string, any>>(query: string, variables?: Record<string, unknown>): Promise<T> {
    const r = await this.request<T>(query, variables);
    if (r.errors?.length || !r.data) throw new Error(`expected success, got ${r.status}: ${JSON.stringify(r.errors)}`);
    return r.data;
  }
}

export const codesOf = (r: GraphQLResponse) => (r.errors ?? []).map((e) => e.extensions?.code);
