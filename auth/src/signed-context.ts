import { createHash, KeyObject, randomUUID, sign, verify } from 'node:crypto';
import type { CryptoKey } from 'jose';
import { isRole } from './roles.ts';
import type { Caller } from './caller.ts';

// The router's word on who is calling, bound to one operation for one subgraph for a few seconds.
export const CONTEXT_HEADER = 'x-palisade-context';
export const CONTEXT_TYPE = 'palisade-ctx+jwt';
const CONTEXT_TTL_SECONDS = 30;

export interface OperationBody {
  query?: string | null;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
  /** Chooses what runs as much as the query does: a persisted-query hash here replaces the text. */
  extensions?: Record<string, unknown> | null;
}

/**
 * A digest of everything in a GraphQL request that decides what executes — query, operationName (which of
 * the document's operations), variables and extensions (e.g. a persisted-query hash) — so a context cannot be
 * replayed onto another operation. One JSON array, so no field's text can spill into the next one's.
 */
export function operationHash(body: OperationBody): string {
  const parts = [body.query ?? null, body.operationName ?? null, body.variables ?? {}, body.extensions ?? {}];
  return createHash('sha256').update(stableStringify(parts)).digest('base64url');
}

export function bodyHash(raw: string | Buffer): string {
  return createHash('sha256').update(raw).digest('base64url');
}

export function stableStringify(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
}

export interface ContextSigner {
  issuer: string;
  key: CryptoKey;
  kid: string;
}

export interface SignedContextClaims {
  issuer: string;
  audience: string;
  digest: string;
  tokenId: string;
  expiresAt: number;
  caller: Caller | null; // null for a service acting for itself
}

const b64url = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
const headerSegments = new WeakMap<CryptoKey, string>();
const keyObjects = new WeakMap<CryptoKey, KeyObject>();
const keyObjectOf = (key: CryptoKey) => {
  let k = keyObjects.get(key);
  if (!k) keyObjects.set(key, (k = KeyObject.from(key as Parameters<typeof KeyObject.from>[0])));
  return k;
};

/**
 * A compact JWS (EdDSA) that any JOSE library verifies, signed with Node's synchronous Ed25519: the router
 * signs one per subgraph fetch, and WebCrypto's asynchronous job showed in its profiles beside the signing.
 */
export async function signContext(signer: ContextSigner, audience: string, digest: string, caller: Caller | null): Promise<string> {
  let header = headerSegments.get(signer.key);
  if (!header) {
    if (signer.key.algorithm.name !== 'Ed25519') throw new Error('signed contexts are EdDSA (Ed25519) only');
    headerSegments.set(signer.key, (header = b64url(JSON.stringify({ alg: 'EdDSA', kid: signer.kid, typ: CONTEXT_TYPE }))));
  }
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = { dig: digest, iss: signer.issuer, aud: audience, iat: now, exp: now + CONTEXT_TTL_SECONDS, jti: randomUUID() };
  if (caller) {
    claims.ctx = {
      uid: caller.userId,
      sid: caller.sessionId,
      roles: caller.roles,
      scp: caller.scopes,
      rid: caller.requestId,
      ip: caller.ip,
      ua: caller.userAgent,
    };
  }
  const input = `${header}.${b64url(JSON.stringify(claims))}`;
  return `${input}.${sign(null, Buffer.from(input), keyObjectOf(signer.key)).toString('base64url')}`;
}

export class ContextRejected extends Error {
  constructor(readonly reason: string) {
    super(`signed context rejected: ${reason}`);
  }
}

export interface ContextVerifyOptions {
  /** issuer name → its public key; nobody else can vouch. */
  trusted: ReadonlyMap<string, CryptoKey>;
  audience: string;
  digest: string;
}

const SEGMENT = /^[A-Za-z0-9_-]+$/;
const CLOCK_TOLERANCE_SECONDS = 5;
const HEADER_KEYS = new Set(['alg', 'kid', 'typ']);

function decodeSegment(segment: string): Record<string, unknown> {
  const value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as unknown;
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new ContextRejected('malformed');
  return value as Record<string, unknown>;
}

/**
 * Verifies a signed context: exactly the compact EdDSA JWS signContext makes, from a trusted issuer, for this
 * audience and operation, fresh. Synchronous Ed25519 like the signer: every subgraph call pays for this.
 * Anything unexpected — another algorithm (none included), extra header parameters such as crit or jwk, a
 * non-canonical encoding, a missing claim — is refused, never interpreted.
 */
export async function verifyContext(token: string | undefined | null, o: ContextVerifyOptions): Promise<SignedContextClaims> {
  if (!token) throw new ContextRejected('missing');
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((p) => SEGMENT.test(p))) throw new ContextRejected('malformed');
  const [h, p, s] = parts as [string, string, string];
  let header: Record<string, unknown>;
  let payload: Record<string, unknown>;
  try {
    header = decodeSegment(h);
    payload = decodeSegment(p);
  } catch {
    throw new ContextRejected('malformed');
  }
  if (header.alg !== 'EdDSA' || header.typ !== CONTEXT_TYPE || Object.keys(header).some((k) => !HEADER_KEYS.has(k))) throw new ContextRejected('unexpected header');
  const key = typeof payload.iss === 'string' ? o.trusted.get(payload.iss) : undefined;
  if (!key) throw new ContextRejected('untrusted issuer');
  const signature = Buffer.from(s, 'base64url');
  // Only the canonical encoding of a 64-byte signature: no second spelling of the same token.
  if (signature.length !== 64 || signature.toString('base64url') !== s) throw new ContextRejected('malformed');
  if (!verify(null, Buffer.from(`${h}.${p}`), keyObjectOf(key), signature)) throw new ContextRejected('bad signature');
  const now = Math.floor(Date.now() / 1000);
  const { aud, exp, iat, jti } = payload;
  if (typeof exp !== 'number' || typeof iat !== 'number' || typeof jti !== 'string' || !jti) throw new ContextRejected('missing claims');
  if (aud !== o.audience) throw new ContextRejected('another audience');
  if (exp <= now - CLOCK_TOLERANCE_SECONDS || iat > now + CLOCK_TOLERANCE_SECONDS || now - iat > CONTEXT_TTL_SECONDS + CLOCK_TOLERANCE_SECONDS) throw new ContextRejected('expired');
  if (payload.dig !== o.digest) throw new ContextRejected('bound to a different operation');
  const ctx = payload.ctx as Record<string, unknown> | undefined;
  return {
    issuer: payload.iss as string,
    audience: o.audience,
    digest: o.digest,
    tokenId: jti,
    expiresAt: exp,
    caller: ctx && typeof ctx === 'object' && !Array.isArray(ctx) ? callerFromClaims(ctx) : null,
  };
}

const str = (v: unknown) => (typeof v === 'string' ? v : null);

function callerFromClaims(c: Record<string, unknown>): Caller {
  return {
    userId: str(c.uid),
    sessionId: str(c.sid),
    roles: Array.isArray(c.roles) ? c.roles.filter(isRole) : [],
    scopes: Array.isArray(c.scp) ? c.scp.filter((s): s is string => typeof s === 'string') : [],
    requestId: str(c.rid) ?? 'unknown',
    ip: str(c.ip),
    userAgent: str(c.ua),
  };
}
