/**
 * The most each field of an audit record may hold. Producers clip to these; the security subgraph refuses
 * (and sets aside) anything beyond them, so a record built here is always accepted.
 */
export const AUDIT_LIMITS = {
  service: 40,
  action: 80,
  resourceType: 80,
  resourceId: 200,
  requestId: 100,
  ip: 64,
  userAgent: 512,
  /** Serialised JSON characters. */
  metadataChars: 8_000,
  metadataDepth: 8,
  metadataString: 1_000,
  metadataEntries: 50,
} as const;

export type AuditTextField = 'service' | 'action' | 'resourceType' | 'resourceId' | 'requestId' | 'ip' | 'userAgent';

const NUL = /\u0000/g;
// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Why Postgres (text or jsonb) would refuse or alter this string, or null when it stores it as is. */
export function textProblem(s: string): string | null {
  if (s.includes('\u0000')) return 'contains a NUL character';
  LONE_SURROGATE.lastIndex = 0;
  if (LONE_SURROGATE.test(s)) return 'contains an unpaired surrogate';
  return null;
}

/** Strips NUL and unpaired surrogates, then clips to `max` UTF-16 units without splitting a pair. */
export function cleanText(s: string, max: number): string {
  let out = s.replace(NUL, '').replace(LONE_SURROGATE, '');
  if (out.length > max) {
    out = out.slice(0, max);
    if (/[\uD800-\uDBFF]$/.test(out)) out = out.slice(0, -1);
  }
  return out;
}

function cleanValue(v: unknown, depth: number): unknown {
  if (v === null || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string') return cleanText(v, AUDIT_LIMITS.metadataString);
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  if (typeof v !== 'object') return undefined; // functions, symbols, undefined: not data
  if (depth >= AUDIT_LIMITS.metadataDepth) return '[too deep]';
  if (Array.isArray(v)) return v.slice(0, AUDIT_LIMITS.metadataEntries).map((x) => cleanValue(x, depth + 1) ?? null);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>).slice(0, AUDIT_LIMITS.metadataEntries)) {
    const c = cleanValue(x, depth + 1);
    if (c !== undefined) out[cleanText(k, 100)] = c;
  }
  return out;
}

/**
 * Metadata the security subgraph will take: plain JSON, clean strings, bounded depth, entries and size.
 * When the whole is still too large, short top-level values are kept and the rest marked truncated.
 */
export function cleanMetadata(m: Record<string, unknown> | null | undefined): Record<string, unknown> | null {
  if (m === null || m === undefined || typeof m !== 'object' || Array.isArray(m)) return null;
  const cleaned = cleanValue(m, 0) as Record<string, unknown>;
  const size = JSON.stringify(cleaned).length;
  if (size <= AUDIT_LIMITS.metadataChars) return cleaned;
  const kept: Record<string, unknown> = { truncated: true, originalChars: size };
  for (const [k, v] of Object.entries(cleaned)) kept[k] = JSON.stringify(v).length <= 100 ? v : '[truncated]';
  return JSON.stringify(kept).length <= AUDIT_LIMITS.metadataChars ? kept : { truncated: true, originalChars: size };
}
