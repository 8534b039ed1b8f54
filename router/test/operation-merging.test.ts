import { describe, expect, it } from 'vitest';
import type { GatewayExecutionResult, GatewayGraphQLRequestContext, GatewayInterface } from '@apollo/server-gateway-interface';
import { anonymousCaller, type Caller } from '@palisade/auth';
import { useOperationMerging } from '../src/plugins/useOperationMerging.ts';

// The executor below stands in for Apollo Gateway's: each call is one execution whose answer the test
// releases, so the test decides what is in flight when the next request arrives.
function gatewayWithControlledExecutions() {
  const calls: { ctx: GatewayGraphQLRequestContext; finish(r: GatewayExecutionResult): void }[] = [];
  const gateway: GatewayInterface = {
    onSchemaLoadOrUpdate: () => () => {},
    stop: async () => {},
    load: async () => ({
      executor: (ctx) => new Promise<GatewayExecutionResult>((finish) => calls.push({ ctx, finish })),
    }),
  };
  return { gateway, calls };
}

const alice: Caller = { userId: 'alice', sessionId: 's-a', roles: ['CUSTOMER'], scopes: ['order:place'], requestId: 'r1', ip: '10.0.0.1', userAgent: 'app' };
const bob: Caller = { ...alice, userId: 'bob', sessionId: 's-b' };
let requests = 0;
const request = (caller: Caller, operation: 'query' | 'mutation' = 'query', variables: Record<string, unknown> = {}) =>
  ({ context: { caller: { ...caller, requestId: `r${++requests}` } }, operation: { operation }, queryHash: operation === 'query' ? 'q1' : 'm1', request: { operationName: null, variables } }) as unknown as GatewayGraphQLRequestContext;

async function executorOf(gateway: GatewayInterface) {
  const { executor } = await useOperationMerging(gateway).load({ apollo: {} });
  return executor!;
}

describe('merging identical in-flight queries', () => {
  it("answers a caller's identical concurrent queries with one execution, each with its own result object", async () => {
    const { gateway, calls } = gatewayWithControlledExecutions();
    const execute = await executorOf(gateway);
    const first = execute(request(alice));
    const second = execute(request(alice));
    expect(calls).toHaveLength(1);
    calls[0]!.finish({ data: { me: { id: 'alice' } } });
    const [a, b] = await Promise.all([first, second]);
    expect(a).toEqual({ data: { me: { id: 'alice' } } });
    expect(b).toEqual(a);
    expect(b).not.toBe(a);
    // Once answered, the next identical query executes afresh.
    void execute(request(alice));
    expect(calls).toHaveLength(2);
  });

  it('never merges different callers, variables, addresses or mutations', async () => {
    const { gateway, calls } = gatewayWithControlledExecutions();
    const execute = await executorOf(gateway);
    void execute(request(alice));
    void execute(request(bob));
    void execute(request({ ...alice, ip: '10.0.0.2' }));
    void execute(request({ ...alice, scopes: [...alice.scopes, 'product:write'] }));
    void execute(request(alice, 'query', { first: 5 }));
    void execute(request(anonymousCaller('r', '10.0.0.1')));
    void execute(request(anonymousCaller('r', '10.0.0.9')));
    void execute(request(alice, 'mutation'));
    void execute(request(alice, 'mutation'));
    expect(calls).toHaveLength(9);
  });

  it("lets a caller's queries see that caller's own mutation", async () => {
    const { gateway, calls } = gatewayWithControlledExecutions();
    const execute = await executorOf(gateway);
    void execute(request(alice)); // began before the change
    void execute(request(alice, 'mutation'));
    void execute(request(alice)); // after it: must not take the answer read before it
    void execute(request(alice)); // joins the execution that began after the change
    void execute(request(bob)); // others are unaffected
    void execute(request(bob));
    expect(calls.map((c) => `${(c.ctx.context as { caller: Caller }).caller.userId} ${c.ctx.operation.operation}`)).toEqual(['alice query', 'alice mutation', 'alice query', 'bob query']);
  });
});
