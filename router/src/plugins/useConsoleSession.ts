import { readFileSync } from 'node:fs';
import type { ApolloServerPlugin } from '@apollo/server';
import { HttpError, type HttpContext } from '@palisade/kit';
import { DEFAULT_MANIFEST } from './usePersistedOperations.ts';

export interface ConsoleSessionOptions {
  /** Secure cookies: on whenever the router serves TLS. */
  secure: boolean;
  /** How long the browser keeps the refresh cookie; the session's own expiry still rules. */
  maxAgeSeconds: number;
  /** The trusted-documents manifest holding the console's session operations (default: the repository's). */
  manifestPath?: string;
}

/** The console marks its requests with this header; a cross-site page cannot send it without CORS consent. */
export const CONSOLE_HEADER = 'x-palisade-console';
export const CONSOLE_COOKIE = 'palisade_console_refresh';
const SIGN_IN = 'AdminSignIn';
const REFRESH = 'AdminRefreshSession';
const SIGN_OUT = 'AdminSignOut';

/** The exact text of the console's session operations, from the manifest: only those touch the cookie. */
function trustedBodies(manifestPath: string): Map<string, string> {
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { operations: { name: string; body: string }[] };
  const bodies = new Map(manifest.operations.filter((op) => [SIGN_IN, REFRESH, SIGN_OUT].includes(op.name)).map((op) => [op.name, op.body]));
  for (const name of [SIGN_IN, REFRESH, SIGN_OUT]) if (!bodies.has(name)) throw new Error(`${manifestPath} lacks the console operation ${name}`);
  return bodies;
}

function cookieValue(h: HttpContext, name: string): string | null {
  for (const part of (h.req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return null;
}

/**
 * The admin console's refresh token lives in an HttpOnly, SameSite=Strict cookie that only the router reads
 * and writes: page scripts never hold it, so an XSS cannot steal a session that outlives the page. The
 * cookie counts only on requests carrying the console header from the router's own origin (a CSRF guard on
 * top of SameSite), and only for the console's refresh operation. Rotation and reuse detection are the
 * API's own: each refresh swaps the cookie, and a replayed one ends the whole session.
 */
export function useConsoleSession(o: ConsoleSessionOptions) {
  const trusted = trustedBodies(o.manifestPath ?? DEFAULT_MANIFEST);
  // By name alone, any document could ask for the cookie's token under another shape (an alias on
  // refreshSession would carry it out in the clear); only the console's own documents, to the letter, may.
  const isTrusted = (name: unknown, query: unknown) => typeof name === 'string' && trusted.get(name) === query;
  const cookie = (value: string, maxAge: number) =>
    `${CONSOLE_COOKIE}=${value}; Path=/graphql; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${o.secure ? '; Secure' : ''}`;

  /** True for a request the console made from this origin; only those may use or set the cookie. */
  const isConsole = (h: HttpContext): boolean => {
    if (h.req.headers[CONSOLE_HEADER] !== '1') return false;
    const origin = h.req.headers.origin;
    if (!origin) return true; // same-origin fetches may omit it; SameSite=Strict still keeps other sites out
    try {
      return new URL(origin).host === h.req.headers.host;
    } catch {
      return false;
    }
  };

  /**
   * Puts the cookie's refresh token into the console's refresh operation; nothing else ever sees it. With
   * no cookie there is no session to resume, and the router answers at once instead of asking the API.
   */
  const prepare = (h: HttpContext, body: Record<string, unknown>): Record<string, unknown> => {
    if (!isConsole(h) || body.operationName !== REFRESH || !isTrusted(REFRESH, body.query)) return body;
    const token = cookieValue(h, CONSOLE_COOKIE);
    if (!token) throw new HttpError(401, 'UNAUTHENTICATED', 'No console session; sign in');
    return { ...body, variables: { ...(body.variables as Record<string, unknown> | undefined), refreshToken: token } };
  };

  const plugin: ApolloServerPlugin<{ console?: boolean }> = {
    async requestDidStart() {
      return {
        async willSendResponse({ response, contextValue, request }) {
          if (!contextValue.console || response.body.kind !== 'single') return;
          const name = request.operationName;
          if (!isTrusted(name, request.query)) return;
          const result = response.body.singleResult;
          if (name === SIGN_OUT) {
            // Kept while the session could not be ended (a lapsed access token): the console renews with it
            // and signs out again, so the session ends on the server and not only in the browser.
            if (result.data?.logout === true) response.http.headers.set('set-cookie', cookie('', 0));
            return;
          }
          if (name !== SIGN_IN && name !== REFRESH) return;
          const field = name === SIGN_IN ? 'login' : 'refreshSession';
          const payload = result.data?.[field] as { refreshToken?: string } | null | undefined;
          if (payload?.refreshToken) {
            response.http.headers.set('set-cookie', cookie(payload.refreshToken, o.maxAgeSeconds));
            payload.refreshToken = '';
          } else if (name === REFRESH) response.http.headers.set('set-cookie', cookie('', 0));
        },
      };
    },
  };
  return { isConsole, prepare, plugin };
}
