import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { childEnvironment } from '@palisade/kit/config/load';
import { commandOf, expand, parseAssignments, parseCopy, type Stage } from './dry-build-dockerfile.ts';

/** What a stage left behind: its filesystem (under `root`) and the settings a container of it starts with. */
export interface BuiltStage {
  name: string;
  root: string;
  workdir: string;
  env: Record<string, string>;
  user: string | null;
  cmd: string[] | null;
  healthcheck: string[] | null;
}

export interface RunOptions {
  context: string;
  scratch: string;
  globalArgs: Record<string, string>;
  buildArgs?: Record<string, string>;
  log: (line: string) => void;
}

// Package-manager lines install into the base image's system, which the dry build does not have.
const SYSTEM_PACKAGES = /\b(apt-get|apt|apk|yum|dnf)\s/;

/** The environment a RUN step sees: this machine's (PATH, HOME, npm's cache) plus the stage's ARG and ENV. */
function runEnvironment(vars: Record<string, string>): NodeJS.ProcessEnv {
  const env = childEnvironment(vars);
  // `npm run image:dry-build` exports npm_* settings of its own; the image's npm would not see them.
  for (const k of Object.keys(env)) if (k.startsWith('npm_') && !(k in vars)) delete env[k];
  if (!('NODE_ENV' in vars)) delete env.NODE_ENV;
  env.npm_config_prefer_offline = 'true'; // the image's build has its own cache mount; ours is this machine's
  return env;
}

function run(command: string[], cwd: string, env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0]!, command.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (d: Buffer) => void (output = (output + d.toString()).slice(-20_000));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) return resolve();
      log(output.trimEnd());
      reject(new Error(`exited with ${code}`));
    });
  });
}

/** `RUN --mount=… --network=… cmd` → the command; BuildKit's flags change caching, not what runs. */
const withoutRunFlags = (args: string) => args.replace(/^(--\S+\s+)*/, '');

function copyInto(sources: string[], destination: string, toDirectory: boolean): void {
  for (const source of sources) {
    if (!existsSync(source)) throw new Error(`COPY source ${source} does not exist`);
    if (statSync(source).isDirectory()) cpSync(source, destination, { recursive: true, verbatimSymlinks: true });
    else {
      const target = toDirectory ? join(destination, basename(source)) : destination;
      mkdirSync(toDirectory ? destination : join(target, '..'), { recursive: true });
      cpSync(source, target);
    }
  }
}

/**
 * Runs each stage's instructions with `<scratch>/<stage>/` standing for the stage's `/`. The base image
 * itself is not fetched: this machine's node and npm stand in for it (ops/src/dry-build.ts checks the
 * versions agree).
 */
export async function runStages(stages: Stage[], o: RunOptions): Promise<Record<string, BuiltStage>> {
  const built: Record<string, BuiltStage> = {};
  for (const stage of stages) {
    const root = join(o.scratch, stage.name);
    mkdirSync(root, { recursive: true });
    const vars: Record<string, string> = { ...o.globalArgs };
    const s: BuiltStage = { name: stage.name, root, workdir: '/', env: {}, user: null, cmd: null, healthcheck: null };
    const all = () => ({ ...vars, ...s.env });
    o.log(`-- stage ${stage.name} (FROM ${expand(stage.base, vars)})`);
    for (const i of stage.instructions) {
      const where = `line ${i.line}: ${i.keyword}`;
      switch (i.keyword) {
        case 'WORKDIR':
          s.workdir = join(s.workdir, expand(i.args, all()));
          mkdirSync(join(root, s.workdir), { recursive: true });
          break;
        case 'ENV':
          Object.assign(s.env, parseAssignments(expand(i.args, all())));
          break;
        case 'ARG':
          for (const [k, v] of Object.entries(parseAssignments(i.args))) vars[k] = o.buildArgs?.[k] ?? (v || o.globalArgs[k] || '');
          break;
        case 'COPY':
        case 'ADD': {
          const c = parseCopy(expand(i.args, all()));
          if (c.flags.chown || c.flags.chmod) o.log(`   ${where}: --chown/--chmod not applied (files belong to whoever runs the dry build)`);
          const from = c.from === null ? o.context : built[c.from]?.root;
          if (!from) throw new Error(`${where}: no stage named ${c.from}`);
          const sources = c.sources.map((p) => join(from, p)); // another stage's paths are from its `/`
          const dest = join(root, c.dest.startsWith('/') ? c.dest : join(s.workdir, c.dest));
          copyInto(sources, dest, c.dest.endsWith('/') || c.sources.length > 1);
          break;
        }
        case 'RUN': {
          const text = withoutRunFlags(i.args);
          if (SYSTEM_PACKAGES.test(text)) {
            o.log(`   ${where}: skipped (system packages come with the base image): ${text.slice(0, 80)}`);
            break;
          }
          if (/(^|[\s=])\/(app|usr|opt|srv)\b/.test(text)) throw new Error(`${where}: uses an absolute path the dry build cannot relocate: ${text}`);
          const started = Date.now();
          o.log(`   ${where} ${text.replace(/\s+/g, ' ').slice(0, 110)}`);
          await run(commandOf(text), join(root, s.workdir), runEnvironment(all()), o.log).catch((e: Error) => {
            throw new Error(`${where} failed (${e.message})`);
          });
          o.log(`      ${((Date.now() - started) / 1000).toFixed(1)} s`);
          break;
        }
        case 'USER':
          s.user = i.args;
          break;
        case 'CMD':
          s.cmd = commandOf(i.args);
          break;
        case 'HEALTHCHECK': {
          const m = /\bCMD\s+(.*)$/.exec(i.args);
          s.healthcheck = m ? commandOf(m[1]!) : null;
          break;
        }
        case 'EXPOSE':
        case 'LABEL':
          break;
        default:
          o.log(`   ${where}: not interpreted by the dry build`);
      }
    }
    built[stage.name] = s;
  }
  return built;
}
