export * as schema from './schema/index.ts';
export * from './client.ts';
export * from './migrations.ts';
export * from './pagination.ts';
