// The domain layer both the API and the activities use: no rule is written twice.
export * from './operations.ts';
export * from './definition-context.ts';
export * from './instances.ts';
export * from './fingerprint.ts';
export * from './ledger.ts';
export * from './edit-guard.ts';
export * from './source-check.ts';
