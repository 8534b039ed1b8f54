/**
 * `npm run k8s:check`: renders ops/k8s/base and each overlay with `kubectl kustomize` and checks every object
 * against the code: ports, probe and Ingress paths, settings and their values, and that every ConfigMap, Secret
 * and volume referred to is rendered or documented. Prints each problem; exits 1 if there is any.
 */
import { checkTargets } from './k8s/check.ts';

let failed = 0;
for (const [target, problems] of Object.entries(checkTargets())) {
  console.log(`${problems.length ? '✗' : '✓'} ${target}${problems.length ? `: ${problems.length} problem(s)` : ''}`);
  for (const p of problems) console.log(`  - ${p}`);
  failed += problems.length;
}
process.exitCode = failed ? 1 : 0;
