import type { HttpContext } from '@palisade/kit';

const ALLOWED_HEADERS = 'content-type, authorization, apollo-require-preflight, x-apollo-operation-name, x-request-id';

/**
 * CORS from an allowlist: only listed origins get the headers a browser needs to read our answers.
 * No wildcard, no credentials (tokens travel in Authorization, not cookies).
 */
export function useCors(origins: readonly string[]) {
  const allowed = new Set(origins);
  const allow = (h: HttpContext) => {
    const origin = h.req.headers.origin;
    if (!origin || !allowed.has(origin)) return false;
    h.res.setHeader('access-control-allow-origin', origin);
    return true;
  };
  return {
    apply(h: HttpContext) {
      h.res.setHeader('vary', 'Origin');
      allow(h);
    },
    preflight(h: HttpContext) {
      h.res.setHeader('vary', 'Origin');
      if (allow(h)) {
        h.res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
        h.res.setHeader('access-control-allow-headers', ALLOWED_HEADERS);
        h.res.setHeader('access-control-max-age', '600');
      }
      h.res.writeHead(204).end();
    },
  };
}
