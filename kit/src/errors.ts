import type { GraphQLFormattedError } from 'graphql';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { ErrorCode, ERROR_CODES } from '@palisade/auth';
import type { Logger } from './logger.ts';

// Apollo's own codes for a request it could not run: all the caller's doing.
const REQUEST_ERROR_CODES = new Set(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_REQUEST', 'OPERATION_RESOLUTION_FAILURE', 'BAD_USER_INPUT']);
const SAFE_EXTENSIONS = ['retryAfterSeconds', 'field', 'requestId', 'cost', 'limit'];
const SUGGESTION = / ?Did you mean [^?]*\?/g;
const TOKEN_LIMIT = /more th(?:an|at) \d+ tokens/; // graphql-js spells it "more that"

// graphql-js quotes a string value as JSON; anything else it prints has no quote or semicolon in it.
const QUOTED = String.raw`"(?:[^"\\]|\\.)*"`;
const COERCION = new RegExp(String.raw`^(Variable "\$[_A-Za-z0-9]+") got invalid value (?:${QUOTED}|[^";])*?(?: at (${QUOTED}))?; ([\s\S]*)$`);
const NAME = /^[_A-Za-z][_A-Za-z0-9]*$/;

/**
 * graphql-js puts the offending value into its message ("Variable "$i" got invalid value "…"; String
 * cannot represent …: "…""). The caller sent it, but an answer that repeats input repeats whatever the
 * input carried, so it is said without it: the variable, the path within it and the reason.
 */
export function withoutValues(message: string): string {
  const m = COERCION.exec(message);
  // An object's keys are printed unquoted, so a key holding a quote or a semicolon defeats the pattern: then
  // nothing after the variable's name is repeated.
  const unparsed = /^(Variable "\$[_A-Za-z0-9]+") got invalid value /.exec(message);
  if (!m && unparsed) return `${unparsed[1]} got an invalid value.`;
  if (!m) return message.replace(/^(Expected value of type "[^"]+"), found [\s\S]*$/, '$1.');
  const [, variable, at, reason = ''] = m;
  const said = reason
    .replace(/^([A-Za-z]+ cannot represent [^:]*?):[\s\S]*$/, '$1.')
    .replace(/^Value (?:"(?:[^"\\]|\\.)*"|[\s\S]*?) does not exist in ("[_A-Za-z0-9]+" enum\.)[\s\S]*$/, 'Value does not exist in $1')
    // The unknown key is printed raw (quotes and all): everything up to the last `" is not defined` is its name.
    .replace(/^Field "([\s\S]*)" is not defined by type ("[_A-Za-z0-9]+")\.[\s\S]*$/, (_all, field: string, type: string) =>
      `Field ${NAME.test(field) ? `"${field}"` : 'with that name'} is not defined by type ${type}.`,
    );
  const path = at && /^"[$_A-Za-z0-9.[\]]*"$/.test(at) ? ` at ${at}` : '';
  return `${variable} got an invalid value${path}; ${said}`;
}

/** "i.items[2].quantity" from a variable coercion message, as the argument path "i.items.2.quantity". */
function coercionPath(message: string): string | undefined {
  const m = /^Variable "\$([_A-Za-z0-9]+)" got an invalid value(?: at "([^"]*)")?;/.exec(message);
  if (!m) return /^Variable "\$([_A-Za-z0-9]+)"/.exec(message)?.[1];
  return (m[2] ?? m[1])!.replace(/\[(\d+)\]/g, '.$1');
}

export interface MaskOptions {
  /** Strip "Did you mean …" hints, which map the schema for an attacker. */
  hideSuggestions: boolean;
}

/**
 * Everything leaving the process passes here: a contract code and a safe message survive, anything
 * else becomes INTERNAL_SERVER_ERROR. Stack traces and extensions we did not put there never leave.
 */
export function maskError(formatted: GraphQLFormattedError, o: MaskOptions): GraphQLFormattedError {
  const code = String(formatted.extensions?.code ?? '');
  let outCode: string;
  let message = formatted.message;
  let field: string | undefined;
  if (ERROR_CODES.includes(code) && code !== ErrorCode.INTERNAL_SERVER_ERROR) outCode = code;
  // The parser's own token limit is an operation-size limit like depth or cost.
  else if (code === 'GRAPHQL_PARSE_FAILED' && TOKEN_LIMIT.test(message)) outCode = ErrorCode.QUERY_TOO_COMPLEX;
  else if (REQUEST_ERROR_CODES.has(code)) outCode = ErrorCode.BAD_USER_INPUT;
  else if (code === 'PERSISTED_QUERY_NOT_FOUND') outCode = code;
  else {
    outCode = ErrorCode.INTERNAL_SERVER_ERROR;
    message = 'Internal server error';
  }
  if (outCode === ErrorCode.BAD_USER_INPUT) {
    message = withoutValues(message);
    field = coercionPath(message);
  }
  if (o.hideSuggestions) message = message.replace(SUGGESTION, '');
  const extensions: Record<string, unknown> = { code: outCode };
  for (const k of SAFE_EXTENSIONS) if (formatted.extensions?.[k] !== undefined) extensions[k] = formatted.extensions[k];
  if (field && extensions.field === undefined) extensions.field = field;
  return {
    message,
    ...(formatted.locations ? { locations: formatted.locations } : {}),
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions,
  };
}

export interface RequestScoped extends BaseContext {
  requestId: string;
}

/** Logs what was masked with its request id, and gives the caller that id to quote. */
export function errorReportingPlugin<T extends RequestScoped>(log: Logger): ApolloServerPlugin<T> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue }) {
          for (const err of errors) {
            const code = String(err.extensions?.code ?? '');
            const callersMistake = REQUEST_ERROR_CODES.has(code) || code === 'PERSISTED_QUERY_NOT_FOUND';
            if (!callersMistake && (!ERROR_CODES.includes(code) || code === ErrorCode.INTERNAL_SERVER_ERROR))
              ((contextValue as { log?: Logger } | undefined)?.log ?? log).error({ err: err.originalError ?? err, requestId: contextValue?.requestId, path: err.path }, 'operation error');
          }
        },
        async willSendResponse({ response, contextValue }) {
          if (response.body.kind !== 'single') return;
          for (const e of response.body.singleResult.errors ?? []) {
            if (e.extensions?.code === ErrorCode.INTERNAL_SERVER_ERROR && contextValue?.requestId)
              (e.extensions as Record<string, unknown>).requestId = contextValue.requestId;
          }
        },
      };
    },
  };
}
