// The configuration lives in ./config/ (settings, loading, production rules); this keeps `./config.ts` imports working.
export * from './config/index.ts';
