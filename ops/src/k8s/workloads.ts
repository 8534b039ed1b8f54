import { SERVICE_NAMES, type ServiceName } from '@palisade/kit/config/index';
import { serves, type CodeFacts } from './code-facts.ts';
import type { K8sObject } from './render.ts';

type Env = { name: string; value?: string; valueFrom?: { secretKeyRef?: KeyRef; configMapKeyRef?: KeyRef; fieldRef?: unknown } };
type KeyRef = { name: string; key: string };
type Container = { name: string; ports?: { name?: string; containerPort: number }[]; env?: Env[]; envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[]; resources?: any; livenessProbe?: any; readinessProbe?: any; startupProbe?: any; volumeMounts?: { name: string }[] };

/** The ports a service's code listens on, given the environment its container sets. */
export function codePorts(service: ServiceName, env: ReadonlyMap<string, string>, facts: CodeFacts): { main: number; metrics: number } {
  const main = Number(env.get('PORT') ?? facts.ports[service]);
  const metrics = service === 'router' && env.has('METRICS_PORT') ? Number(env.get('METRICS_PORT')) : main;
  return { main, metrics };
}

/** Problems with one Deployment's pods: what they listen on, probe, read and mount, against the code. */
export function checkDeployment(d: K8sObject, all: K8sObject[], facts: CodeFacts): string[] {
  const at = `Deployment ${d.metadata.name}`;
  const pod = d.spec?.template?.spec ?? {};
  const problems: string[] = [];
  const service = d.metadata.name as ServiceName;
  if (!SERVICE_NAMES.includes(service)) return [`${at}: no Palisade service has this name (${SERVICE_NAMES.join(', ')})`];
  if (pod.securityContext?.runAsNonRoot !== true) problems.push(`${at}: pod securityContext.runAsNonRoot is not true`);
  const volumes = new Set<string>();
  for (const v of pod.volumes ?? []) {
    volumes.add(v.name);
    if (v.configMap && !configMap(all, v.configMap.name)) problems.push(`${at}: volume ${v.name} mounts ConfigMap ${v.configMap.name}, which is not rendered`);
    if (v.secret && !facts.secrets.has(v.secret.secretName)) problems.push(`${at}: volume ${v.name} mounts Secret ${v.secret.secretName}, which the README's secrets table does not document`);
    if (v.persistentVolumeClaim && !all.some((o) => o.kind === 'PersistentVolumeClaim' && o.metadata.name === v.persistentVolumeClaim.claimName)) problems.push(`${at}: volume ${v.name} claims ${v.persistentVolumeClaim.claimName}, which is not rendered`);
  }
  const containers = (pod.containers ?? []) as Container[];
  if (!containers.length) problems.push(`${at}: no containers`);
  for (const c of containers) {
    const where = `${at} container ${c.name}`;
    for (const r of ['requests', 'limits']) for (const k of ['cpu', 'memory']) if (!c.resources?.[r]?.[k]) problems.push(`${where}: resources.${r}.${k} is not set`);
    const env = new Map((c.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value!]));
    problems.push(...checkEnv(where, c, all, facts));
    const { main, metrics } = codePorts(service, env, facts);
    if (env.has('PORT') && main !== facts.ports[service]) problems.push(`${where}: PORT ${main} is not ${service}'s port ${facts.ports[service]} (CONTRACT.md)`);
    const declared = (c.ports ?? []).map((p) => p.containerPort).sort();
    const expected = [...new Set([main, metrics])].sort();
    if (declared.join() !== expected.join()) problems.push(`${where}: container ports ${declared.join(', ') || 'none'}, but the code listens on ${expected.join(', ')}`);
    for (const kind of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
      const get = c[kind]?.httpGet;
      if (!get) {
        if (kind !== 'startupProbe') problems.push(`${where}: no ${kind} over HTTP`);
        continue;
      }
      const port = typeof get.port === 'string' ? c.ports?.find((p) => p.name === get.port)?.containerPort : get.port;
      if (port !== main) problems.push(`${where}: ${kind} asks port ${get.port}, not the service's port ${main}`);
      if (!serves(facts.routes[service], get.path)) problems.push(`${where}: ${kind} asks ${get.path}, which ${service} does not serve`);
    }
    const annotations = d.spec?.template?.metadata?.annotations ?? {};
    if (annotations['prometheus.io/scrape'] === 'true') {
      if (Number(annotations['prometheus.io/port']) !== metrics) problems.push(`${at}: Prometheus is told to scrape port ${annotations['prometheus.io/port']}, but /metrics is on ${metrics}`);
      if (!serves(facts.routes[service], annotations['prometheus.io/path'] ?? '/metrics')) problems.push(`${at}: Prometheus is told to scrape ${annotations['prometheus.io/path']}, which ${service} does not serve`);
    }
    for (const m of c.volumeMounts ?? []) if (!volumes.has(m.name)) problems.push(`${where}: mounts volume ${m.name}, which the pod does not declare`);
  }
  return problems;
}

const configMap = (all: K8sObject[], name: string) => all.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name);

/** Every variable a container is given must be a setting the code reads, with a value it accepts, from something that exists. */
function checkEnv(where: string, c: Container, all: K8sObject[], facts: CodeFacts): string[] {
  const problems: string[] = [];
  const known = (name: string, from: string) => facts.settings.has(name) || !problems.push(`${where}: ${name}${from} is not a setting the code reads (kit/src/config)`);
  for (const e of c.env ?? []) {
    if (!known(e.name, '')) continue;
    if (e.value !== undefined) {
      const parsed = facts.settings.get(e.name)!.value.safeParse(e.value);
      if (!parsed.success) problems.push(`${where}: ${e.name}=${e.value} is refused by the configuration: ${parsed.error.issues[0]?.message}`);
    }
    const secret = e.valueFrom?.secretKeyRef;
    if (secret && !facts.secrets.get(secret.name)?.has(secret.key)) problems.push(`${where}: ${e.name} reads Secret ${secret.name} key ${secret.key}, which the README's secrets table does not document`);
    const cm = e.valueFrom?.configMapKeyRef;
    if (cm && configMap(all, cm.name)?.data?.[cm.key] === undefined) problems.push(`${where}: ${e.name} reads ConfigMap ${cm.name} key ${cm.key}, which is not rendered`);
  }
  for (const from of c.envFrom ?? []) {
    if (from.secretRef && !facts.secrets.has(from.secretRef.name)) problems.push(`${where}: envFrom Secret ${from.secretRef.name} is not documented in the README's secrets table`);
    if (from.secretRef) for (const key of facts.secrets.get(from.secretRef.name) ?? []) known(key, ` (from Secret ${from.secretRef.name})`);
    if (!from.configMapRef) continue;
    const cm = configMap(all, from.configMapRef.name);
    if (!cm) problems.push(`${where}: envFrom ConfigMap ${from.configMapRef.name} is not rendered`);
    for (const key of Object.keys(cm?.data ?? {})) known(key, ` (from ConfigMap ${from.configMapRef.name})`);
  }
  return problems;
}
