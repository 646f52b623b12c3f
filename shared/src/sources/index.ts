export * from './types.ts';
export * from './reads.ts';
export * from './writes.ts';
export type { ChangeCapture, IdentifierRules, RelationName, SessionOptions, SourceConnector, SourceSession } from './connector.ts';
export { SOURCE_CONNECTORS, sourceConnectorFor } from './connectors.ts';
export { checkSourceConnection, introspectOnce, withSourceSession, DEFAULT_CHECK_DEADLINE_MS, DEFAULT_INTROSPECTION_DEADLINE_MS } from './call.ts';
export {
  SourceDeadlineError,
  SourceObjectNotFoundError,
  SourceNotWritableError,
  InvalidIdentifierError,
  UnsupportedEngineError,
  sourceErrorDetail,
  type ClassifiedSourceError,
} from './errors.ts';
export { SourceSocketFactory, SourceConnectError, ONE_SHOT_ATTEMPTS, poolAttempts, type AttemptBudget } from './socket.ts';
export { MAX_IDENTIFIER_LENGTH, identifierProblem } from './identifiers.ts';
export { canonicalValueText, sourceRowHash } from './row-text.ts';
export { writeText, arrayElementTexts, type WriteColumn, type WriteText } from './write-values.ts';
export { tableNotes, cursorIndexed, readOnlyReason, type TableNote, type TableNoteCode } from './capabilities.ts';
export { findTable } from './find-table.ts';
export { snapshotFingerprint } from './fingerprint.ts';
export { uniqueKeysOf } from './unique-keys.ts';
export { diffSnapshots, diffTables, type SchemaDiff, type TableDiff, type ColumnChange, type PartitionChange } from './schema-diff.ts';
export { connectPostgresSource } from './postgres/index.ts';
export {
  replicationNames,
  compareLsn,
  lsnDiffBytes,
  ReplicationSlotBusyError,
  type ReplicationNames,
  type SlotStatus,
  type ChangeBatch,
  type CapturedChange,
} from './postgres/replication.ts';
export { newKeySourceOf, type NewKeySource } from './new-keys.ts';
