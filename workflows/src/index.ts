// The barrel the worker registers: every workflow function SyncBridge runs.
export * from './health/workflow.ts';
export * from './definition/workflow.ts';
export * from './definition/scheduled.ts';
export * from './provision/workflow.ts';
export * from './push/workflow.ts';
export * from './ingress/workflow.ts';
export * from './drift/workflow.ts';
export * from './ledger/workflow.ts';
export * from './drift/repair.ts';
export * from './operations/plan-decision.ts';
export * from './reshard/workflow.ts';
export * from './rebind/workflow.ts';
export * from './capture/workflow.ts';
