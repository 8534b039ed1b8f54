import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestEnvironment, type TestEnvironment } from './harness/supergraph.ts';

// A throwaway self-signed certificate for 127.0.0.1, made with the system's openssl.
const dir = mkdtempSync(join(tmpdir(), 'palisade-tls-'));
let env: TestEnvironment;
let cert = '';
beforeAll(async () => {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
  cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
  env = await createTestEnvironment({ router: { tls: { cert, key: readFileSync(join(dir, 'key.pem'), 'utf8') } } });
});
afterAll(async () => {
  await env?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function post(url: string, body: string): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', ca: cert, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('TLS from a certificate and key', () => {
  it('serves GraphQL over HTTPS with HSTS', async () => {
    expect(env.url.startsWith('https://')).toBe(true);
    const r = await post(env.url, JSON.stringify({ query: '{ categories { id } }' }));
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text).data.categories.length).toBeGreaterThan(0);
    expect(r.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
  });
});
