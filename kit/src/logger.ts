import { pino, type Logger } from 'pino';
import { isProduction } from './config.ts';

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

export function createLogger(service: string): Logger {
  const file = process.env.LOG_FILE;
  const pretty = !file && !isProduction() && process.env.LOG_FORMAT !== 'json' && process.stdout.isTTY;
  // LOG_FILE: JSON lines to a file (tests read them back); synchronous so nothing is lost on exit.
  const destination = file ? pino.destination({ dest: file, sync: true, append: true }) : undefined;
  return pino({
    name: service,
    level: process.env.LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'warn' : 'info'),
    base: { service },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { singleLine: true, ignore: 'pid,hostname' } } } : {}),
  }, destination);
}
