import type { ActivityDeps } from './deps.ts';
import { typedFailures } from './failures.ts';
import { createDriftActivities } from './drift/activities.ts';
import { createHealthActivities } from './health/activities.ts';
import { createIngressActivities } from './ingress/activities.ts';
import { createLedgerActivities } from './ledger/activities.ts';
import { createOperationActivities } from './operations/activities.ts';
import { createCaptureActivities } from './capture/activities.ts';
import { createProvisionActivities } from './provision/activities.ts';
import { createPushActivities } from './push/activities.ts';
import { createReshardActivities } from './reshard/activities.ts';
import { createRebindActivities } from './rebind/activities.ts';
import { createRunActivities } from './sync/runs.ts';

export type { ActivityDeps, BaseActivityDeps, Coordinators } from './deps.ts';
export { createActivityDeps, HEARTBEAT_EVERY_MS } from './deps.ts';
export { BudgetClaims, priorityOf, BULK_ROWS } from './budget-claim.ts';
export type { DriftActivities, DriftCheckResult } from './drift/activities.ts';
export type { HealthActivities, HealthProbeResult } from './health/activities.ts';
export type { IngressActivities, IngressPageResult } from './ingress/activities.ts';
export type { LedgerActivities, LedgerRebuildResult } from './ledger/activities.ts';
export type { ActiveOperation, OperationActivities } from './operations/activities.ts';
export type { ProvisionActivities, ProvisionedTarget } from './provision/activities.ts';
export type { PushActivities } from './push/activities.ts';
export type { ReshardActivities } from './reshard/activities.ts';
export type { RebindActivities, RebindCheck, RebindOptions } from './rebind/activities.ts';
export type { CaptureActivities, SourceChangesSeen } from './capture/activities.ts';

/** The barrel the worker registers: every activity, built from its dependencies. */
export function createActivities(deps: ActivityDeps) {
  return typedFailures({
    ...createHealthActivities(deps),
    ...createRunActivities(deps),
    ...createOperationActivities(deps),
    ...createProvisionActivities(deps),
    ...createPushActivities(deps),
    ...createIngressActivities(deps),
    ...createDriftActivities(deps),
    ...createLedgerActivities(deps),
    ...createReshardActivities(deps),
    ...createRebindActivities(deps),
    ...createCaptureActivities(deps),
  });
}

export type Activities = ReturnType<typeof createActivities>;
