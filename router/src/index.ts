export { startRouter, type RouterOptions, type RunningRouter } from './router.ts';
export { loadSupergraph, SUPERGRAPH_PATH } from './supergraph.ts';
