import { execFileSync } from 'node:child_process';
import { runSchemaCheck } from '../check.ts';
import { REPO_ROOT, SUPERGRAPH_FILE } from '../subgraphs.ts';
import { schemaCheckSettings } from './settings.ts';

const settings = schemaCheckSettings();

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return null;
  }
}

/** The base branch's supergraph: SCHEMA_BASE_REF, else origin/main, else main — unless that is HEAD itself. */
function baseSupergraph(): { ref: string; sdl: string } | null {
  const candidates = settings.baseRef ? [settings.baseRef] : ['origin/main', 'main'];
  const head = git(['rev-parse', 'HEAD'])?.trim();
  for (const ref of candidates) {
    const commit = git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`])?.trim();
    if (!commit) continue;
    // On the base branch itself, compare with the commit before, so CI on main still catches a break.
    const base = commit === head && !settings.baseRef ? `${commit}^` : commit;
    const sdl = git(['show', `${base}:${SUPERGRAPH_FILE}`]);
    if (sdl) return { ref: base === commit ? ref : `${ref}^`, sdl };
  }
  return null;
}

const base = baseSupergraph();
const allowBreaking = settings.allowBreaking;
const { problems, notes } = await runSchemaCheck({ baseSupergraphSdl: base?.sdl ?? null, allowBreaking });
if (base) console.log(`comparing with ${base.ref}`);
if (allowBreaking) console.warn('SCHEMA_ALLOW_BREAKING=1: breaking changes are reported but accepted');
for (const n of notes) console.log(`note: ${n}`);
for (const p of problems) console.error(p);
console.log(problems.length ? `schema check failed: ${problems.length} problem(s)` : 'schema check passed');
process.exit(problems.length ? 1 : 0);
