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

/**
 * upsert: changed rows (by watermark, or every row in a full pass); scan: ledger keys looked up
 * at the source, gone ones marked; guard: the mass-delete check (and a person's decision when it
 * holds); delete: marked items removed. 'sweep' is the single delete phase of runs started
 * before the guard existed. ingress (two-way definitions, 0.3 on): the lists' edits read back
 * into the table first, so one run is one cycle.
 */
export type PushPhase = 'ingress' | 'upsert' | 'sweep' | 'scan' | 'guard' | 'delete' | 'done';
export type PushPass = 'watermark' | 'full' | 'logical';

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
  /** The ingress half of a two-way run: the lists to read back, the one being read, and its counts. */
  ingress?: { targets: string[]; at: number; counts: Record<string, number> };
}

export interface PushSyncInput {
  definitionId: string;
  /** Set by the definition's coordinator, which created the run. Without it the workflow asks the coordinator to start the run, and ends. */
  runId?: string;
  context: RunContext;
  trigger: 'api' | 'schedule' | 'change';
  /** Re-read every row and compare hashes, not only rows past the watermark. */
  fullResync?: boolean;
  carry?: PushCarry;
}

export interface PushProgress {
  definitionId: string;
  pass: PushPass | null;
  phase: PushPhase | 'starting' | 'awaiting-approval';
  batches: number;
  counts: PushCounts;
  /** Two-way runs: what the ingress half did (created, updated, deleted, conflicts ... in the table). */
  ingressCounts?: Record<string, number>;
  /** Set while the run waits for a person (the mass-delete guard). */
  waitingFor?: string;
}

export interface PushSyncResult {
  runRowId: string;
  /** forwarded: started outside the coordinator; the coordinator runs it as `runRowId`. */
  status: 'succeeded' | 'skipped' | 'forwarded';
  pass: PushPass | null;
  counts: PushCounts;
  reason?: string;
}

/** A person's answer to a run the mass-delete guard holds. */
export interface DeleteDecision {
  decision: 'approve' | 'reject';
  /** Who decided (the API key id). */
  by: string;
}
