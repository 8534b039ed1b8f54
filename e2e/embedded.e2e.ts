import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnvironment, login, type TestEnvironment } from './harness/supergraph.ts';

// The same core flow on what `npm start` uses with nothing installed: PGlite and in-process stores.
let env: TestEnvironment;
beforeAll(async () => {
  env = await createTestEnvironment({ embedded: true });
});
afterAll(async () => env?.stop());

describe('embedded mode (PGlite, in-process store)', () => {
  it('runs on the embedded stand-ins', () => {
    expect(env.backing).toEqual({ postgres: false, redis: false });
    expect(env.supergraph.subgraphs.user.database.kind).toBe('pglite');
  });

  it('registers, logs in, lists products and answers me', async () => {
    const customer = await env.asCustomer('Embedded');
    const { accessToken } = await login(env.asAnonymous(), customer.email, customer.password);
    const me = await env.asAnonymous().withToken(accessToken).ok<{ me: { id: string } }>('{ me { id } }');
    expect(me.me.id).toBe(customer.userId);
    const products = await env.asAnonymous().ok<{ products: { totalCount: number } }>('{ products { totalCount } }');
    expect(products.products.totalCount).toBeGreaterThanOrEqual(12);
  });
});
