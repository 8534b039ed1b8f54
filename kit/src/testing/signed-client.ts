import { randomUUID } from 'node:crypto';
import { CONTEXT_HEADER, operationHash, scopesForRoles, signContext, type Caller, type Role } from '@palisade/auth';
import { loadInternalKeys } from '../keyring.ts';

/** A caller as the router would describe it, for tests that talk to one subgraph directly. */
export function testCaller(o: { userId?: string | null; roles?: Role[]; sessionId?: string | null } = {}): Caller {
  const roles = o.roles ?? (o.userId ? ['CUSTOMER'] : []);
  return { userId: o.userId ?? null, sessionId: o.sessionId ?? (o.userId ? randomUUID() : null), roles, scopes: scopesForRoles(roles), requestId: randomUUID(), ip: '127.0.0.1', userAgent: 'palisade-test' };
}

/** Sends one operation to a subgraph signed with the development router key, exactly as the router does. */
export async function signedSubgraphRequest(
  url: string,
  audience: string,
  caller: Caller,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<{ status: number; headers: Headers; body: { data?: Record<string, any> | null; errors?: { message: string; extensions?: Record<string, unknown>; path?: unknown[] }[] } }> {
  const { signer } = await loadInternalKeys('router', []);
  const body = { query, variables };
  const token = await signContext(signer, audience, operationHash(body), caller);
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', [CONTEXT_HEADER]: token }, body: JSON.stringify(body) });
  return { status: res.status, headers: res.headers, body: (await res.json()) as never };
}
