import { CLOCK_SKEW_SECONDS, MAX_ACCESS_TOKEN_SECONDS } from '@palisade/auth';
import type { Store } from './store.ts';

// A revoked session's access tokens are refused by the router until the last of them would have expired.
const key = (sessionId: string) => `revoked-session:${sessionId}`;
const TTL = MAX_ACCESS_TOKEN_SECONDS + CLOCK_SKEW_SECONDS;

export async function markSessionsRevoked(store: Store, sessionIds: readonly string[]): Promise<void> {
  await Promise.all(sessionIds.map((id) => store.set(key(id), '1', TTL)));
}

export async function isSessionRevoked(store: Store, sessionId: string): Promise<boolean> {
  return (await store.get(key(sessionId))) !== null;
}
