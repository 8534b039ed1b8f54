export * from './schema.ts';
export * from './stream.ts';
export * from './outbox.ts';
export * from './consumer.ts';
