import type { ActivityDeps } from './deps.ts';
import { createHealthActivities } from './health/activities.ts';
import { createProvisionActivities } from './provision/activities.ts';
import { createPushActivities } from './push/activities.ts';
import { createRunActivities } from './sync/runs.ts';

export type { ActivityDeps } from './deps.ts';
export { HEARTBEAT_EVERY_MS } from './deps.ts';
export type { HealthActivities, HealthProbeResult } from './health/activities.ts';
export type { ProvisionActivities, ProvisionedTarget } from './provision/activities.ts';
export type { PushActivities } from './push/activities.ts';
export { closeSourcePools } from './sync/sources.ts';

/** The barrel the worker registers: every activity, built from its dependencies. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createHealthActivities(deps),
    ...createRunActivities(deps),
    ...createProvisionActivities(deps),
    ...createPushActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
