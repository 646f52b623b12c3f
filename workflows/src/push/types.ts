import type { RunContext } from '@syncbridge/shared/temporal';

export type PushCounts = {
  read: number;
  created: number;
  updated: number;
  moved: number;
  deleted: number;
  unchanged: number;
  quarantined: number;
};

export const emptyCounts = (): PushCounts => ({ read: 0, created: 0, updated: 0, moved: 0, deleted: 0, unchanged: 0, quarantined: 0 });

export function addCounts(a: PushCounts, b: Partial<PushCounts>): PushCounts {
  const out = { ...a };
  for (const k of Object.keys(out) as Array<keyof PushCounts>) out[k] += b[k] ?? 0;
  return out;
}

/** upsert: changed rows (by watermark, or every row in a full pass); sweep: ledger keys gone from the source. */
export type PushPhase = 'upsert' | 'sweep' | 'done';
export type PushPass = 'watermark' | 'full';

/** State carried across continue-as-new: ids and positions only, never rows. */
export interface PushCarry {
  runRowId: string;
  pass: PushPass;
  phase: PushPhase;
  /** Full pass: last source key (encoded) done. Watermark pass keeps its position in the meta-store. */
  fullAfterKey: string | null;
  sweepAfterKey: string | null;
  counts: PushCounts;
  batches: number;
}

export interface PushSyncInput {
  definitionId: string;
  context: RunContext;
  trigger: 'api' | 'schedule';
  /** Re-read every row and compare hashes, not only rows past the watermark. */
  fullResync?: boolean;
  carry?: PushCarry;
}

export interface PushProgress {
  definitionId: string;
  pass: PushPass | null;
  phase: PushPhase | 'starting';
  batches: number;
  counts: PushCounts;
}

export interface PushSyncResult {
  runRowId: string;
  status: 'succeeded' | 'skipped';
  pass: PushPass | null;
  counts: PushCounts;
  reason?: string;
}
