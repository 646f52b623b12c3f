import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type postgres from 'postgres';
import type { Logger } from '../observability/logger.ts';
import type { BudgetSnapshot } from './budget.ts';
import type { RateLimitInfo } from './throttle.ts';
import { sleep } from './throttle.ts';

/**
 * The RU budget of an app in a tenant, shared by every process through the meta-store.
 *
 * Microsoft enforces one budget per app per tenant, so any number of workers and API processes
 * must together stay inside it. Options weighed: Temporal's task-queue activity rate limit counts
 * activities per second, not RU (a batch of 20 creates and a one-item read are both "one"), and
 * cannot tell an interactive read from a bulk load; a token bucket in Redis would add a service
 * the product does not otherwise need. The meta-store is already what every worker and the API
 * depend on, it has one clock for everyone (`clock_timestamp()`, no skew between hosts), and a
 * row lock per budget makes the decision atomic. One round trip per request (the SQL function
 * `syncbridge_budget_acquire`, migration 0009) is cheap against the Graph request it guards.
 *
 * The function is also the scheduler: requests carry a claim (who asks, at what priority), and
 * the waiting request served next is the highest priority one (interactive, incremental, bulk),
 * bulk first while it has had less than the connection's bulk share of the window, and between
 * definitions of one priority the one that spent least per unit of weight. A 429's Retry-After
 * pauses the budget for every process; RateLimit-Remaining lower than our own count is booked as
 * someone else's spend until the service's window resets.
 */

export type BudgetPriority = 'interactive' | 'incremental' | 'bulk';
export const PRIORITY_CODE: Record<BudgetPriority, number> = { interactive: 0, incremental: 1, bulk: 2 };
export const PRIORITY_NAME: Record<number, BudgetPriority> = { 0: 'interactive', 1: 'incremental', 2: 'bulk' };

/** Who a Graph request is for: set around an activity's work, read by the transport. */
export interface BudgetClaim {
  priority: BudgetPriority;
  definitionId?: string | null;
  runId?: string | null;
  /** The definition's weight against others of the same priority (default 1). */
  weight?: number;
}

const claims = new AsyncLocalStorage<BudgetClaim>();

/** Runs `fn` with every Graph request it makes charged to `claim`. */
export function withBudgetClaim<T>(claim: BudgetClaim, fn: () => T): T {
  return claims.run(claim, fn);
}

/** The claim of the current async context; requests outside any claim (the API's own calls) are interactive. */
export function currentBudgetClaim(): BudgetClaim | undefined {
  return claims.getStore();
}

/** What the transport needs of a budget, whether it is this process's own or the shared one. */
export interface RuBudget {
  readonly key: string;
  readonly ruPerMinute: number;
  spentTotal: number;
  acquire(cost: number, signal?: AbortSignal): Promise<void>;
  pause(ms: number): void;
  observe(info: RateLimitInfo | undefined): void;
  snapshot(): BudgetSnapshot;
}

export interface BudgetLimits {
  ruPerMinute: number;
  /** Null or absent: no daily cap. */
  ruPerDay?: number | null;
  /** Share of the window bulk work keeps while others wait (0..1], default 0.5. */
  bulkShare?: number;
  windowMs?: number;
  marginMs?: number;
}

/** The longest single sleep between asks: limits and pauses changed elsewhere are seen within it. */
const MAX_SLEEP_MS = 2_000;
/**
 * A lease (RU taken in one decision and spent by this process's requests of one claim) lives this
 * long; what is left then goes back. Pauses set by another process reach a lease holder within it.
 */
const LEASE_MS = 1_000;
/** A lease is at most this share of the per-minute limit. */
const LEASE_SHARE = 0.01;
/**
 * Smaller leases are not asked for: under this, a lease saves few decisions and its ask holds the claim's
 * other requests back. With it, budgets under 10,000 RU/min decide each request on its own.
 */
const MIN_LEASE_RU = 100;

interface Lease {
  grantId: number;
  remaining: number;
  timer: NodeJS.Timeout;
}

