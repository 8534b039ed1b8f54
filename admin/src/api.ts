import { AdminRefreshSession, AdminSignIn, AdminSignOut, type TrustedOperation } from './generated/operations.ts';

/** An error the API answered with: its contract code, and the input it concerns when it says so. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export interface SignedIn {
  user: { id: string; email: string; displayName: string; roles: string[] };
  scopes: string[];
}

type Listener = (session: SignedIn | null, expired: boolean) => void;

// The access token lives in this module's memory only: never in storage, never in the DOM. The refresh
// token never reaches the page at all (the router keeps it in an HttpOnly cookie).
let accessToken: string | null = null;
let session: SignedIn | null = null;
let refreshTimer: ReturnType<typeof setTimeout> | undefined;
const listeners = new Set<Listener>();

export function onSession(l: Listener): () => void {
  listeners.add(l);
  return () => void listeners.delete(l);
}
const announce = (expired: boolean) => listeners.forEach((l) => l(session, expired));

function scopesOf(token: string): string[] {
  try {
    const payload = JSON.parse(atob(token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as { scope?: string };
    return payload.scope?.split(' ').filter(Boolean) ?? [];
  } catch {
    return [];
  }
}

async function post<R, V>(op: TrustedOperation<R, V>, variables: V | undefined, token: string | null): Promise<{ data?: R | null; errors?: { message: string; extensions?: { code?: string; field?: string } }[] }> {
  const res = await fetch('/graphql', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', 'x-palisade-console': '1', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    // Trusted documents by id only: the console works with PERSISTED_OPERATIONS=enforce.
    body: JSON.stringify({ documentId: `sha256:${op.id}`, operationName: op.name, variables: variables ?? {} }),
  });
  try {
    return (await res.json()) as never;
  } catch {
    return { errors: [{ message: `The server answered ${res.status}`, extensions: { code: 'INTERNAL_SERVER_ERROR' } }] };
  }
}

function adopt(payload: { accessToken: string; expiresIn: number; user: SignedIn['user'] }) {
  accessToken = payload.accessToken;
  session = { user: payload.user, scopes: scopesOf(payload.accessToken) };
  clearTimeout(refreshTimer);
  // Renew a minute before the access token would expire, so screens never see it lapse.
  refreshTimer = setTimeout(() => void refresh(), Math.max(5, payload.expiresIn - 60) * 1000);
  announce(false);
}

const firstError = (r: Awaited<ReturnType<typeof post>>) => {
  const e = r.errors?.[0];
  return e ? new ApiError(e.extensions?.code ?? 'INTERNAL_SERVER_ERROR', e.message, e.extensions?.field) : null;
};

export async function signIn(email: string, password: string, totpCode?: string): Promise<void> {
  const r = await post(AdminSignIn, { input: { email, password, ...(totpCode ? { totpCode } : {}) } }, null);
  const err = firstError(r);
  if (err || !r.data) throw err ?? new ApiError('INTERNAL_SERVER_ERROR', 'No answer');
  adopt(r.data.login);
}

let refreshing: Promise<boolean> | null = null;

/**
 * Swaps the cookie's refresh token for a new pair; false when there is no live session to resume. One at
 * a time: two refreshes with the same cookie would look like reuse of a stolen token and end the session.
 */
export function refresh(): Promise<boolean> {
  refreshing ??= swap().finally(() => (refreshing = null));
  return refreshing;
}

async function swap(): Promise<boolean> {
  const r = await post(AdminRefreshSession, { refreshToken: '' }, null);
  if (r.data?.refreshSession) {
    adopt(r.data.refreshSession);
    return true;
  }
  const wasSignedIn = session !== null;
  accessToken = null;
  session = null;
  clearTimeout(refreshTimer);
  announce(wasSignedIn);
  return false;
}

export async function signOut(): Promise<void> {
  const r = await post(AdminSignOut, undefined, accessToken).catch(() => null);
  // An expired access token cannot end the session (the laptop slept past it); the cookie renews it once
  // so that sign-out really ends the session on the server, not only in this tab.
  if (r?.errors?.some((e) => e.extensions?.code === 'UNAUTHENTICATED') && (await refresh())) await post(AdminSignOut, undefined, accessToken).catch(() => null);
  accessToken = null;
  session = null;
  clearTimeout(refreshTimer);
  announce(false);
}

/**
 * Runs a trusted operation as the signed-in user. An expired token is renewed once and the call retried;
 * when the session is gone, the app asks to sign in again over the current screen and the call waits.
 */
export async function run<R, V>(op: TrustedOperation<R, V>, variables?: V): Promise<R> {
  let r = await post(op, variables, accessToken);
  if (r.errors?.some((e) => e.extensions?.code === 'UNAUTHENTICATED') && (await refresh())) r = await post(op, variables, accessToken);
  const err = firstError(r);
  if (err) throw err;
  return r.data as R;
}

export const currentSession = () => session;
