import { postgresSourceAdapter } from './postgres.ts';
import type { SourceAdapter, SourceConnectionParams } from './types.ts';

export * from './types.ts';
export { connectPostgresSource } from './postgres.ts';

const adapters: Partial<Record<SourceConnectionParams['engine'], SourceAdapter>> = { postgres: postgresSourceAdapter };

export class UnsupportedEngineError extends Error {
  override name = 'UnsupportedEngineError';
}

export function sourceAdapterFor(engine: SourceConnectionParams['engine']): SourceAdapter {
  const adapter = adapters[engine];
  if (!adapter) throw new UnsupportedEngineError(`source engine "${engine}" is not supported yet (supported: ${Object.keys(adapters).join(', ')})`);
  return adapter;
}