/** Requests of one claim share a lease: what they are charged to must be the same. */
const claimKeyOf = (c: BudgetClaim) => `${c.priority}|${c.definitionId ?? ''}|${c.runId ?? ''}|${c.weight ?? 1}`;

export class SharedRuBudget implements RuBudget {
  spentTotal = 0;
  private limits: Required<Omit<BudgetLimits, 'ruPerDay'>> & { ruPerDay: number | null };
  /** The lowest RateLimit-Limit the service announced, if below the configured limit. */
  private observedLimit: number | undefined;
  private localPausedUntil = 0;
  private waiting = 0;
  private lastSpent = 0;
  private readonly leases = new Map<string, Lease>();
  /** A lease being asked for, per claim: the claim's other requests wait for it instead of asking too. */
  private readonly leasing = new Map<string, Promise<unknown>>();
  /** Until then no lease is asked for (the last ask could not get one: the window is too spent for leases). */
  private noLeaseUntil = 0;

  constructor(
    private readonly store: SharedBudgetStore,
    readonly key: string,
    limits: BudgetLimits,
  ) {
    this.limits = normalise(limits);
  }

  get ruPerMinute(): number {
    return Math.min(this.limits.ruPerMinute, this.observedLimit ?? Infinity);
  }

  setLimits(limits: BudgetLimits): void {
    this.limits = normalise(limits);
    this.observedLimit = undefined;
  }

  private get windowMs(): number {
    return this.limits.windowMs + this.limits.marginMs;
  }

  async acquire(cost: number, signal?: AbortSignal): Promise<void> {
    if (cost <= 0) return;
    const claim = currentBudgetClaim() ?? { priority: 'interactive' as const };
    const claimKey = claimKeyOf(claim);
    const waiter = randomUUID();
    this.waiting++;
    try {
      for (;;) {
        if (signal?.aborted) throw signal.reason;
        const local = this.localPausedUntil - Date.now();
        if (local > 0) {
          await sleep(Math.min(local, MAX_SLEEP_MS), signal);
          continue;
        }
        if (this.takeFromLease(claimKey, cost)) return;
        const lease = Math.ceil(this.ruPerMinute * LEASE_SHARE);
        const wantLease = lease >= MIN_LEASE_RU && lease > cost && Date.now() >= this.noLeaseUntil;
        let answer: BudgetAnswer;
        if (wantLease) {
          const pending = this.leasing.get(claimKey);
          if (pending) {
            await pending;
            continue;
          }
          const asked = this.store.ask(this, waiter, cost, claim, lease);
          this.leasing.set(
            claimKey,
            asked.catch(() => undefined),
          );
          try {
            answer = await asked;
          } finally {
            this.leasing.delete(claimKey);
          }
          if (answer.granted <= cost) this.noLeaseUntil = Date.now() + LEASE_MS;
        } else {
          answer = await this.store.ask(this, waiter, cost, claim, cost);
        }
        if (answer.wait === 0) {
          this.spentTotal += cost;
          if (answer.grantId !== null && answer.granted > cost) this.holdLease(claimKey, answer.grantId, answer.granted - cost);
          return;
        }
        await sleep(Math.min(answer.wait, MAX_SLEEP_MS), signal);
      }
    } catch (error) {
      // A waiter that gives up leaves the queue at once instead of when its entry expires.
      void this.store.forget(waiter);
      throw error;
    } finally {
      this.waiting--;
    }
  }

  private takeFromLease(claimKey: string, cost: number): boolean {
    const lease = this.leases.get(claimKey);
    if (!lease || lease.remaining < cost) return false;
    lease.remaining -= cost;
    this.spentTotal += cost;
    return true;
  }

  private holdLease(claimKey: string, grantId: number, remaining: number): void {
    // Two leases of one claim (an ask that started before the other's answer): the older goes back now.
    void this.releaseLease(claimKey);
    const timer = setTimeout(() => void this.releaseLease(claimKey, grantId), LEASE_MS);
    timer.unref();
    this.leases.set(claimKey, { grantId, remaining, timer });
  }

