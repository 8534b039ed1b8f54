import { describe, expect, it } from 'vitest';
import { maskError } from '../src/errors.ts';

describe('error masking', () => {
  it('keeps contract codes, their message and safe extensions, and drops everything else', () => {
    const out = maskError(
      { message: 'Too many attempts', path: ['login'], extensions: { code: 'RATE_LIMITED', retryAfterSeconds: 30, stacktrace: ['at x'], serviceName: 'user' } },
      { hideSuggestions: false },
    );
    expect(out).toEqual({ message: 'Too many attempts', path: ['login'], extensions: { code: 'RATE_LIMITED', retryAfterSeconds: 30 } });
  });

  it('turns anything unexpected into INTERNAL_SERVER_ERROR without its message', () => {
    const out = maskError({ message: 'relation "users.users" does not exist', extensions: { code: 'INTERNAL_SERVER_ERROR', exception: { stacktrace: ['x'] } } }, { hideSuggestions: false });
    expect(out).toEqual({ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    expect(maskError({ message: 'boom' }, { hideSuggestions: false }).extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR' });
  });

  it("reports the parser's token limit as QUERY_TOO_COMPLEX", () => {
    const parse = { message: 'Syntax Error: Document contains more that 5000 tokens. Parsing aborted.', extensions: { code: 'GRAPHQL_PARSE_FAILED' } };
    expect(maskError(parse, { hideSuggestions: true }).extensions).toEqual({ code: 'QUERY_TOO_COMPLEX' });
  });

  it('maps GraphQL request errors to BAD_USER_INPUT and can hide schema suggestions', () => {
    const formatted = { message: 'Cannot query field "emial" on type "User". Did you mean "email"?', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } };
    expect(maskError(formatted, { hideSuggestions: false })).toEqual({ message: formatted.message, extensions: { code: 'BAD_USER_INPUT' } });
    expect(maskError(formatted, { hideSuggestions: true }).message).toBe('Cannot query field "emial" on type "User".');
  });
});
