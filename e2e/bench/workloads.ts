/** One workload: the operation, and for the n-th request its caller and a string its answer must contain. */
export interface Workload {
  query: string;
  variables: object;
  caller(n: number): { token: string | null; expect: string; from?: string };
}

/** The workloads, over the seeded customers (each with orders) and the product they order. */
export function benchWorkloads(users: { token: string; name: string }[], productId: string, address: object): Record<string, Workload> {
  return {
    catalog: {
      query: 'query Catalog { products(first: 20) { totalCount edges { node { id name price { amount currency } inStock category { name } } } } }',
      variables: {},
      caller: () => ({ token: null, expect: '"category":{"name":' }),
    },
    // The same page for 100 anonymous visitors at different addresses (through one trusted proxy): different
    // callers to Palisade, whose merging then has nothing to share; the peers see no difference.
    'catalog (100 visitors)': {
      query: 'query Catalog { products(first: 20) { totalCount edges { node { id name price { amount currency } inStock category { name } } } } }',
      variables: {},
      caller: (n) => ({ token: null, expect: '"category":{"name":', from: `10.0.0.${n % 100}` }),
    },
    storefront: {
      query: 'query MyAccount { me { displayName orders(first: 5) { edges { node { id status total { amount } items { quantity product { name price { amount } } } } } } } }',
      variables: {},
      // Each answer must be the asker's own account: a gateway that merged different callers' calls fails here.
      caller: (n) => {
        const u = users[n % users.length]!;
        return { token: u.token, expect: `"displayName":"${u.name}","orders":{"edges":[{"node":{"id":` };
      },
    },
    placeOrder: {
      query: 'mutation PlaceOrder($i: PlaceOrderInput!) { placeOrder(input: $i) { id total { amount } } }',
      variables: { i: { items: [{ productId, quantity: 1 }], shippingAddress: address } },
      caller: (n) => ({ token: users[n % users.length]!.token, expect: '"placeOrder":{"id":' }),
    },
  };
}
