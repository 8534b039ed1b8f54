import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ROOT } from './code-facts.ts';

/** A rendered Kubernetes object, as loosely typed as the YAML it came from. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any;
  data?: Record<string, string>;
}

/** What `npm run k8s:check` renders: the base and every overlay. */
export const TARGETS = ['ops/k8s/base', 'ops/k8s/overlays/development', 'ops/k8s/overlays/production'] as const;

export const hasKubectl = (): boolean => spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;

/** `kubectl kustomize <dir>`, parsed; throws with kustomize's own message when it refuses. */
export function render(target: string): K8sObject[] {
  const run = spawnSync('kubectl', ['kustomize', join(ROOT, target)], { encoding: 'utf8', maxBuffer: 16 << 20 });
  if (run.error) throw new Error(`kubectl could not run: ${run.error.message} (apt-get install kubectl)`);
  if (run.status !== 0) throw new Error(`kubectl kustomize ${target} failed: ${run.stderr.trim()}`);
  return parseAllDocuments(run.stdout).map((d) => d.toJSON() as K8sObject).filter(Boolean);
}
