export * from './services.ts';
export * from './setting.ts';
export * from './values.ts';
export * from './load.ts';
export { PERSISTED_MODES } from './router.ts';
export { MODES, LOG_LEVELS } from './common.ts';
