import { bodyHash, signContext, CONTEXT_HEADER, type Caller, type ContextSigner } from '@palisade/auth';
import { ServiceCallError } from '../service-client.ts';

/**
 * One signed POST as a service would send it, for tests that play that service (a forged sender, a replay,
 * a body the real client would never send). Services themselves call through createServiceClient.
 */
export async function postSigned<T>(
  signer: ContextSigner,
  audience: string,
  url: string,
  payload: unknown,
  o: { caller?: Caller | null; timeoutMs?: number } = {},
): Promise<T> {
  const body = JSON.stringify(payload);
  const token = await signContext(signer, audience, bodyHash(body), o.caller ?? null);
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [CONTEXT_HEADER]: token },
      body,
      signal: AbortSignal.timeout(o.timeoutMs ?? 5_000),
    });
  } catch (err) {
    throw new ServiceCallError(`${audience} unreachable: ${(err as Error).name}`, null);
  }
  const text = await res.text();
  if (!res.ok) throw new ServiceCallError(`${audience} answered ${res.status}`, res.status);
  return (text ? JSON.parse(text) : null) as T;
}
