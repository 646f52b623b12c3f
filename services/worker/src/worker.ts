import { WORKFLOWS_PATH } from './bundle.ts';
import { OpenTelemetryPlugin } from '@temporalio/interceptors-opentelemetry';
import type { NativeConnection } from '@temporalio/worker';
import { Worker, type ActivityExecuteInput, type ActivityInboundCallsInterceptor, type Next, type WorkerOptions } from '@temporalio/worker';
import { BudgetClaims, createActivities, HEARTBEAT_EVERY_MS, type ActivityDeps } from '@syncbridge/activities';
import { withBudgetClaim } from '@syncbridge/shared/graph';
import type { Telemetry } from '@syncbridge/shared/telemetry';

export { WORKFLOWS_PATH } from './bundle.ts';

export interface SyncBridgeWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  telemetry?: Telemetry;
  /** A prebuilt bundle (the worker's start-up builds one in a child process; tests one per suite); otherwise the barrel is bundled here. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  maxConcurrentActivityTaskExecutions?: number;
  shutdownGraceTime?: WorkerOptions['shutdownGraceTime'];
  identity?: string;
}

/** Runs each activity inside its run's claim on the tenant's shared RU budget (activities/src/budget-claim.ts). */
class BudgetClaimInterceptor implements ActivityInboundCallsInterceptor {
  constructor(private readonly claims: BudgetClaims) {}

  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    // A claim that cannot be read (meta-store hiccup) leaves the request unclaimed: served as interactive, never lost.
    const claim = await this.claims.claimFor(input.args as unknown[]).catch(() => undefined);
    return claim ? withBudgetClaim(claim, () => next(input)) : next(input);
  }
}

export async function createSyncBridgeWorker(opts: SyncBridgeWorkerOptions): Promise<Worker> {
  const claims = new BudgetClaims(opts.deps.store);
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    activities: createActivities(opts.deps),
    interceptors: { activity: [() => ({ inbound: new BudgetClaimInterceptor(claims) })] },
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    ...(opts.telemetry ? { plugins: [new OpenTelemetryPlugin({ resource: opts.telemetry.resource, spanProcessor: opts.telemetry.spanProcessor })] } : {}),
    maxConcurrentActivityTaskExecutions: opts.maxConcurrentActivityTaskExecutions ?? 20,
    // A cancelled run learns it from a heartbeat's answer: send them as often as activities beat.
    maxHeartbeatThrottleInterval: HEARTBEAT_EVERY_MS,
    // After a worker dies, its cached workflows move to another worker this fast (Temporal's default is 10 s):
    // a coordinator must answer "run now" promptly.
    stickyQueueScheduleToStartTimeout: '3 seconds',
    shutdownGraceTime: opts.shutdownGraceTime ?? '30 seconds',
    ...(opts.identity ? { identity: opts.identity } : {}),
  });
}
