export * from './subgraphs.ts';
export * from './compose.ts';
export * from './annotations.ts';
export * from './breaking.ts';
export * from './check.ts';
export * from './operations.ts';
export * from './input-permissions.ts';
