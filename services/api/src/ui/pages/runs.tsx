import type { FC } from 'hono/jsx';
import { qs, type UiApi } from '../api.ts';
import type { Ui } from '../index.tsx';
import { afterAction, page } from '../index.tsx';
import { Action, can, countsText, Empty, Select, Status, Table, When, type Viewer } from '../kit.tsx';
import type { Definition, Page, RunProgress, RunView } from '../types.ts';

/*
 * Runs of every kind: the list with its filters, and the run page — what the run was asked,
 * what it did, its live progress (an htmx fragment polled while it is active), and the
 * decisions it waits for (cancel, the mass-delete guard, the plan of a drift repair, reshard or
 * rebind). Every read and decision goes through the API as the signed-in key.
 */

/** The enums of GET /v1/sync-runs (kind, status), in the order the filters show them. */
export const RUN_KINDS = [
  'push',
  'ingress',
  'provision',
  'drift_check',
  'drift_repair',
  'reshard',
  'rebind',
  'ledger_rebuild',
  'failover',
  'drift',
  'health',
] as const;
export const RUN_STATUSES = ['queued', 'running', 'awaiting_approval', 'succeeded', 'failed', 'cancelled'] as const;
const ACTIVE = new Set<string>(['queued', 'running', 'awaiting_approval']);
/** Kinds whose run plans first and waits for approve-plan / reject-plan (the rebind runbook too). */
const PLANNED_KINDS = new Set<string>(['drift_repair', 'reshard', 'rebind']);

const PAGE_SIZE = 50;
/** How many plan actions the run page lists (the API holds them all). */
const PLAN_ACTIONS_SHOWN = 100;
/** The polling interval of the progress fragment. */
const POLL = 'every 2s';

export const isActive = (status: string) => ACTIVE.has(status);
export const kindLabel = (kind: string) => kind.replace(/_/g, ' ');

/** Every definition the key may see (for filters, names and runbook forms), a few API pages at most. */
export async function allDefinitions(api: UiApi, maxPages = 5): Promise<Definition[]> {
  const out: Definition[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < maxPages; i++) {
    const p = await api.need<Page<Definition>>(`/v1/sync-definitions${qs({ limit: 200, cursor })}`);
    out.push(...p.items);
    if (!p.nextCursor) break;
    cursor = p.nextCursor;
  }
  return out;
}

/** A value of an options / report object as short text. */
export const show = (v: unknown): string => (v === null || v === undefined ? '—' : typeof v === 'string' ? v : JSON.stringify(v));

