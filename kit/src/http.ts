import { createServer, type IncomingMessage, type Server, type ServerResponse, type RequestListener } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { randomUUID } from 'node:crypto';
import type { Logger } from './logger.ts';

export const MAX_BODY_BYTES = 1024 * 1024;

export interface HttpContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  requestId: string;
  ip: string;
}

export type Handler = (h: HttpContext) => Promise<void> | void;
/** Routes keyed "METHOD /path"; a path matches exactly. */
export type Routes = Record<string, Handler>;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;

/**
 * The client's address. Behind TRUST_PROXY_HOPS proxies, the address the outermost trusted proxy saw
 * (counted from the right of X-Forwarded-For); never a value the client could simply write itself.
 */
export function clientIp(req: IncomingMessage, trustedHops: number): string {
  const socket = (req.socket.remoteAddress ?? 'unknown').replace(/^::ffff:/, '');
  if (trustedHops <= 0) return socket;
  const header = req.headers['x-forwarded-for'];
  const chain = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((s) => s.trim()).filter(Boolean);
  const candidate = chain[chain.length - trustedHops];
  return candidate && /^[0-9a-f:.]{2,45}$/i.test(candidate) ? candidate : socket;
}

/** `trustedHops`: the proxies in front whose X-Forwarded-For entries are believed (TRUST_PROXY_HOPS). */
export function createHttpServer(routes: Routes, log: Logger, tls: { cert: string; key: string } | null = null, trustedHops = 0): Server {
  const handle: RequestListener = async (req, res) => {
    trackInFlight(server, res);
    const incoming = req.headers['x-request-id'];
    const requestId = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.setHeader('x-request-id', requestId);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const h: HttpContext = { req, res, url, requestId, ip: clientIp(req, trustedHops) };
    const handler = routes[`${req.method} ${url.pathname}`];
    try {
      if (!handler) {
        const allowed = Object.keys(routes).some((k) => k.endsWith(` ${url.pathname}`));
        throw allowed ? new HttpError(405, 'BAD_USER_INPUT', 'Method not allowed') : new HttpError(404, 'NOT_FOUND', 'Not found');
      }
      await handler(h);
    } catch (err) {
      if (!(err instanceof HttpError)) log.error({ err, requestId }, 'unhandled request error');
      const e = err instanceof HttpError ? err : new HttpError(500, 'INTERNAL_SERVER_ERROR', 'Internal server error');
      if (!res.headersSent) sendJson(res, e.status, { errors: [{ message: e.message, extensions: { code: e.code, requestId } }] });
      else res.destroy();
    }
  };
  const server: Server = tls ? (createTlsServer({ cert: tls.cert, key: tls.key }, handle) as unknown as Server) : createServer(handle);
  server.keepAliveTimeout = 65_000; // longer than common proxy idle timeouts, so they close first
  server.headersTimeout = 66_000;
  server.requestTimeout = 30_000;
  return server;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw new HttpError(413, 'BAD_USER_INPUT', 'Request body too large');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new HttpError(413, 'BAD_USER_INPUT', 'Request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Deeper than any operation needs; recursive code downstream (hashing, coercion) stays far from the stack's end. */
export const MAX_JSON_DEPTH = 64;

/**
 * Refuses JSON nested deeper than `max`, by one pass over the text before anything parses it: a body
 * of 10,000 nested arrays is small, but every recursive walk over it (graphql's coercion, the signed
 * context's canonical form) would overflow the stack.
 */
export function assertJsonDepth(text: string, max = MAX_JSON_DEPTH): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // a backslash escapes the next character, a quote included
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) throw new HttpError(400, 'BAD_USER_INPUT', `JSON is nested deeper than ${max} levels`);
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
}

export function parseJsonBody(raw: Buffer): unknown {
  const text = raw.toString('utf8');
  assertJsonDepth(text);
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'BAD_USER_INPUT', 'Body is not valid JSON');
  }
}

export function isJson(req: IncomingMessage) {
  return (req.headers['content-type'] ?? '').toLowerCase().startsWith('application/json');
}

export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : port);
    });
  });
}

const inFlight = new WeakMap<Server, Set<ServerResponse>>();
const closing = new WeakSet<Server>();

function trackInFlight(server: Server, res: ServerResponse) {
  let set = inFlight.get(server);
  if (!set) inFlight.set(server, (set = new Set()));
  set.add(res);
  res.once('close', () => set.delete(res));
  if (closing.has(server)) res.setHeader('connection', 'close');
}

/**
 * Graceful stop: no new connections; requests in flight finish (answered with `Connection: close`, so clients
 * do not reuse a socket about to go) and each connection closes as soon as it is idle; after 5 s the rest are cut.
 */
export function closeServer(server: Server): Promise<void> {
  closing.add(server);
  for (const res of inFlight.get(server) ?? []) if (!res.headersSent) res.setHeader('connection', 'close');
  return new Promise((resolve) => {
    const idle = setInterval(() => server.closeIdleConnections(), 100);
    const force = setTimeout(() => server.closeAllConnections(), 5_000);
    force.unref();
    server.close(() => {
      clearInterval(idle);
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}
