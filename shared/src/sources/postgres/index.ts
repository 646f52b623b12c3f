/* The PostgreSQL connector; nothing outside this folder uses postgres.js on a source. */
export { postgresConnector } from './connector.ts';
export { connectPostgresSource } from './pool.ts';
export { familyOfPgType } from './introspect.ts';
export {
  advanceSlot,
  compareLsn,
  dropReplication,
  ensureReplication,
  lsnDiffBytes,
  peekChanges,
  replicationNames,
  replicationProblems,
  ReplicationSlotBusyError,
  slotStatus,
  type CapturedChange,
  type ChangeBatch,
  type ReplicationNames,
  type SlotStatus,
} from './replication.ts';
