import { GraphQLError } from 'graphql';

// The contract's error codes; nothing else may appear in extensions.code.
export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  OUT_OF_STOCK: 'OUT_OF_STOCK',
  RATE_LIMITED: 'RATE_LIMITED',
  ACCOUNT_LOCKED: 'ACCOUNT_LOCKED',
  QUERY_TOO_COMPLEX: 'QUERY_TOO_COMPLEX',
  PERSISTED_QUERY_NOT_FOUND: 'PERSISTED_QUERY_NOT_FOUND',
  /** A store or database a security decision needs is down (HTTP 503); retry later. */
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
export const ERROR_CODES: readonly string[] = Object.values(ErrorCode);

/** An error whose message is safe to show the caller. Anything else is masked. */
export class PublicError extends GraphQLError {
  constructor(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}) {
    super(message, { extensions: { ...extensions, code } });
  }
}

export const unauthenticated = (message = 'Authentication required') => new PublicError(ErrorCode.UNAUTHENTICATED, message);
export const forbidden = (message = 'Not allowed') => new PublicError(ErrorCode.FORBIDDEN, message);
export const badInput = (message: string, field?: string) =>
  new PublicError(ErrorCode.BAD_USER_INPUT, message, field ? { field } : {});
export const notFound = (message = 'Not found') => new PublicError(ErrorCode.NOT_FOUND, message);
export const serviceUnavailable = (message = 'Temporarily unavailable, retry shortly') =>
  new PublicError(ErrorCode.SERVICE_UNAVAILABLE, message, { http: { status: 503 } });
export const conflict = (message: string) => new PublicError(ErrorCode.CONFLICT, message);