  /** Gives back what is left of the claim's lease (only that lease when `grantId` is given). */
  private releaseLease(claimKey: string, grantId?: number): Promise<void> {
    const lease = this.leases.get(claimKey);
    if (!lease || (grantId !== undefined && lease.grantId !== grantId)) return Promise.resolve();
    clearTimeout(lease.timer);
    this.leases.delete(claimKey);
    return lease.remaining > 0 ? this.store.refund(this.key, lease.grantId, lease.remaining) : Promise.resolve();
  }

  /** Gives back every lease (a pause, a process stopping). */
  async releaseLeases(): Promise<void> {
    await Promise.all([...this.leases.keys()].map((claimKey) => this.releaseLease(claimKey)));
  }

  pause(ms: number): void {
    if (!(ms > 0)) return;
    this.localPausedUntil = Math.max(this.localPausedUntil, Date.now() + ms);
    void this.releaseLeases();
    this.store.pause(this.key, ms);
  }

  observe(info: RateLimitInfo | undefined): void {
    if (!info) return;
    if (info.limit !== undefined && info.limit > 0 && info.limit < this.limits.ruPerMinute) this.observedLimit = info.limit;
    if (info.remaining !== undefined) {
      const resetMs = info.resetMs ?? this.limits.windowMs;
      if (info.remaining <= 0) {
        this.localPausedUntil = Math.max(this.localPausedUntil, Date.now() + resetMs);
        void this.releaseLeases();
      }
      this.store.observe(this, { remaining: info.remaining, resetMs, receivedAt: performance.now() });
    }
  }

  /** This process's view (the shared one: SharedBudgetStore.usage). */
  snapshot(): BudgetSnapshot {
    return {
      key: this.key,
      limit: this.ruPerMinute,
      spentInWindow: this.lastSpent,
      available: Math.max(0, this.ruPerMinute - this.lastSpent),
      pausedForMs: Math.max(0, this.localPausedUntil - Date.now()),
      queued: this.waiting,
    };
  }

  /** @internal the parameters of one ask. */
  params() {
    return { limit: this.ruPerMinute, dayLimit: this.limits.ruPerDay, windowMs: this.windowMs, bulkShare: this.limits.bulkShare };
  }

  /** @internal */
  noteSpent(spent: number): void {
    this.lastSpent = spent;
  }
}

function normalise(limits: BudgetLimits) {
  return {
    ruPerMinute: limits.ruPerMinute,
    ruPerDay: limits.ruPerDay ?? null,
    bulkShare: limits.bulkShare ?? 0.5,
    windowMs: limits.windowMs ?? 60_000,
    marginMs: limits.marginMs ?? 1_000,
  };
}

/** One decision of the shared budget. */
export interface BudgetAnswer {
  /** 0: granted; otherwise ask again in this many ms. */
  wait: number;
  /** RU granted: the request's cost, or a lease larger than it. */
  granted: number;
  /** The grant holding a lease (for the refund of what it did not use). */
  grantId: number | null;
}

export interface BudgetUsage {
  key: string;
  pausedForMs: number;
  windowMs: number;
  spentInWindow: number;
  spentLast24h: number;
  /** Spend in the window per run and priority (null run: requests outside a run, e.g. the API's). */
  byRun: Array<{ runId: string | null; definitionId: string | null; priority: BudgetPriority | 'external'; spent: number }>;
  /** Requests waiting now, by run and priority, with the longest wait. */
  queue: Array<{ runId: string | null; definitionId: string | null; priority: BudgetPriority; requests: number; waitingMs: number; ru: number }>;
}

/** A RateLimit answer of the service, waiting to be reconciled with the shared count. */
interface Observation {
  remaining: number;
  resetMs: number;
  /** performance.now() when the answer arrived. */
  receivedAt: number;
}

/**
 * Of two answers, the one that says more about now: the later window's (its reset is further away
 * once both are aged to now), else in one window the lower remaining (the answers of one `$batch`
 * arrive together, each with what was left after it).
 */
