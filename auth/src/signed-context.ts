import { createHash, KeyObject, randomUUID, sign } from 'node:crypto';
import { jwtVerify, type CryptoKey } from 'jose';
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
}

/** A digest of what will execute, so a context cannot be replayed onto another operation. */
export function operationHash(body: OperationBody): string {
  const h = createHash('sha256');
  h.update(body.query ?? '');
  h.update('\0');
  h.update(body.operationName ?? '');
  h.update('\0');
  h.update(stableStringify(body.variables ?? {}));
  return h.digest('base64url');
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
const headers = new WeakMap<CryptoKey, { segment: string; key: KeyObject }>();

/**
 * A compact JWS (EdDSA) that any JOSE library verifies, signed with Node's synchronous Ed25519: the router
 * signs one per subgraph fetch, and WebCrypto's asynchronous round trip cost more than the signature itself.
 */
export async function signContext(signer: ContextSigner, audience: string, digest: string, caller: Caller | null): Promise<string> {
  let prepared = headers.get(signer.key);
  if (!prepared) {
    if (signer.key.algorithm.name !== 'Ed25519') throw new Error('signed contexts are EdDSA (Ed25519) only');
    prepared = { segment: b64url(JSON.stringify({ alg: 'EdDSA', kid: signer.kid, typ: CONTEXT_TYPE })), key: KeyObject.from(signer.key as Parameters<typeof KeyObject.from>[0]) };
    headers.set(signer.key, prepared);
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
  const input = `${prepared.segment}.${b64url(JSON.stringify(claims))}`;
  return `${input}.${sign(null, Buffer.from(input), prepared.key).toString('base64url')}`;
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

export async function verifyContext(token: string | undefined | null, o: ContextVerifyOptions): Promise<SignedContextClaims> {
  if (!token) throw new ContextRejected('missing');
  let payload;
  try {
    ({ payload } = await jwtVerify(token, (header, jws) => {
      const iss = decodeIssuer(jws.payload);
      const key = iss ? o.trusted.get(iss) : undefined;
      if (!key) throw new ContextRejected('untrusted issuer');
      return key;
    }, { algorithms: ['EdDSA'], audience: o.audience, typ: CONTEXT_TYPE, maxTokenAge: CONTEXT_TTL_SECONDS + 5, clockTolerance: 5, requiredClaims: ['jti', 'exp', 'iat', 'iss'] }));
  } catch (err) {
    if (err instanceof ContextRejected) throw err;
    throw new ContextRejected(err instanceof Error ? err.name : 'invalid');
  }
  if (payload.dig !== o.digest) throw new ContextRejected('bound to a different operation');
  const ctx = payload.ctx as Record<string, unknown> | undefined;
  return {
    issuer: payload.iss as string,
    audience: o.audience,
    digest: o.digest,
    tokenId: payload.jti as string,
    expiresAt: payload.exp as number,
    caller: ctx ? callerFromClaims(ctx) : null,
  };
}

function decodeIssuer(payloadSegment: string | Uint8Array): string | undefined {
  try {
    const text = typeof payloadSegment === 'string' ? Buffer.from(payloadSegment, 'base64url').toString('utf8') : Buffer.from(payloadSegment).toString('utf8');
    const iss = (JSON.parse(text) as { iss?: unknown }).iss;
    return typeof iss === 'string' ? iss : undefined;
  } catch {
    return undefined;
  }
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
