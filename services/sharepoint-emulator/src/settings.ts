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
}

export const DEFAULT_RU_PER_MINUTE = 1250;
export const DEFAULT_DELTA_TOKEN_TTL_MS = 7 * 24 * 60 * 60 * 1000;
/** Entra ID app-only tokens live for roughly an hour. */
export const DEFAULT_TOKEN_LIFETIME_SECONDS = 3599;

export const settingsPatchSchema = z
  .object({
    ruPerMinute: z.number().min(0).nullable(),
    throttleWindowMs: z.number().int().min(100).max(3_600_000),
    deltaTokenTtlMs: z.number().int().min(0),
    tokenLifetimeSeconds: z.number().int().min(1).max(86_400),
  })
  .partial()
  .strict();

export function applySettingsPatch(settings: Settings, patch: z.infer<typeof settingsPatchSchema>): void {
  if (patch.ruPerMinute !== undefined) settings.ruPerMinute = patch.ruPerMinute ?? Infinity;
  if (patch.throttleWindowMs !== undefined) settings.throttleWindowMs = patch.throttleWindowMs;
  if (patch.deltaTokenTtlMs !== undefined) settings.deltaTokenTtlMs = patch.deltaTokenTtlMs;
  if (patch.tokenLifetimeSeconds !== undefined) settings.tokenLifetimeSeconds = patch.tokenLifetimeSeconds;
}

export function renderSettings(settings: Settings): Record<string, unknown> {
  return {
    ruPerMinute: Number.isFinite(settings.ruPerMinute) ? settings.ruPerMinute : null,
    throttleWindowMs: settings.throttleWindowMs,
    deltaTokenTtlMs: settings.deltaTokenTtlMs,
    tokenLifetimeSeconds: settings.tokenLifetimeSeconds,
  };
}
