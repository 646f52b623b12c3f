import type { ActivityDeps } from './deps.ts';
import { createHealthActivities } from './health/activities.ts';

export type { ActivityDeps } from './deps.ts';
export type { HealthActivities, HealthProbeResult } from './health/activities.ts';

/** The barrel the worker registers: every activity, built from its dependencies. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createHealthActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
