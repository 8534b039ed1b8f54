import type { ServiceName } from '@palisade/kit/config/index';
import { serves, type CodeFacts } from './code-facts.ts';
import type { K8sObject } from './render.ts';
import { codePorts } from './workloads.ts';

type Port = { name?: string; port: number; targetPort?: number | string };

const matches = (selector: Record<string, string> = {}, labels: Record<string, string> = {}) =>
  Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);

/** The Deployments whose pods a selector picks. */
const selected = (all: K8sObject[], selector?: Record<string, string>) =>
  all.filter((o) => o.kind === 'Deployment' && matches(selector, o.spec?.template?.metadata?.labels));

/** The container port a Service port (or a NetworkPolicy port) reaches in a Deployment, if any. */
function containerPort(d: K8sObject, target: number | string): number | undefined {
  const ports = (d.spec.template.spec.containers as { ports?: { name?: string; containerPort: number }[] }[]).flatMap((c) => c.ports ?? []);
  return ports.find((p) => (typeof target === 'string' ? p.name === target : p.containerPort === target))?.containerPort;
}

/** Problems with what connects pods to each other and to the world: Services, the Ingress, policies, scaling, keys. */
export function checkRouting(all: K8sObject[], facts: CodeFacts): string[] {
  const problems: string[] = [];
  const env = (d: K8sObject) => new Map<string, string>(d.spec.template.spec.containers[0].env?.filter((e: { value?: string }) => e.value !== undefined).map((e: { name: string; value: string }) => [e.name, e.value]));
  for (const o of all) {
    const at = `${o.kind} ${o.metadata.name}`;
    switch (o.kind) {
      case 'Service': {
        const pods = selected(all, o.spec?.selector);
        if (!pods.length) problems.push(`${at}: its selector picks no rendered Deployment`);
        for (const d of pods)
          for (const p of o.spec.ports as Port[]) {
            const reached = containerPort(d, p.targetPort ?? p.port);
            if (reached !== codePorts(d.metadata.name as ServiceName, env(d), facts).main) problems.push(`${at}: port ${p.port} reaches ${reached ?? 'nothing'} in ${d.metadata.name}, not the port its code serves`);
          }
        break;
      }
      case 'Ingress': {
        for (const tls of o.spec?.tls ?? []) if (!facts.secrets.has(tls.secretName)) problems.push(`${at}: TLS secret ${tls.secretName} is not documented in the README's secrets table`);
        const tlsHosts = new Set((o.spec?.tls ?? []).flatMap((t: { hosts?: string[] }) => t.hosts ?? []));
        for (const rule of o.spec?.rules ?? []) {
          if (!tlsHosts.has(rule.host)) problems.push(`${at}: host ${rule.host} has no TLS`);
          for (const path of rule.http?.paths ?? []) {
            const backend = path.backend?.service;
            const svc = all.find((s) => s.kind === 'Service' && s.metadata.name === backend?.name);
            const port = (svc?.spec.ports as Port[] | undefined)?.find((p) => (backend?.port?.name ? p.name === backend.port.name : p.port === backend?.port?.number));
            if (!svc || !port) {
              problems.push(`${at}: ${path.path} goes to ${backend?.name}:${backend?.port?.name ?? backend?.port?.number}, which is not a rendered Service port`);
              continue;
            }
            for (const d of selected(all, svc.spec.selector))
              if (!serves(facts.routes[d.metadata.name as ServiceName] ?? new Set(), path.path, path.pathType === 'Prefix')) problems.push(`${at}: ${d.metadata.name} serves nothing at ${path.path}`);
          }
        }
        break;
      }
      case 'NetworkPolicy': {
        const pods = selected(all, o.spec?.podSelector?.matchLabels);
        if (!pods.length) problems.push(`${at}: applies to no rendered Deployment`);
        for (const rule of o.spec?.ingress ?? [])
          for (const p of rule.ports ?? []) for (const d of pods) if (containerPort(d, p.port) === undefined) problems.push(`${at}: opens port ${p.port}, on which ${d.metadata.name} listens to nothing`);
        break;
      }
      case 'HorizontalPodAutoscaler':
        if (!all.some((d) => d.kind === o.spec?.scaleTargetRef?.kind && d.metadata.name === o.spec?.scaleTargetRef?.name)) problems.push(`${at}: scales ${o.spec?.scaleTargetRef?.name}, which is not rendered`);
        break;
      case 'PodDisruptionBudget':
        if (!selected(all, o.spec?.selector?.matchLabels).length) problems.push(`${at}: guards no rendered Deployment`);
        break;
      case 'ConfigMap':
        for (const [key, value] of Object.entries(o.data ?? {})) {
          const setting = facts.settings.get(key);
          if (!setting || value === '') continue;
          const parsed = setting.value.safeParse(value);
          if (!parsed.success) problems.push(`${at}: ${key} is refused by the configuration: ${parsed.error.issues[0]?.message}`);
          else if (key.startsWith('PALISADE_PUBKEY_') && 'd' in (parsed.data as object)) problems.push(`${at}: ${key} holds a PRIVATE key (it has "d"); put only the public JWK here`);
        }
        break;
    }
  }
  return problems;
}
