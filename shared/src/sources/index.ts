import { postgresSourceAdapter } from './postgres.ts';
import type { SourceAdapter, SourceConnectionParams } from './types.ts';

export * from './types.ts';
export {
  connectPostgresSource,
  openSourcePool,
  withSourcePool,
  DEFAULT_CHECK_DEADLINE_MS,
  DEFAULT_INTROSPECTION_DEADLINE_MS,
  type SourcePoolOptions,
} from './postgres.ts';
export { SourceSocketFactory, SourceConnectError, ONE_SHOT_ATTEMPTS, poolAttempts, type AttemptBudget } from './postgres-socket.ts';
export { classifySourceError, sourceErrorDetail, SourceDeadlineError } from './source-errors.ts';
export { introspectPostgres, findTable, familyOfPgType } from './postgres-introspect.ts';
export { snapshotFingerprint } from './fingerprint.ts';
export { uniqueKeysOf } from './unique-keys.ts';
export { EXACT_COUNT_MAX_BYTES, EXACT_COUNT_BUDGET_BYTES, type EstimateOptions } from './postgres-estimates.ts';
export { diffSnapshots, diffTables, type SchemaDiff, type TableDiff, type ColumnChange, type PartitionChange } from './schema-diff.ts';
export { quoteIdent, qualifiedName, InvalidIdentifierError } from './sql-ident.ts';
export { SourceObjectNotFoundError, type RelationRef } from './postgres-query.ts';
export {
  readByWatermark,
  readByKey,
  readByKeys,
  keysPresent,
  maxWatermark,
  rewindWatermark,
  countRows,
  countRowsAfter,
  type ReadByWatermarkParams,
  type WatermarkPage,
  type WatermarkPosition,
  type ReadByKeyParams,
  type ReadByKeysParams,
  type KeyPage,
  type CursorParams,
  type CountParams,
  type KeysPresentParams,
  type CountAfterParams,
} from './postgres-read.ts';

const adapters: Partial<Record<SourceConnectionParams['engine'], SourceAdapter>> = { postgres: postgresSourceAdapter };

export class UnsupportedEngineError extends Error {
  override name = 'UnsupportedEngineError';
}

export function sourceAdapterFor(engine: SourceConnectionParams['engine']): SourceAdapter {
  const adapter = adapters[engine];
  if (!adapter) throw new UnsupportedEngineError(`source engine "${engine}" is not supported yet (supported: ${Object.keys(adapters).join(', ')})`);
  return adapter;
}
