import { pino, type Logger } from 'pino';
import type { PalisadeConfig } from './config/load.ts';
import { safeError, safeLogArgument } from './log-safe.ts';

export type { Logger };

// Anything that can carry a credential, wherever it sits in a log line.
export const REDACT_PATHS = [
  'password', '*.password', '*.*.password', 'newPassword', '*.newPassword', '*.*.newPassword',
  'currentPassword', '*.currentPassword', 'token', '*.token', 'accessToken', '*.accessToken',
  'refreshToken', '*.refreshToken', '*.*.refreshToken', 'totpCode', '*.totpCode', '*.*.totpCode',
  'authorization', '*.authorization', 'req.headers.authorization', 'req.headers.cookie',
  'headers.authorization', 'headers.cookie', 'cookie', '*.cookie', 'variables', '*.variables',
  'privateJwk', '*.privateJwk', 'headers["x-palisade-context"]',
];

export type LogSettings = PalisadeConfig['log'];

/** What a logger made without a configuration (a tool, a test's helper) does: info and up, pretty on a terminal. */
export const DEFAULT_LOG_SETTINGS: LogSettings = { file: null, level: 'info', format: null, production: false };

export function createLogger(service: string, settings: LogSettings = DEFAULT_LOG_SETTINGS): Logger {
  const file = settings.file;
  const pretty = !file && !settings.production && settings.format !== 'json' && process.stdout.isTTY;
  // LOG_FILE: JSON lines to a file (tests read them back); synchronous so nothing is lost on exit.
  const destination = file ? pino.destination({ dest: file, sync: true, append: true }) : undefined;
  return pino({
    name: service,
    level: settings.level,
    base: { service },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    // Database errors and their messages go out as statement text, never with the values sent.
    serializers: { err: safeError, error: safeError },
    hooks: {
      logMethod(args, method) {
        const [first, ...rest] = args as unknown[];
        if (first instanceof Error) {
          const err = safeError(first) as { message?: string };
          return method.apply(this, [{ err }, ...(rest.length ? rest.map(safeLogArgument) : [err.message])] as Parameters<typeof method>);
        }
        return method.apply(this, (args as unknown[]).map(safeLogArgument) as Parameters<typeof method>);
      },
    },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { singleLine: true, ignore: 'pid,hostname' } } } : {}),
  }, destination);
}
