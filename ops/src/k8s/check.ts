import { SERVICE_NAMES } from '@palisade/kit/config/index';
import { codeFacts, type CodeFacts } from './code-facts.ts';
import { render, TARGETS, type K8sObject } from './render.ts';
import { checkRouting } from './routing.ts';
import { checkDeployment } from './workloads.ts';

export { hasKubectl, render, TARGETS } from './render.ts';

/** Every problem of one rendered set of objects. */
export function checkObjects(all: K8sObject[], facts: CodeFacts = codeFacts()): string[] {
  const problems: string[] = [];
  for (const s of SERVICE_NAMES)
    for (const kind of ['Deployment', 'Service'])
      if (!all.some((o) => o.kind === kind && o.metadata.name === s)) problems.push(`no ${kind} ${s}`);
  for (const d of all.filter((o) => o.kind === 'Deployment')) problems.push(...checkDeployment(d, all, facts));
  problems.push(...checkRouting(all, facts));
  return problems;
}

/** Each target's problems (a target kustomize refuses is one problem), and documented secrets nothing uses. */
export function checkTargets(targets: readonly string[] = TARGETS, facts: CodeFacts = codeFacts()): Record<string, string[]> {
  const results: Record<string, string[]> = {};
  const rendered: K8sObject[] = [];
  for (const t of targets) {
    try {
      const all = render(t);
      rendered.push(...all);
      results[t] = checkObjects(all, facts);
    } catch (err) {
      results[t] = [(err as Error).message];
    }
  }
  // A row left behind by a rename would send operators to create a secret nothing reads.
  const used = JSON.stringify(rendered);
  results[SECRETS_TABLE] = [...facts.secrets.keys()].filter((s) => !used.includes(`"${s}"`)).map((s) => `${s} is documented but no rendered object refers to it`);
  return results;
}

export const SECRETS_TABLE = "README.md's secrets table";
