import type { ServerResponse } from 'node:http';

// The Sandbox landing page loads Apollo's embed from their CDN; everything else is same-origin JSON.
const CSP_LANDING =
  "default-src 'self'; script-src 'self' 'unsafe-inline' https://embeddable-sandbox.cdn.apollographql.com https://apollo-server-landing-page.cdn.apollographql.com; style-src 'self' 'unsafe-inline' https://fonts.googleapis.com https://apollo-server-landing-page.cdn.apollographql.com; img-src 'self' data: https://apollo-server-landing-page.cdn.apollographql.com; font-src 'self' https://fonts.gstatic.com; frame-src https://sandbox.embed.apollographql.com; connect-src 'self' https://*.apollographql.com; frame-ancestors 'none'";
const CSP_API = "default-src 'none'; frame-ancestors 'none'";

export function useSecurityHeaders(o: { tls: boolean; landingPage: boolean }) {
  return (res: ServerResponse) => {
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('x-frame-options', 'DENY');
    res.setHeader('referrer-policy', 'no-referrer');
    res.setHeader('content-security-policy', o.landingPage ? CSP_LANDING : CSP_API);
    if (o.tls) res.setHeader('strict-transport-security', 'max-age=31536000; includeSubDomains');
  };
}
