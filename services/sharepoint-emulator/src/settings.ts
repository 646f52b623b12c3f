import { z } from 'zod';

/** Runtime-adjustable knobs; `PUT /_emulator/settings` changes them without a restart. */
export interface Settings {
  /** SharePoint resource units per app per tenant per window; 0 or Infinity disables throttling. */
  ruPerMinute: number;
  /** Length of the throttling window; a minute in SharePoint Online, shorter only to speed up tests. */
  throttleWindowMs: number;
  deltaTokenTtlMs: number;
  tokenLifetimeSeconds: number;
  /** Origins that serve Graph, accepted as a token resource (`<origin>/.default`). Set after listen. */
  graphOrigins: string[];
  /**
   * Strict mode: Graph's "may fail" behaviours fail every time. Today that is the list view
   * threshold: with `Prefer: HonorNonIndexedQueriesWarningMayFailRandomly`, a `$filter` on a
   * column without an index is answered only while the list holds at most `listViewThreshold`
   * items; past it the query fails, as SharePoint warns it will. Off by default.
   */
  strict: boolean;
  /** SharePoint Online's list view threshold (5,000 items); lower only to speed up tests. */
  listViewThreshold: number;
}

export const DEFAULT_RU_PER_MINUTE = 1250;
export const DEFAULT_DELTA_TOKEN_TTL_MS = 7 * 24 * 60 * 60 * 1000;
/** Entra ID app-only tokens live for roughly an hour. */
export const DEFAULT_TOKEN_LIFETIME_SECONDS = 3599;
export const DEFAULT_LIST_VIEW_THRESHOLD = 5000;

export const settingsPatchSchema = z
  .object({
    ruPerMinute: z.number().min(0).nullable(),
    throttleWindowMs: z.number().int().min(100).max(3_600_000),
    deltaTokenTtlMs: z.number().int().min(0),
    tokenLifetimeSeconds: z.number().int().min(1).max(86_400),
    strict: z.boolean(),
    listViewThreshold: z.number().int().min(1),
  })
  .partial()
  .strict();

export function applySettingsPatch(settings: Settings, patch: z.infer<typeof settingsPatchSchema>): void {
  if (patch.ruPerMinute !== undefined) settings.ruPerMinute = patch.ruPerMinute ?? Infinity;
  if (patch.throttleWindowMs !== undefined) settings.throttleWindowMs = patch.throttleWindowMs;
  if (patch.deltaTokenTtlMs !== undefined) settings.deltaTokenTtlMs = patch.deltaTokenTtlMs;
  if (patch.tokenLifetimeSeconds !== undefined) settings.tokenLifetimeSeconds = patch.tokenLifetimeSeconds;
  if (patch.strict !== undefined) settings.strict = patch.strict;
  if (patch.listViewThreshold !== undefined) settings.listViewThreshold = patch.listViewThreshold;
}

export function renderSettings(settings: Settings): Record<string, unknown> {
  return {
    ruPerMinute: Number.isFinite(settings.ruPerMinute) ? settings.ruPerMinute : null,
    throttleWindowMs: settings.throttleWindowMs,
    deltaTokenTtlMs: settings.deltaTokenTtlMs,
    tokenLifetimeSeconds: settings.tokenLifetimeSeconds,
    strict: settings.strict,
    listViewThreshold: settings.listViewThreshold,
  };
}
