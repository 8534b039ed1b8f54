import { describe, expect, it } from 'vitest';
import { ApolloServer } from '@apollo/server';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { errorReportingPlugin, maskError, type RequestScoped } from '../src/errors.ts';

describe('unexpected errors', () => {
  it('reach the caller as INTERNAL_SERVER_ERROR with the request id, and the details only the log', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'error' }, new Writable({ write: (chunk, _e, done) => (lines.push(String(chunk)), done()) }));
    const server = new ApolloServer<RequestScoped>({
      typeDefs: 'type Query { boom: String }',
      resolvers: { Query: { boom: () => { throw new Error('duplicate key value violates unique constraint "users_email_key" (SELECT * FROM users)'); } } },
      formatError: (f) => maskError(f, { hideSuggestions: true }),
      includeStacktraceInErrorResponses: false,
      plugins: [errorReportingPlugin<RequestScoped>(log)],
    });
    await server.start();
    const res = await server.executeOperation({ query: '{ boom }' }, { contextValue: { requestId: 'req-12345678' } });
    await server.stop();
    const body = res.body.kind === 'single' ? res.body.singleResult : null;
    expect(body?.errors).toEqual([{ message: 'Internal server error', path: ['boom'], locations: [{ line: 1, column: 3 }], extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: 'req-12345678' } }]);
    expect(JSON.stringify(body)).not.toMatch(/SELECT|users_email_key|stack/);
    expect(lines.join('')).toContain('users_email_key');
    expect(lines.join('')).toContain('req-12345678');
  });
});
