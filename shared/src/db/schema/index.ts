export * from './sources.ts';
export * from './sync.ts';
export * from './ledger.ts';
export * from './runs.ts';
export * from './auth.ts';
export * from './budget.ts';
