import { beforeAll, describe, expect, it } from 'vitest';
import { testSettings } from '@palisade/kit/testing/index';
import { checkObjects, checkTargets, hasKubectl, render, SECRETS_TABLE, TARGETS } from '../src/k8s/check.ts';
import { codeFacts } from '../src/k8s/code-facts.ts';
import type { K8sObject } from '../src/k8s/render.ts';

// CI installs kubectl (.ci/run); elsewhere the suite says it did not run rather than passing without looking.
const kubectl = hasKubectl();
const required = testSettings().requireRealServers;

if (!kubectl)
  describe('kubectl', () => {
    it.runIf(required)('is installed (apt-get install kubectl): CI renders the manifests', () => {
      expect(kubectl).toBe(true);
    });
  });

describe.runIf(kubectl)('ops/k8s rendered by kubectl kustomize', () => {
  const facts = codeFacts();
  // Rendered in a hook: describe's body runs to collect tests even when the suite is not run.
  let production: K8sObject[] = [];
  beforeAll(() => {
    production = render('ops/k8s/overlays/production');
  });
  const copy = () => structuredClone(production);
  const named = (all: K8sObject[], kind: string, name: string) => all.find((o) => o.kind === kind && o.metadata.name === name)!;
  const container = (all: K8sObject[], name: string) => named(all, 'Deployment', name).spec.template.spec.containers[0];

  it('base and both overlays render and match the code, with nothing left to report', () => {
    expect(checkTargets(TARGETS, facts)).toEqual(Object.fromEntries([...TARGETS, SECRETS_TABLE].map((t) => [t, []])));
  });

  it('production puts the router behind an Ingress with TLS, and every container has requests and limits', () => {
    const ingress = production.find((o) => o.kind === 'Ingress')!;
    expect(ingress.spec.tls[0].hosts).toEqual(ingress.spec.rules.map((r: { host: string }) => r.host));
    expect(ingress.spec.rules[0].http.paths.every((p: any) => p.backend.service.name === 'router')).toBe(true);
    for (const d of production.filter((o) => o.kind === 'Deployment')) expect(d.spec.template.spec.containers[0].resources.limits.memory).toBeTruthy();
  });

  it('names a documented secret that nothing uses', () => {
    const stale = { ...facts, secrets: new Map([...facts.secrets, ['palisade-old-redis', new Set(['url'])]]) };
    expect(checkTargets(TARGETS, stale)[SECRETS_TABLE]).toEqual(['palisade-old-redis is documented but no rendered object refers to it']);
  });

  // Each case breaks one thing the code decides and expects the check to name it.
  const cases: [string, (all: K8sObject[]) => void, RegExp][] = [
    ['a container port the code does not listen on', (all) => (container(all, 'order').ports[0].containerPort = 4300), /order.*container ports 4300/],
    ['a probe on a path the service does not serve', (all) => (container(all, 'user').readinessProbe.httpGet.path = '/ready'), /readinessProbe asks \/ready/],
    ['a variable no setting reads', (all) => container(all, 'product').env.push({ name: 'PRODUCT_CACHE', value: '1' }), /PRODUCT_CACHE is not a setting/],
    ['a value the configuration refuses', (all) => container(all, 'router').env.push({ name: 'MAX_QUERY_DEPTH', value: 'deep' }), /MAX_QUERY_DEPTH=deep is refused/],
    ['a secret the README does not document', (all) => (container(all, 'security').env.find((e: any) => e.name === 'REDIS_URL').valueFrom.secretKeyRef.name = 'redis'), /Secret redis key url/],
    ['a ConfigMap that is not rendered', (all) => (container(all, 'user').envFrom[0].configMapRef.name = 'keys'), /envFrom ConfigMap keys is not rendered/],
    ['a container without a CPU limit', (all) => delete container(all, 'router').resources.limits.cpu, /resources.limits.cpu is not set/],
    ['an Ingress path the router does not serve', (all) => (named(all, 'Ingress', 'router').spec.rules[0].http.paths[0].path = '/api'), /router serves nothing at \/api/],
    ['metrics scraped from the wrong port', (all) => (named(all, 'Deployment', 'router').spec.template.metadata.annotations['prometheus.io/port'] = '4000'), /scrape port 4000, but \/metrics is on 9464/],
    ['a Service that reaches the metrics port', (all) => (named(all, 'Service', 'router').spec.ports[0].targetPort = 'metrics'), /port 4000 reaches 9464/],
    ['a private key among the public ones', (all) => (all.find((o) => o.kind === 'ConfigMap')!.data!.PALISADE_PUBKEY_USER = '{"kty":"OKP","crv":"Ed25519","x":"a","d":"b"}'), /PRIVATE key/],
    ['a pod that may run as root', (all) => (named(all, 'Deployment', 'order').spec.template.spec.securityContext.runAsNonRoot = false), /runAsNonRoot/],
  ];
  it.each(cases)('report %s', (_, breakIt, expected) => {
    const all = copy();
    breakIt(all);
    const problems = checkObjects(all, facts);
    expect(problems.some((p) => expected.test(p)), problems.join('\n')).toBe(true);
  });
});
