import { BlockList, isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';

/**
 * Who may read /metrics by default: loopback and the private networks Prometheus scrapes from (RFC 1918,
 * IPv6 unique-local). The public reaches a service through a proxy or a published port, never from these
 * without a forwarding header.
 */
export const DEFAULT_METRICS_ALLOW: readonly string[] = ['127.0.0.0/8', '::1/128', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'];

// A proxy or CDN in front relays the public from a private address; any of these headers says it did.
// Not every proxy adds one (nginx's proxy_pass adds none by default): where the public can reach the
// service through one, give metrics a port of their own (METRICS_PORT) that only the scraper reaches.
export const FORWARDING_HEADERS: readonly string[] = [
  'forwarded', 'x-forwarded-for', 'x-real-ip', 'x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-port', 'x-original-forwarded-for',
  'via', 'true-client-ip', 'cf-connecting-ip', 'x-client-ip', 'fastly-client-ip', 'x-cluster-client-ip', 'x-envoy-external-address',
];

/** Where /metrics is served and to whom (METRICS_ALLOW, METRICS_PORT). */
export interface MetricsExposure {
  /** Addresses or CIDR ranges allowed to read /metrics; null keeps the default (loopback and private networks). */
  allow: string[] | null;
  /** A port of its own for /metrics, which then leaves the service port; null serves it on the service port. */
  port: number | null;
}

const unmapped = (address: string) => address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');

/** Parses `address` or `address/prefix` entries (IPv4 or IPv6); throws on anything else, naming the entry. */
export function addressList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', prefix, ...rest] = entry.trim().split('/');
    const family = isIP(address);
    const max = family === 4 ? 32 : 128;
    const bits = prefix === undefined ? max : /^\d{1,3}$/.test(prefix) ? Number(prefix) : NaN;
    if (!family || rest.length || !(bits <= max)) throw new Error(`not an address or CIDR range: "${entry}"`);
    list.addSubnet(address, bits, family === 4 ? 'ipv4' : 'ipv6');
  }
  return list;
}

/**
 * Decides whether a request may read metrics: its TCP peer (never a header, which the client writes) is in
 * the allow-list, and it did not come through a proxy.
 */
export function metricsAccess(allow: readonly string[] = DEFAULT_METRICS_ALLOW): (req: IncomingMessage) => boolean {
  const list = addressList(allow);
  return (req) => {
    if (FORWARDING_HEADERS.some((h) => req.headers[h] !== undefined)) return false;
    const peer = unmapped(req.socket.remoteAddress ?? '');
    const family = isIP(peer);
    return family !== 0 && list.check(peer, family === 4 ? 'ipv4' : 'ipv6');
  };
}
