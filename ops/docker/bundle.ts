import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

/**
 * The image's build step: compiles every entry point to JavaScript in <out>/dist (node_modules packages stay
 * external: the runtime stage installs them with `npm ci --omit=dev`), and copies beside it the files the code
 * reads at run time, at the paths they have in the repository.
 *
 * Usage: node --import tsx ops/docker/bundle.ts <out>   (run from the repository root; <out> defaults to out/)
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SUBGRAPHS = ['user', 'product', 'order', 'security'] as const;

/** Bundle name → source file. `dist/<name>.js` is what `node` runs in the image. */
export const ENTRY_POINTS: Record<string, string> = {
  router: 'router/src/main.ts',
  ...Object.fromEntries(SUBGRAPHS.map((s) => [s, `subgraphs/${s}/main.ts`])),
  'start-all': 'ops/src/start-all.ts',
  cli: 'ops/src/cli.ts',
};

/** Files read at run time, found from each source file's own location (see sourceLocations). */
export const RUNTIME_FILES = [
  'auth/data/common-passwords.txt',
  'schema/supergraph.graphql',
  'schema/operations/manifest.json',
  'admin/dist',
  ...SUBGRAPHS.flatMap((s) => [`subgraphs/${s}/schema.graphql`, `subgraphs/${s}/db/migrations`]),
];

/**
 * Our sources find their data files relative to themselves (`new URL('../data/x', import.meta.url)`). In a
 * bundle every module shares one import.meta.url, so each of our files gets its original location instead,
 * computed from the bundle's: dist/ sits at the root of the runtime tree, as the repository root does.
 */
const sourceLocations: Plugin = {
  name: 'source-locations',
  setup(b) {
    b.onLoad({ filter: /\.tsx?$/ }, (args) => {
      if (args.path.includes('/node_modules/')) return undefined;
      const fromRoot = relative(ROOT, args.path).split('\\').join('/');
      const here = `new URL(${JSON.stringify(`../${fromRoot}`)}, import.meta.url).href`;
      const contents = readFileSync(args.path, 'utf8').replaceAll('import.meta.url', here);
      return { contents, loader: args.path.endsWith('x') ? 'tsx' : 'ts' };
    });
  },
};

/** Third-party packages stay imports (installed in the image); our workspaces (@palisade/*) are compiled in. */
const externalPackages: Plugin = {
  name: 'external-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@palisade/') ? undefined : { path: args.path, external: true }));
  },
};

export async function bundle(out: string): Promise<void> {
  rmSync(out, { recursive: true, force: true });
  await build({
    absWorkingDir: ROOT,
    entryPoints: Object.fromEntries(Object.entries(ENTRY_POINTS).map(([name, src]) => [name, join(ROOT, src)])),
    outdir: join(out, 'dist'),
    bundle: true,
    splitting: true, // the services share kit and auth: one copy in chunks instead of one per entry point
    chunkNames: 'chunk-[hash]', // beside the entry points: every bundle file reaches the root with one '../'
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'linked', // stack traces in logs name our files, not bundle lines
    legalComments: 'none',
    logLevel: 'warning',
    plugins: [externalPackages, sourceLocations],
  });
  for (const f of RUNTIME_FILES) {
    mkdirSync(dirname(join(out, f)), { recursive: true });
    cpSync(join(ROOT, f), join(out, f), { recursive: true });
  }
  writeFileSync(join(out, 'dist', 'package.json'), '{ "type": "module" }\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await bundle(process.argv[2] ?? join(ROOT, 'out'));