function newer(a: Observation | undefined, b: Observation): Observation {
  if (!a) return b;
  const resetA = a.receivedAt + a.resetMs;
  const resetB = b.receivedAt + b.resetMs;
  // RateLimit-Reset is in whole seconds: within a second, the same window.
  if (Math.abs(resetA - resetB) > 1_000) return resetB > resetA ? b : a;
  return b.remaining < a.remaining ? b : a;
}

/** The meta-store side: one per process, shared by every gateway of the process. */
export class SharedBudgetStore {
  private readonly budgets = new Map<string, SharedRuBudget>();
  /** Per budget: the answer waiting to be reconciled, and whether a reconciliation is running. */
  private readonly observations = new Map<string, { pending?: Observation; running: boolean }>();
  readonly holder: string;

  constructor(
    private readonly sql: postgres.Sql,
    private readonly logger?: Logger,
  ) {
    this.holder = `${hostname()}/${process.pid}`;
  }

  /** The process's budget object for an app in a tenant; limits are updated by the latest caller. */
  budgetFor(key: string, limits: BudgetLimits): SharedRuBudget {
    const existing = this.budgets.get(key);
    if (existing) {
      existing.setLimits(limits);
      return existing;
    }
    const created = new SharedRuBudget(this, key, limits);
    this.budgets.set(key, created);
    return created;
  }

  /**
   * @internal one scheduling decision: granted (wait 0) `cost`, or `lease` RU when the window is far
   * enough from spent (then `grantId` names the grant to refund what is left of it); else the wait.
   */
  async ask(budget: SharedRuBudget, waiter: string, cost: number, claim: BudgetClaim, lease: number): Promise<BudgetAnswer> {
    const p = budget.params();
    const [row] = await this.sql<Array<{ wait: number; granted: number; grant_id: string | null }>>`
      select wait, granted, grant_id from syncbridge_budget_lease(
        ${budget.key}, ${p.limit}::integer, ${p.dayLimit}::integer, ${p.windowMs}::integer, ${Math.ceil(cost)}::integer, ${Math.ceil(lease)}::integer,
        ${waiter}::uuid, ${PRIORITY_CODE[claim.priority]}::smallint, ${claim.definitionId ?? null}::uuid, ${claim.runId ?? null}::uuid,
        ${claim.weight ?? 1}::real, ${p.bulkShare}::real, ${this.holder}
      )`;
    if (!row) return { wait: 0, granted: cost, grantId: null };
    return { wait: row.wait, granted: row.granted, grantId: row.grant_id === null ? null : Number(row.grant_id) };
  }

  /** @internal gives back the unused part of a lease. */
  async refund(key: string, grantId: number, amount: number): Promise<void> {
    await this.sql`select syncbridge_budget_refund(${grantId}::bigint, ${Math.floor(amount)}::integer)`.catch((error: unknown) =>
      this.logger?.warn({ err: error, key }, 'could not give back an unused budget lease'),
    );
  }

  /** Gives back every lease this process holds (before it stops). */
  async releaseLeases(): Promise<void> {
    await Promise.all([...this.budgets.values()].map((budget) => budget.releaseLeases()));
  }

  /** @internal */
  async forget(waiter: string): Promise<void> {
    await this.sql`delete from graph_budget_waiters where waiter_id = ${waiter}::uuid`.catch(() => undefined);
  }

  /** @internal every process waits until then. */
  pause(key: string, ms: number): void {
    this.sql`
      insert into graph_budgets (key, paused_until) values (${key}, clock_timestamp() + ${ms} * interval '1 millisecond')
      on conflict (key) do update set paused_until = greatest(coalesce(graph_budgets.paused_until, excluded.paused_until), excluded.paused_until),
        updated_at = clock_timestamp()`.catch((error: unknown) => this.logger?.warn({ err: error, key }, 'could not share a throttling pause'));
  }

  /**
   * @internal reconciles the shared count with the service's answer. Near the limit every answer
   * (every request of a `$batch`) carries one: they are folded, one reconciliation per budget runs at a
   * time, with the answer that says most about now, and its age (migration 0014), so a late call
   * neither books our own expired spend as someone else's nor pauses past the service's reset.
   */
  observe(budget: SharedRuBudget, observation: Observation): void {
    const state = this.observations.get(budget.key) ?? { running: false };
    this.observations.set(budget.key, state);
    state.pending = newer(state.pending, observation);
    if (!state.running) void this.reconcile(budget, state);
  }