function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return 'unknown';
  if (seconds < 60) return `about ${seconds} s`;
  if (seconds < 3600) return `about ${Math.round(seconds / 60)} min`;
  return `about ${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

// ---------------------------------------------------------------- runs list

const RunFilters: FC<{ defs: Definition[]; definitionId: string; kind: string; status: string }> = ({ defs, definitionId, kind, status }) => (
  <form method="get" action="/ui/runs" class="filters" aria-label="Filter runs">
    <Select
      id="f-definition"
      name="definitionId"
      label="Definition"
      value={definitionId}
      options={[{ value: '', label: 'All definitions' }, ...defs.map((d) => ({ value: d.id, label: d.name }))]}
    />
    <Select
      id="f-kind"
      name="kind"
      label="Kind"
      value={kind}
      options={[{ value: '', label: 'All kinds' }, ...RUN_KINDS.map((k) => ({ value: k, label: kindLabel(k) }))]}
    />
    <Select
      id="f-status"
      name="status"
      label="Status"
      value={status}
      options={[{ value: '', label: 'All statuses' }, ...RUN_STATUSES.map((s) => ({ value: s, label: s.replace(/_/g, ' ') }))]}
    />
    <button type="submit">Show runs</button>
  </form>
);

/** A table of runs; `names` maps definition ids to names (ids without a name are shown as ids). */
export const RunsTable: FC<{ caption: string; runs: RunView[]; names: Map<string, string> }> = ({ caption, runs, names }) => (
  <Table caption={caption} head={['Run', 'Definition', 'Kind', 'Trigger', 'Status', 'Counts', 'Started', 'Finished']}>
    {runs.map((r) => (
      <tr>
        <td>
          <a href={`/ui/runs/${r.id}`} class="mono" aria-label={`Run ${r.id.slice(0, 8)}, ${kindLabel(r.kind)}`}>
            {r.id.slice(0, 8)}
          </a>
        </td>
        <td>{r.definitionId ? <a href={`/ui/definitions/${r.definitionId}`}>{names.get(r.definitionId) ?? r.definitionId}</a> : '—'}</td>
        <td>{kindLabel(r.kind)}</td>
        <td>{r.trigger}</td>
        <td>
          <Status status={r.status} />
        </td>
        <td>{countsText(r.counts)}</td>
        <td>
          <When at={r.startedAt} />
        </td>
        <td>
          <When at={r.finishedAt} />
        </td>
      </tr>
    ))}
  </Table>
);

// ---------------------------------------------------------------- run page parts

interface PlanView {
  runId: string;
  definitionId: string;
  kind: string;
  reportId: string | null;
  status: string;
  summary: { total: number; byClass: Record<string, Record<string, number>>; check?: RebindCheck } & Record<string, unknown>;
  actions: Array<
    { op: string; sourceKey: string; class?: string; targetId?: string | null; fromTargetId?: string | null; listItemId?: string | null } & Record<
      string,
      unknown
    >
  >;
  actionsTotal: number;
  outcome: { done: Record<string, number>; failed: number; failures: Array<{ action: { op: string; sourceKey: string }; reason: string }> } | null;
  decidedBy: string | null;
  decidedAt: string | null;
}

interface RebindSide {
  instanceId: string;
  reachable: boolean;
  rows: number | null;
  maxWatermark: string | null;
  error?: string;
}
interface RebindCheck {
  ok: boolean;
  problems: string[];
  old: RebindSide | null;
  new: RebindSide | null;
}

/** The fields of the run's hold the page shows (mass-delete guard, or a plan waiting for a decision). */
interface Hold {
  kind: string;
  message?: string;
  deletions?: number;
  sampleKeys?: unknown[];
  lists?: Array<{ listDisplayName: string | null; deletions: number; items: number; limit: number | null }>;
  decided?: { decision: string; by: string; at: string };
}

/**
 * The live part of the run page. While the run is active it asks for itself again every 2 s
 * (`seen` is the status the page was rendered with: when the status changes, the answer asks
 * htmx to reload the page, so the actions and results follow). A finished run's fragment has
 * no trigger: polling stops.
 */
const Progress: FC<{ run: RunView }> = ({ run }) => {
  const p: RunProgress = run.progress ?? {};
  const active = isActive(run.status);
  const poll = active ? { 'hx-get': `/ui/runs/${run.id}/progress?seen=${run.status}`, 'hx-trigger': POLL, 'hx-swap': 'outerHTML' } : {};
  const toDo = typeof p.rowsToDo === 'number' ? p.rowsToDo : null;
  const done = p.rowsDone ?? 0;
  const percent = typeof p.percent === 'number' ? Math.round(p.percent) : toDo ? Math.min(100, Math.round((done / Math.max(1, toDo)) * 100)) : null;
  return (
    <div id="run-progress" class="run-progress" data-active={active ? 'true' : 'false'} {...poll}>
      <dl class="facts">
        <dt>Status</dt>
        <dd>
          <Status status={run.status} />
        </dd>
        <dt>Phase</dt>
        <dd>{p.phase ? `${p.phase}${p.pass ? ` (${p.pass} pass)` : ''}` : '—'}</dd>
        <dt>Rows</dt>
        <dd>
          {toDo === null ? `${done} done${active ? ' (total not known yet)' : ''}` : `${done} of ${toDo} done`}
          {percent === null ? null : ` (${percent} %)`}
        </dd>
        {active ? (
          <>
            <dt>Time left</dt>
            <dd>{p.etaSeconds === null || p.etaSeconds === undefined ? 'not known yet' : duration(p.etaSeconds)}</dd>
          </>
        ) : null}
        {p.waitingFor ? (
          <>
            <dt>Waiting for</dt>
            <dd>{p.waitingFor}</dd>
          </>
        ) : null}
      </dl>
      <label for="run-progress-bar">Rows done</label>{' '}
      {toDo === null ? (
        active ? (
          <progress id="run-progress-bar">in progress</progress>
        ) : (
          <progress id="run-progress-bar" max={1} value={1}>
            done
          </progress>
        )
      ) : (
        <progress id="run-progress-bar" max={Math.max(1, toDo)} value={Math.min(done, Math.max(1, toDo))}>
          {percent ?? 0} %
        </progress>
      )}
    </div>
  );
};

const MassDeleteHold: FC<{ run: RunView; hold: Hold; viewer: Viewer }> = ({ run, hold, viewer }) => (
  <section aria-labelledby="hold-h">
    <h2 id="hold-h">Held by the mass-delete guard</h2>
    <p>{hold.message}</p>
    <p>
      The run would delete <strong>{hold.deletions ?? 0}</strong> list items whose rows are gone at the source.
    </p>
    {hold.lists?.length ? (
      <Table caption="Deletions per list" head={['List', 'Deletions', 'Items', 'Limit']}>
        {hold.lists.map((l) => (
          <tr>
            <td>{l.listDisplayName ?? '—'}</td>
            <td class="num">{l.deletions}</td>
            <td class="num">{l.items}</td>
            <td class="num">{l.limit ?? '—'}</td>
          </tr>
        ))}
      </Table>
    ) : null}
    {hold.sampleKeys?.length ? (
      <p>
        Some of the keys: <span class="mono">{hold.sampleKeys.map(show).join(', ')}</span>
      </p>
    ) : null}
    {hold.decided ? (
      <p>
        {hold.decided.decision} by {hold.decided.by} at <When at={hold.decided.at} />
      </p>
    ) : null}
    {run.status === 'awaiting_approval' && can(viewer, 'operator') ? (
      <div class="actions">
        <Action
          viewer={viewer}
          action={`/ui/runs/${run.id}/approve-deletions`}
          label="Approve deletions"
          danger
          confirm={`Delete ${hold.deletions ?? 0} list items?`}
        />
        <Action viewer={viewer} action={`/ui/runs/${run.id}/reject-deletions`} label="Reject deletions" />
      </div>
    ) : null}
  </section>
);

const PlanSection: FC<{ run: RunView; plan: PlanView | null; lists: Map<string, string>; viewer: Viewer }> = ({ run, plan, lists, viewer }) => {
  const listName = (id: string | null | undefined) => (id ? (lists.get(id) ?? id.slice(0, 8)) : '—');
  const waiting = run.status === 'awaiting_approval';
  const title = run.kind === 'rebind' ? 'Check and plan' : 'Plan';
  if (!plan)
    return (
      <section aria-labelledby="plan-h">
        <h2 id="plan-h">{title}</h2>
        <p class="empty">{isActive(run.status) ? 'The run has not made its plan yet.' : 'This run made no plan.'}</p>
      </section>
    );
  const check = plan.summary.check;
  const byClass = Object.entries(plan.summary.byClass ?? {}).flatMap(([cls, ops]) => Object.entries(ops).map(([op, n]) => ({ cls, op, n })));
  return (
    <section aria-labelledby="plan-h">
      <h2 id="plan-h">{title}</h2>
      <dl class="facts">
        <dt>Plan status</dt>
        <dd>
          <Status status={plan.status} />
        </dd>
        <dt>Actions</dt>
        <dd>{plan.summary.total}</dd>
        {plan.reportId ? (
          <>
            <dt>Drift report</dt>
            <dd>
              <a href={`/ui/drift-reports/${plan.reportId}`}>The drift report this repair answers</a>
            </dd>
          </>
        ) : null}
        {plan.decidedBy ? (
          <>
            <dt>Decided</dt>
            <dd>
              by {plan.decidedBy} at <When at={plan.decidedAt} />
            </dd>
          </>
        ) : null}
      </dl>
      {check ? (
        <>
          <h3>Check of the new instance</h3>
          <p>{check.ok ? 'The new instance fits the definition.' : 'The new instance does not fit the definition; nothing was changed.'}</p>
          {check.problems.length ? (
            <ul>
              {check.problems.map((p) => (
                <li>{p}</li>
              ))}
            </ul>
          ) : null}
          <Table caption="Old and new instance compared" head={['Instance', 'Id', 'Reachable', 'Rows', 'Highest watermark']}>
            {(
              [
                ['Old', check.old],
                ['New', check.new],
              ] as const
            ).map(([label, side]) => (
              <tr>
                <th scope="row">{label}</th>
                <td class="mono">{side?.instanceId ?? '—'}</td>
                <td>{side ? (side.reachable ? 'yes' : `no${side.error ? `: ${side.error}` : ''}`) : 'not checked'}</td>
                <td class="num">{side?.rows ?? '—'}</td>
                <td>{side?.maxWatermark ?? '—'}</td>
              </tr>
            ))}
          </Table>
        </>
      ) : null}
      {byClass.length ? (
        <Table
          caption={run.kind === 'reshard' ? 'Moves per list' : 'Actions per drift class'}
          head={[run.kind === 'reshard' ? 'From list' : 'Class', 'Action', 'Count']}
        >
          {byClass.map((r) => (
            <tr>
              <td>{run.kind === 'reshard' ? listName(r.cls) : r.cls}</td>
              <td>{r.op}</td>
              <td class="num">{r.n}</td>
            </tr>
          ))}
        </Table>
      ) : null}
      {plan.actions.length ? (
        <Table
          caption={`Actions${plan.actionsTotal > plan.actions.length ? ` (the first ${plan.actions.length} of ${plan.actionsTotal})` : ''}`}
          head={['Action', 'Key', 'Class', 'List', 'Item']}
        >
          {plan.actions.map((a) => (
            <tr>
              <td>{a.op}</td>
              <td class="mono">{a.sourceKey || '—'}</td>
              <td>{a.class ?? '—'}</td>
              <td>{a.fromTargetId ? `${listName(a.fromTargetId)} → ${listName(a.targetId)}` : listName(a.targetId)}</td>
              <td class="mono">{a.listItemId ?? '—'}</td>
            </tr>
          ))}
        </Table>
      ) : null}
      {plan.outcome ? (
        <>
          <h3>Outcome</h3>
          <p>
            Done: {countsText(plan.outcome.done)}; failed: {plan.outcome.failed}.
          </p>
          {plan.outcome.failures.length ? (
            <Table caption="Actions that failed" head={['Action', 'Key', 'Reason']}>
              {plan.outcome.failures.map((f) => (
                <tr>
                  <td>{f.action.op}</td>
                  <td class="mono">{f.action.sourceKey}</td>
                  <td>{f.reason}</td>
                </tr>
              ))}
            </Table>
          ) : null}
        </>
      ) : null}
      {waiting && plan.status === 'planned' && can(viewer, 'operator') ? (
        <div class="actions">
          <Action
            viewer={viewer}
            action={`/ui/runs/${run.id}/approve-plan`}
            label="Approve plan"
            confirm={run.kind === 'rebind' ? 'Rebind the definition to the new instance?' : `Apply ${plan.summary.total} actions?`}
          />
          <Action viewer={viewer} action={`/ui/runs/${run.id}/reject-plan`} label="Reject plan" />
        </div>
      ) : null}
    </section>
  );
};

// ---------------------------------------------------------------- routes

export function registerRunPages(ui: Ui): void {
  ui.get('/runs', async (c) => {
    const api = c.get('api');
    const definitionId = c.req.query('definitionId') ?? '';
    const kind = c.req.query('kind') ?? '';
    const status = c.req.query('status') ?? '';
    const cursor = c.req.query('cursor');
    const defs = await allDefinitions(api);
    const names = new Map(defs.map((d) => [d.id, d.name]));
    // A bad filter (a hand-edited URL) is the API's 400, shown above the filters rather than as an error page.
    const runs = await api.get<Page<RunView>>(`/v1/sync-runs${qs({ limit: PAGE_SIZE, cursor, definitionId, kind, status })}`);
    const filtered = Boolean(definitionId || kind || status);
    return page(
      c,
      { title: 'Runs', section: 'runs', problem: runs.ok ? undefined : runs.problem },
      <>
        <RunFilters defs={defs} definitionId={definitionId} kind={kind} status={status} />
        {!runs.ok ? null : runs.body.items.length === 0 ? (
          <Empty>{filtered ? 'No runs match these filters.' : 'No runs yet.'}</Empty>
        ) : (
          <RunsTable caption={filtered ? 'Runs matching the filters, newest first' : 'Runs, newest first'} runs={runs.body.items} names={names} />
        )}
        {runs.ok && runs.body.nextCursor ? (
          <p>
            <a href={`/ui/runs${qs({ definitionId, kind, status, cursor: runs.body.nextCursor })}`}>Next page of runs</a>
          </p>
        ) : null}
      </>,
    );
  });

  ui.get('/runs/:id', async (c) => {
    const api = c.get('api');
    const viewer = c.get('viewer');
    const id = c.req.param('id');
    const run = await api.need<RunView>(`/v1/sync-runs/${id}`);
    const [me, def, plan, targets, report] = await Promise.all([
      api.get<{ keyId: string; name: string }>('/v1/me'),
      run.definitionId ? api.get<Definition>(`/v1/sync-definitions/${run.definitionId}`) : null,
      PLANNED_KINDS.has(run.kind) ? api.get<PlanView>(`/v1/sync-runs/${id}/plan?limit=${PLAN_ACTIONS_SHOWN}`) : null,
      run.definitionId && PLANNED_KINDS.has(run.kind)
        ? api.get<Page<{ id: string; listDisplayName: string | null }>>(`/v1/sync-definitions/${run.definitionId}/targets?limit=200`)
        : null,
      run.kind === 'drift_check' && run.definitionId && !isActive(run.status) ? reportOfRun(api, run.definitionId, run.id) : null,
    ]);
    const lists = new Map((targets?.ok ? targets.body.items : []).map((t) => [t.id, t.listDisplayName ?? t.id.slice(0, 8)]));
    const hold = run.hold as Hold | null;
    const errors = run.errors.map((e) => (typeof e === 'string' ? { message: e } : e)) as Array<{ at?: string; message?: string }>;
    return page(
      c,
      { title: `${kindLabel(run.kind)} run ${run.id.slice(0, 8)}`, section: 'runs' },
      <>
        <dl class="facts">
          <dt>Definition</dt>
          <dd>{run.definitionId ? <a href={`/ui/definitions/${run.definitionId}`}>{def?.ok ? def.body.name : run.definitionId}</a> : '—'}</dd>
          <dt>Kind</dt>
          <dd>{kindLabel(run.kind)}</dd>
          <dt>Trigger</dt>
          <dd>{run.trigger}</dd>
          <dt>Requested by</dt>
          <dd>{requester(run.requestedBy, me.ok ? me.body : null)}</dd>
          <dt>Run id</dt>
          <dd class="mono">{run.id}</dd>
          <dt>Created</dt>
          <dd>
            <When at={run.createdAt} />
          </dd>
          <dt>Started</dt>
          <dd>
            <When at={run.startedAt} />
          </dd>
          <dt>Finished</dt>
          <dd>
            <When at={run.finishedAt} />
          </dd>
          <dt>Counts</dt>
          <dd>{countsText(run.counts)}</dd>
        </dl>
        <p>
          <a href={run.temporalUiUrl} rel="noopener noreferrer">
            Open in Temporal Web UI
          </a>
          <span class="muted"> (workflow {run.workflowId})</span>
        </p>
        {isActive(run.status) && can(viewer, 'operator') ? (
          <div class="actions">
            <Action viewer={viewer} action={`/ui/runs/${run.id}/cancel`} label="Cancel run" danger confirm="Stop this run? What it completed is kept." />
          </div>
        ) : null}

        <section aria-labelledby="progress-h">
          <h2 id="progress-h">Progress</h2>
          {/* A stable live region: the fragment inside it is replaced on each poll, and screen readers announce the change. */}
          <div aria-live="polite">
            <Progress run={run} />
          </div>
          {isActive(run.status) ? (
            <p class="no-js-refresh">
              <a href={`/ui/runs/${run.id}`}>Refresh this page</a> <span class="muted">(it updates itself every 2 seconds where scripts run)</span>
            </p>
          ) : null}
        </section>

        {report ? (
          <p>
            <a href={`/ui/drift-reports/${report}`}>Open the drift report of this check</a>
          </p>
        ) : null}
        {hold?.kind === 'mass-delete' ? <MassDeleteHold run={run} hold={hold} viewer={viewer} /> : null}
        {plan ? <PlanSection run={run} plan={plan.ok ? plan.body : null} lists={lists} viewer={viewer} /> : null}

        <section aria-labelledby="details-h">
          <h2 id="details-h">Details</h2>
          {Object.keys(run.counts ?? {}).length ? (
            <Table caption="Counts" head={['Count', 'Value']}>
              {Object.entries(run.counts).map(([k, v]) => (
                <tr>
                  <td>{k}</td>
                  <td class="num">{show(v)}</td>
                </tr>
              ))}
            </Table>
          ) : (
            <Empty>No counts yet.</Empty>
          )}
          {Object.keys(run.options ?? {}).length ? (
            <Table caption="Options the run was asked with" head={['Option', 'Value']}>
              {Object.entries(run.options).map(([k, v]) => (
                <tr>
                  <td>{k}</td>
                  <td class="mono">{show(v)}</td>
                </tr>
              ))}
            </Table>
          ) : (
            <p class="muted">Asked without options.</p>
          )}
          <h3>Errors</h3>
          {errors.length ? (
            <ul class="errors">
              {errors.map((e) => (
                <li>
                  {e.at ? (
                    <>
                      <span class="mono">{e.at}</span>:{' '}
                    </>
                  ) : null}
                  {e.message ?? show(e)}
                </li>
              ))}
            </ul>
          ) : (
            <Empty>No errors.</Empty>
          )}
        </section>
      </>,
    );
  });

  // The fragment htmx polls. When the status differs from the page's, the whole page reloads (HX-Refresh).
  ui.get('/runs/:id/progress', async (c) => {
    const run = await c.get('api').need<RunView>(`/v1/sync-runs/${c.req.param('id')}`);
    const seen = c.req.query('seen');
    if (seen && seen !== run.status && c.req.header('hx-request')) c.header('HX-Refresh', 'true');
    return c.html(<Progress run={run} />);
  });

  const decisions: Array<{ path: string; api: string; done: string }> = [
    { path: 'cancel', api: 'cancel', done: 'Cancel asked: the run stops within seconds, keeping what it completed.' },
    { path: 'approve-deletions', api: 'approve-deletions', done: 'Deletions approved: the run goes on.' },
    { path: 'reject-deletions', api: 'reject-deletions', done: 'Deletions rejected: the run ends without deleting.' },
    { path: 'approve-plan', api: 'approve-plan', done: 'Plan approved: the run applies it.' },
    { path: 'reject-plan', api: 'reject-plan', done: 'Plan rejected: the run ends, nothing changed.' },
  ];
  for (const d of decisions) {
    ui.post(`/runs/:id/${d.path}`, async (c) => {
      const id = c.req.param('id');
      const answer = await c.get('api').post(`/v1/sync-runs/${id}/${d.api}`);
      return afterAction(c, answer, d.done, `/ui/runs/${id}`);
    });
  }
}

/** Who asked for a run: its schedule, the signed-in key itself, or another key (by id: key names are for admins to look up). */
function requester(requestedBy: string | null, me: { keyId: string; name: string } | null): string {
  if (!requestedBy) return '—';
  if (requestedBy === 'schedule') return 'its schedule';
  if (me && requestedBy === me.keyId) return `you (${me.name})`;
  return `API key ${requestedBy}`;
}

/** The drift report a drift_check run wrote (the definition's newest reports are searched). */
async function reportOfRun(api: UiApi, definitionId: string, runId: string): Promise<string | null> {
  const reports = await api.get<Page<{ id: string; runId: string | null }>>(`/v1/sync-definitions/${definitionId}/drift-reports?limit=50`);
  return reports.ok ? (reports.body.items.find((r) => r.runId === runId)?.id ?? null) : null;
}
