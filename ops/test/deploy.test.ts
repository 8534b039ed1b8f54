import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { DEFAULT_PORTS } from '@palisade/kit';
import { suiteDatabase, testConfig, testServers } from '@palisade/kit/testing/index';
import { startSupergraph, type RunningSupergraph } from '../src/supergraph.ts';

// No Docker engine here: the deployment files are checked against the code instead of run.
const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (p: string) => readFileSync(join(root, p), 'utf8');
const SERVICES = Object.keys(DEFAULT_PORTS) as (keyof typeof DEFAULT_PORTS)[];
type Doc = { kind: string; metadata: { name: string }; spec: any };
const k8s: Doc[] = (parse(read('ops/k8s/base/kustomization.yaml')).resources as string[]).flatMap((f) =>
  parseAllDocuments(read(`ops/k8s/base/${f}`)).map((d) => d.toJSON() as Doc),
);

describe('docker-compose.yml', () => {
  const compose = parse(read('docker-compose.yml'), { merge: true }); // Compose reads YAML merge keys (<<)
  it('runs every service next to Postgres, Redis, Prometheus, Alertmanager, Grafana and Jaeger, each with a health check', () => {
    for (const s of [...SERVICES, 'postgres', 'redis', 'prometheus', 'alertmanager', 'grafana', 'jaeger']) {
      expect(compose.services[s], s).toBeDefined();
      expect(compose.services[s].healthcheck, `${s} healthcheck`).toBeDefined();
    }
  });
  it('gives each Palisade service, in both profiles, the port the code listens on, real Postgres and Redis, and limits', () => {
    for (const s of SERVICES.flatMap((x) => [x, `${x}-prod`])) {
      const service = compose.services[s];
      expect(service.environment.PORT, s).toBe(String(DEFAULT_PORTS[s.replace(/-prod$/, '') as keyof typeof DEFAULT_PORTS]));
      expect(service.environment.DATABASE_URL).toMatch(/^postgres:\/\/.*@postgres:5432\//);
      expect(service.environment.REDIS_URL).toBe('redis://redis:6379');
      expect(service.environment.NODE_ENV).toBe(s.endsWith('-prod') ? 'production' : 'development');
      expect(service.profiles).toEqual([s.endsWith('-prod') ? 'prod' : 'dev']);
      expect(service.command).toEqual(['node', `dist/${s.replace(/-prod$/, '')}.js`]);
      expect(service.deploy.resources.limits.memory, s).toMatch(/^\d+[MG]$/);
      expect(service.depends_on.keys.condition).toBe('service_completed_successfully');
    }
  });
  it('runs production services on their own key (from the keys job, owned by the node user) and the same host names', () => {
    const keys = compose.services.keys;
    expect(keys.profiles).toEqual(['dev', 'prod']);
    expect(keys.command[0]).toContain('node dist/cli.js keys internal');
    expect(keys.command[0]).toContain('chown -R 1000:1000 /keys');
    for (const s of SERVICES) {
      const prod = compose.services[`${s}-prod`];
      expect(prod.volumes[0]).toMatchObject({ source: 'keys', read_only: true, volume: { subpath: s } });
      expect(prod.entrypoint.join(' ')).toContain(`. ${prod.volumes[0].target}/keys.env`);
      expect(prod.networks.default.aliases).toEqual([s]);
      expect(prod.environment.PALISADE_KEYS_DIR).toBeUndefined();
    }
    expect(compose.services['user-prod'].env_file[0].path).toBe('ops/docker/production.env');
    const example = read('ops/docker/production.env.example');
    for (const v of ['ADMIN_EMAIL', 'ADMIN_PASSWORD', 'DATA_ENCRYPTION_KEYS', 'SMTP_URL']) expect(example).toMatch(new RegExp(`^${v}=`, 'm'));
  });
  it('sends Prometheus alerts to Alertmanager and mounts the rules Prometheus reads', () => {
    const prom = parse(read('ops/prometheus/prometheus.yml'));
    expect(prom.alerting.alertmanagers[0].static_configs[0].targets).toEqual(['alertmanager:9093']);
    expect(compose.services.alertmanager.image).toMatch(/^prom\/alertmanager:v\d/);
    const am = parse(read('ops/alertmanager/alertmanager.yml'));
    const receivers = am.receivers.map((r: { name: string }) => r.name);
    for (const r of [am.route, ...am.route.routes]) expect(receivers).toContain(r.receiver);
    expect(compose.services.prometheus.volumes).toContain('./ops/prometheus:/etc/prometheus:ro');
    for (const f of prom.rule_files as string[]) expect(f).toMatch(/^\/etc\/prometheus\//);
    expect(existsSync(join(root, 'ops/prometheus/alerts.yml'))).toBe(true);
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('ops/docker/Dockerfile');
  it('builds in stages and runs as a non-root user with a health check', () => {
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/^USER (node|\d{4,})$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK /m);
    // Compiled bundles, one per service (ops/test/image.test.ts and the dry build check the rest).
    expect(dockerfile).toContain('CMD ["node", "dist/service.js"]');
    for (const s of SERVICES) expect(dockerfile).toContain(`${s}:${DEFAULT_PORTS[s]}`);
  });
});

describe('Kubernetes manifests (kustomize base)', () => {
  const byKind = (kind: string) => k8s.filter((d) => d.kind === kind);
  it('deploy every service with probes on the ports and paths the code serves', () => {
    for (const s of SERVICES) {
      const d = byKind('Deployment').find((x) => x.metadata.name === s);
      expect(d, s).toBeDefined();
      const c = d!.spec.template.spec.containers[0];
      expect(c.ports[0].containerPort).toBe(DEFAULT_PORTS[s]);
      expect(c.livenessProbe.httpGet.path).toBe('/health');
      expect(c.readinessProbe.httpGet.path).toBe('/health/ready');
      expect(d!.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
      expect(byKind('Service').some((x) => x.metadata.name === s && x.spec.ports[0].port === DEFAULT_PORTS[s])).toBe(true);
      expect(byKind('HorizontalPodAutoscaler').some((x) => x.spec.scaleTargetRef.name === s)).toBe(true);
      expect(byKind('PodDisruptionBudget').some((x) => x.metadata.name === s)).toBe(true);
    }
  });
  it('take secrets by reference only', () => {
    for (const d of byKind('Deployment'))
      for (const e of d.spec.template.spec.containers[0].env as { name: string; value?: string; valueFrom?: unknown }[])
        if (/URL$|KEY|PASSWORD|SECRET|EMAIL/.test(e.name) && !/^(USER|PRODUCT|ORDER|SECURITY)_URL$/.test(e.name)) expect(e.valueFrom, `${d.metadata.name} ${e.name}`).toBeDefined();
  });
  it('let only the router (and signed service callers) reach each subgraph', () => {
    for (const s of SERVICES.filter((x) => x !== 'router')) {
      const np = byKind('NetworkPolicy').find((x) => x.spec.podSelector.matchLabels['app.kubernetes.io/name'] === s);
      expect(np, s).toBeDefined();
      const allowed = np!.spec.ingress[0].from.map((f: any) => f.podSelector.matchLabels['app.kubernetes.io/name']);
      expect(allowed).toContain('router');
    }
  });
});

describe('Prometheus and Grafana', () => {
  let sg: RunningSupergraph;
  let db: Awaited<ReturnType<typeof suiteDatabase>>;
  const scraped = new Set<string>();
  // Pool metrics come from Postgres itself; on a laptop without one (PGlite) they cannot exist.
  const postgresOnly = testServers().real.postgres ? [] : ['palisade_db_pool_size', 'palisade_db_connections', 'palisade_db_connections_busy'];
  beforeAll(async () => {
    db = await suiteDatabase();
    sg = await startSupergraph({ config: testConfig(), ports: { router: 0, user: 0, product: 0, order: 0, security: 0 }, dataDir: null, databaseUrl: db.url });
    for (const url of [sg.url, ...Object.values(sg.subgraphs).map((s) => s.url)]) {
      const text = await (await fetch(url.replace(/\/graphql$/, '/metrics'))).text();
      for (const m of text.matchAll(/^# TYPE (\w+) /gm)) scraped.add(m[1]!);
    }
  });
  afterAll(async () => {
    await sg?.stop();
    await db?.drop();
  });
  const metricNames = (text: string) => [...new Set([...text.matchAll(/palisade_[a-z_]+/g)].map((m) => m[0].replace(/_(bucket|count|sum)$/, '')))];

  it('scrape the services the code runs and alert on what the brief asks', () => {
    const prom = parse(read('ops/prometheus/prometheus.yml'));
    expect(prom.scrape_configs[0].static_configs[0].targets.sort()).toEqual(SERVICES.map((s) => `${s}:${DEFAULT_PORTS[s]}`).sort());
    const rules = parse(read('ops/prometheus/alerts.yml')).groups[0].rules as { alert: string; expr: string }[];
    // Errors and latency are the router's SLOs (ops/prometheus/rules/slo.yml, ops/test/slo.test.ts).
    expect(rules.map((r) => r.alert).sort()).toEqual(['PalisadeCriticalSecurityAlert', 'PalisadeFailedLoginRateHigh', 'PalisadeServiceDown']);
  });

  it('only use metrics the services really export', () => {
    // Every rules file, so a new one cannot escape the check.
    const rules = readdirSync(join(root, 'ops/prometheus/rules')).filter((f) => f.endsWith('.yml')).map((f) => `ops/prometheus/rules/${f}`);
    expect(rules.length).toBeGreaterThan(0);
    const files = ['ops/prometheus/alerts.yml', ...rules, 'ops/grafana/dashboards/palisade.json'];
    const used = files.flatMap((f) => [...metricNames(read(f)), ...new Set(read(f).match(/\bprocess_[a-z_]+/g))]);
    expect(used.length).toBeGreaterThan(4);
    expect(used.filter((m) => !scraped.has(m) && !postgresOnly.includes(m))).toEqual([]);
  });

  it.runIf(testServers().real.postgres)('read database pool figures that Postgres can answer (a failed read shows as -1)', async () => {
    const text = await (await fetch(sg.subgraphs.product.url.replace(/\/graphql$/, '/metrics'))).text();
    const value = (name: string) => Number(new RegExp(`^${name}\\{[^}]*\\} (-?[\\d.]+)$`, 'm').exec(text)?.[1]);
    expect(value('palisade_db_pool_size')).toBe(10);
    expect(value('palisade_db_connections')).toBeGreaterThanOrEqual(1);
    expect(value('palisade_db_connections_busy')).toBeGreaterThanOrEqual(0);
  });

  it('provision a dashboard against the provisioned data source', () => {
    const ds = parse(read('ops/grafana/provisioning/datasources/prometheus.yml')).datasources[0];
    const dash = JSON.parse(read('ops/grafana/dashboards/palisade.json'));
    expect(dash.panels.length).toBeGreaterThanOrEqual(5);
    for (const p of dash.panels) expect(p.datasource.uid).toBe(ds.uid);
    expect(existsSync(join(root, 'ops/grafana/provisioning/dashboards/palisade.yml'))).toBe(true);
  });
});