  private async reconcile(budget: SharedRuBudget, state: { pending?: Observation; running: boolean }): Promise<void> {
    state.running = true;
    try {
      for (let o = state.pending; o; o = state.pending) {
        state.pending = undefined;
        const p = budget.params();
        const age = Math.max(0, Math.round(performance.now() - o.receivedAt));
        await this.sql`select syncbridge_budget_observe(${budget.key}, ${p.limit}::integer, ${p.windowMs}::integer,
          ${Math.floor(o.remaining)}::integer, ${Math.ceil(o.resetMs)}::integer, ${age}::integer)`.catch((error: unknown) =>
          this.logger?.warn({ err: error, key: budget.key }, 'could not reconcile the shared budget'),
        );
      }
    } finally {
      state.running = false;
    }
  }

  /** What the budget of `key` is doing now, across every process. */
  async usage(key: string, windowMs = 61_000): Promise<BudgetUsage> {
    const sql = this.sql;
    const [budget] = await sql<Array<{ paused_ms: number | null }>>`
      select greatest(0, extract(epoch from paused_until - clock_timestamp()) * 1000)::integer as paused_ms from graph_budgets where key = ${key}`;
    const byRun = await sql<Array<{ run_id: string | null; definition_id: string | null; priority: number | null; spent: string }>>`
      select run_id, definition_id, priority, sum(cost)::bigint as spent from graph_budget_grants
      where key = ${key} and at > clock_timestamp() - ${windowMs} * interval '1 millisecond' and at <= clock_timestamp()
      group by run_id, definition_id, priority order by spent desc`;
    const [day] = await sql<Array<{ spent: string | null }>>`
      select sum(cost)::bigint as spent from graph_budget_hours where key = ${key} and hour >= date_trunc('hour', clock_timestamp()) - interval '23 hours'`;
    const queue = await sql<Array<{ run_id: string | null; definition_id: string | null; priority: number; requests: string; waiting_ms: number; ru: string }>>`
      select run_id, definition_id, priority, count(*)::bigint as requests, sum(cost)::bigint as ru,
        (extract(epoch from clock_timestamp() - min(since)) * 1000)::integer as waiting_ms
      from graph_budget_waiters where key = ${key} and expires_at >= clock_timestamp()
      group by run_id, definition_id, priority order by priority, waiting_ms desc`;
    const spentInWindow = byRun.reduce((sum, r) => sum + Number(r.spent), 0);
    this.budgets.get(key)?.noteSpent(spentInWindow);
    return {
      key,
      pausedForMs: budget?.paused_ms ?? 0,
      windowMs,
      spentInWindow,
      spentLast24h: Number(day?.spent ?? 0),
      byRun: byRun.map((r) => ({
        runId: r.run_id,
        definitionId: r.definition_id,
        priority: r.priority === null ? 'external' : (PRIORITY_NAME[r.priority] ?? 'bulk'),
        spent: Number(r.spent),
      })),
      queue: queue.map((q) => ({
        runId: q.run_id,
        definitionId: q.definition_id,
        priority: PRIORITY_NAME[q.priority] ?? 'bulk',
        requests: Number(q.requests),
        waitingMs: Math.max(0, q.waiting_ms),
        ru: Number(q.ru),
      })),
    };
  }

  /** Whether a run has requests waiting for budget now (run progress). */
  async waitingOf(runId: string): Promise<{ requests: number; waitingMs: number } | null> {
    const [row] = await this.sql<Array<{ requests: string; waiting_ms: number | null }>>`
      select count(*)::bigint as requests, (extract(epoch from clock_timestamp() - min(since)) * 1000)::integer as waiting_ms
      from graph_budget_waiters where run_id = ${runId}::uuid and expires_at >= clock_timestamp()`;
    const requests = Number(row?.requests ?? 0);
    return requests > 0 ? { requests, waitingMs: Math.max(0, row?.waiting_ms ?? 0) } : null;
  }
}
