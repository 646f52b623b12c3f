import { Context, sleep } from '@temporalio/activity';
import { eq } from 'drizzle-orm';
import { schema } from '@syncbridge/shared/db';
import { compareLsn, replicationNames } from '@syncbridge/shared/sources';
import type { ActivityDeps } from '../deps.ts';
import { readCursor } from '../push/commit.ts';
import { captureOf, recordSlotStatus, relationOf, slotAlarm } from '../push/logical.ts';
import { loadDefinitionContext } from '../sync/definition.ts';

/** How often the watcher looks at the slot: the propagation delay it adds is at most this. */
const POLL_MS = 500;
/** Before the definition's first run made its slot, look this seldom. */
const NO_SLOT_POLL_MS = 5_000;
/** How often the watcher reads the definition, its slot's state and its source again. */
const RECHECK_MS = 5_000;
const MB = 1024 * 1024;

export type SourceChangesSeen = { changes: boolean; stop?: undefined } | { changes: false; stop: string };

/** True when the error is the slot being read by another session at this moment (a run is reading it). */
const slotBusy = (err: unknown) => err instanceof Error && /is active for PID/i.test(err.message);

export function createCaptureActivities(deps: ActivityDeps) {
  const { db } = deps.store;

  return {
    /**
     * Waits (up to `maxWaitMs`, heartbeating) until the definition's replication slot holds a change
     * after its cursor: the server's WAL position is compared first, and only when it moved is one
     * change peeked. Says `stop` when the definition is gone, off or not logical any more.
     */
    async awaitSourceChanges(input: { definitionId: string; maxWaitMs: number }): Promise<SourceChangesSeen> {
      const activity = Context.current();
      const deadline = Date.now() + input.maxWaitMs;
      let lastLsn: string | null = null;
      // The definition, its slot's state and its source are read again every few seconds, not on every look
      // (a look is then one status query on the source, and a peek when the WAL moved).
      let known: { maxMb: number; ctx: Awaited<ReturnType<typeof loadDefinitionContext>> } | null = null;
      let knownAt = 0;
      while (Date.now() < deadline) {
        activity.heartbeat();
        if (!known || Date.now() - knownAt >= RECHECK_MS) {
          const [d] = await db
            .select({
              enabled: schema.syncDefinitions.enabled,
              cursorStrategy: schema.syncDefinitions.cursorStrategy,
              maxMb: schema.syncDefinitions.replicationMaxRetainedMb,
            })
            .from(schema.syncDefinitions)
            .where(eq(schema.syncDefinitions.id, input.definitionId));
          if (!d) return { changes: false, stop: 'the definition was deleted' };
          if (!d.enabled) return { changes: false, stop: 'the definition is turned off' };
          if (d.cursorStrategy !== 'logical_replication') return { changes: false, stop: `the definition reads by ${d.cursorStrategy} now` };
          const [slot] = await db.select().from(schema.replicationSlots).where(eq(schema.replicationSlots.definitionId, input.definitionId));
          if (!slot || slot.status !== 'active') {
            // The first run (or the one replacing a lost slot) is asked for like any other: it makes the slot.
            if (slot) return { changes: true };
            known = null;
            await sleep(Math.min(NO_SLOT_POLL_MS, Math.max(0, deadline - Date.now())));
            continue;
          }
          known = { maxMb: d.maxMb, ctx: await loadDefinitionContext(deps, input.definitionId) };
          knownAt = Date.now();
        }
        const { ctx, maxMb } = known;
        const capture = captureOf(deps, ctx);
        const names = replicationNames(input.definitionId);
        try {
          const status = await capture.status(names);
          // A slot gone, invalidated or past its limit: the run it asks for replaces it (prepareSlot).
          if (!status.exists || status.walStatus === 'lost' || status.retainedBytes > maxMb * MB) return { changes: true };
          if (status.currentLsn !== lastLsn) {
            lastLsn = status.currentLsn;
            const cursor = (await readCursor(db, input.definitionId, 'source_watermark')) ?? {};
            const afterLsn = typeof cursor.lsn === 'string' ? cursor.lsn : null;
            const peeked = await capture.peek(names, relationOf(ctx), ctx.definition.keyColumns, { afterLsn, maxChanges: 1 });
            if (peeked.changes.length > 0 || peeked.truncated) return { changes: true };
            // Nothing of this table up to the server's position read before the peek: the slot may let go of that WAL
            // (a busy database with an idle table would otherwise grow the slot up to its limit).
            if (status.confirmedLsn && compareLsn(status.currentLsn, status.confirmedLsn) > 0) {
              await capture.advance(names, status.currentLsn);
              const now = await capture.status(names);
              await recordSlotStatus(db, input.definitionId, now, slotAlarm(maxMb, now));
            }
          }
        } catch (err) {
          if (!slotBusy(err)) throw err;
          lastLsn = null; // look again next time
        }
        await sleep(Math.min(POLL_MS, Math.max(0, deadline - Date.now())));
      }
      return { changes: false };
    },

    /** How a run ended (or 'unknown'). */
    async runOutcome(input: { runId: string }): Promise<string> {
      const [run] = await db.select({ status: schema.syncRuns.status }).from(schema.syncRuns).where(eq(schema.syncRuns.id, input.runId));
      return run?.status ?? 'unknown';
    },
  };
}

export type CaptureActivities = ReturnType<typeof createCaptureActivities>;
