import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { HttpContext } from '@palisade/kit';
import { CONSOLE_COOKIE, CONSOLE_HEADER, useConsoleSession } from '../src/plugins/useConsoleSession.ts';
import { DEFAULT_MANIFEST } from '../src/plugins/usePersistedOperations.ts';

const session = useConsoleSession({ secure: false, maxAgeSeconds: 60 });
const manifest = JSON.parse(readFileSync(DEFAULT_MANIFEST, 'utf8')) as { operations: { name: string; body: string }[] };
const REFRESH_TEXT = manifest.operations.find((op) => op.name === 'AdminRefreshSession')!.body;
const ctx = (headers: Record<string, string>): HttpContext =>
  ({ req: { headers: { host: 'palisade.test:4000', ...headers } } as unknown as IncomingMessage, res: null as never, url: new URL('http://x/graphql'), requestId: 'r', ip: '127.0.0.1' }) as HttpContext;
const refreshBody = { operationName: 'AdminRefreshSession', query: REFRESH_TEXT, variables: { refreshToken: '' } };
const tokenSent = (h: HttpContext, body: Record<string, unknown> = refreshBody) => (session.prepare(h, body).variables as { refreshToken?: string }).refreshToken;

describe('the console refresh cookie', () => {
  it('is used only for the console refresh, from the console, on this origin', () => {
    const cookie = `${CONSOLE_COOKIE}=secret-refresh`;
    expect(tokenSent(ctx({ [CONSOLE_HEADER]: '1', cookie, origin: 'http://palisade.test:4000' }))).toBe('secret-refresh');
    expect(tokenSent(ctx({ [CONSOLE_HEADER]: '1', cookie }))).toBe('secret-refresh');
    // A page elsewhere that gets the browser to send the cookie gains nothing: wrong origin, or no console header.
    expect(tokenSent(ctx({ [CONSOLE_HEADER]: '1', cookie, origin: 'https://evil.example' }))).toBe('');
    expect(tokenSent(ctx({ cookie, origin: 'http://palisade.test:4000' }))).toBe('');
    // No cookie, no session: answered at the router, so a signed-out page load is no failed token check.
    expect(() => tokenSent(ctx({ [CONSOLE_HEADER]: '1' }))).toThrow(/No console session/);
    // Any other operation name never sees it, whatever it asks for.
    fc.assert(
      fc.property(fc.string(), (name) => {
        fc.pre(name !== 'AdminRefreshSession');
        const body = { operationName: name, variables: { refreshToken: 'mine' } };
        expect(session.prepare(ctx({ [CONSOLE_HEADER]: '1', cookie }), body)).toBe(body);
      }),
    );
  });

  it("goes only into the console's own refresh document, to the letter: no alias or other shape carries it out", () => {
    const h = ctx({ [CONSOLE_HEADER]: '1', cookie: `${CONSOLE_COOKIE}=secret-refresh` });
    const aliased = 'mutation AdminRefreshSession($refreshToken: String!) { stolen: refreshSession(refreshToken: $refreshToken) { accessToken refreshToken } }';
    expect(tokenSent(h, { ...refreshBody, query: aliased })).toBe('');
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), (extra) => {
        expect(tokenSent(h, { ...refreshBody, query: REFRESH_TEXT + extra })).toBe('');
      }),
    );
    expect(tokenSent(h)).toBe('secret-refresh');
  });

  it('is refused from generated foreign origins and malformed ones', () => {
    fc.assert(
      fc.property(fc.webUrl(), (origin) => {
        fc.pre(new URL(origin).host !== 'palisade.test:4000');
        expect(session.isConsole(ctx({ [CONSOLE_HEADER]: '1', origin }))).toBe(false);
      }),
    );
    expect(session.isConsole(ctx({ [CONSOLE_HEADER]: '1', origin: 'null' }))).toBe(false);
  });
});
