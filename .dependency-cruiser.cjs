// The walls between Palisade's packages, checked by `npm run lint:deps` (dependency-cruiser) in .ci/run.
// Layers, bottom up: auth → kit → subgraphs/* and router (side by side, never into each other) → ops → e2e.
// schema/ is build tooling over SDL files and auth's directive names; admin/ is a browser app that speaks only
// GraphQL. Every rule covers tests too: a test that imports across a wall hides a coupling the build would not.
// Workspace imports (`@palisade/kit`) resolve through node_modules symlinks to the real folders, so the rules
// are written on real paths.

const OURS = '^(auth|kit|schema|router|subgraphs|ops|e2e|admin)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'subgraphs-apart',
      comment: 'A subgraph never imports another subgraph, tests included: they meet only over signed HTTP.',
      severity: 'error',
      from: { path: '^subgraphs/([^/]+)/' },
      to: { path: '^subgraphs/([^/]+)/', pathNot: '^subgraphs/$1/' },
    },
    {
      name: 'subgraphs-build-on-auth-and-kit',
      comment: 'A subgraph (and its tests) builds on auth and kit only, never on the router, ops, schema tooling, e2e or the console.',
      severity: 'error',
      from: { path: '^subgraphs/' },
      to: { path: '^(router|ops|e2e|schema|admin)/' },
    },
    {
      name: 'router-apart-from-subgraphs',
      comment: 'The router knows subgraphs only by the composed supergraph SDL and their URLs, never by their code.',
      severity: 'error',
      from: { path: '^router/' },
      to: { path: '^(subgraphs|ops|e2e|admin)/' },
    },
    {
      name: 'auth-imports-nothing-of-ours',
      comment: 'auth/ is the bottom layer: tokens, shield, roles. It imports no other Palisade package.',
      severity: 'error',
      from: { path: '^auth/' },
      to: { path: OURS, pathNot: '^auth/' },
    },
    {
      name: 'kit-builds-on-auth-only',
      comment: 'kit/ is shared plumbing for router and subgraphs; of ours it may import auth and nothing else.',
      severity: 'error',
      from: { path: '^kit/' },
      to: { path: OURS, pathNot: '^(kit|auth)/' },
    },
    {
      name: 'schema-builds-on-auth-only',
      comment: 'schema/ reads subgraph SDL as files; of ours it may import auth (directive and role names) only.',
      severity: 'error',
      from: { path: '^schema/' },
      to: { path: OURS, pathNot: '^(schema|auth)/' },
    },
    {
      name: 'admin-is-a-client',
      comment: 'The console runs in a browser and speaks GraphQL; it imports no server package.',
      severity: 'error',
      from: { path: '^admin/' },
      to: { path: OURS, pathNot: '^admin/' },
    },
    {
      name: 'nothing-imports-e2e',
      comment: 'e2e/ is the top: it may import everything, nothing imports it.',
      severity: 'error',
      from: { pathNot: '^e2e/' },
      to: { path: '^e2e/' },
    },
    {
      name: 'only-e2e-imports-ops',
      comment: 'ops/ assembles the whole system (CLI, one-process start); only e2e may build on it.',
      severity: 'error',
      from: { pathNot: '^(ops|e2e)/' },
      to: { path: '^ops/' },
    },
    {
      name: 'no-unresolvable-workspace-import',
      comment: 'An @palisade/* import that does not resolve would slip past every rule above.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true, path: '^@palisade/' },
    },
    {
      name: 'no-circular',
      comment: 'Import cycles make start-up order and ownership unclear.',
      severity: 'error',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|\\.data|dist)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.json'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
