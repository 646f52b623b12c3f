import type { FC } from 'hono/jsx';
import type { Problem } from '../api.ts';
import { qs } from '../api.ts';
import type { Ui, UiContext } from '../index.tsx';
import { afterAction, flash, form, page } from '../index.tsx';
import { Action, can, countsText, Csrf, Empty, Field, fieldError, Select, Status, Table, When, type Viewer } from '../kit.tsx';
import type { DatabaseInstance, Definition, FieldMapping, OperationTicket, Page, RoutingRule, RunEstimate, Summary, SyncTarget } from '../types.ts';
import { directionLabel } from './dashboard.tsx';

/*
 * One sync definition: what it reads and where it writes (facts, mappings, targets with their
 * routing rules), how it is doing (summary, schedules), what an operator may change (settings,
 * schedule pause/resume/trigger, run, provision, delete), and the two read-only lists behind it
 * (quarantine, ledger). Every read and change is the API's, as the signed-in key.
 */

/** A next push estimated to take this long or more is shown as a warning: it spends the connection's budget for hours. */
const LONG_RUN_SECONDS = 3_600;

/** A definition id in a UI path: the uuid form only, so /ui/definitions/new stays the wizard's. */
export const DEF_ID = ':id{[0-9a-fA-F-]{36}}';

// The API shapes these pages alone read (the fields shown; extra fields are ignored); the shared ones are in ../types.ts.
export interface ScheduleView {
  kind: string;
  cron: string | null;
  intervalSeconds: number | null;
  paused: boolean;
  effectivelyPaused: boolean;
  note: string | null;
}

interface QuarantineEntry {
  id: string;
  sourceKey: string;
  reason: string;
  detail: unknown;
  firstSeenAt: string;
  lastSeenAt: string;
}

interface LedgerEntry {
  sourceKey: string;
  targetId: string | null;
  listItemId: string | null;
  provenance: string;
  lastPushedAt: string | null;
}

const CONFLICT_POLICIES = [
  { value: 'source_wins', label: 'The table wins' },
  { value: 'sharepoint_wins', label: 'SharePoint wins' },
  { value: 'latest_wins', label: 'The latest change wins' },
  { value: 'manual', label: 'Decide by hand (conflict queue)' },
];
export const DIRECTIONS = [
  { value: 'push', label: 'Push: table → lists' },
  { value: 'ingress', label: 'Ingress: lists → table' },
  { value: 'both', label: 'Both ways' },
];
const ACTIVE = ['queued', 'running', 'awaiting_approval'];

/** How many quarantine or ledger entries a page shows. */
const ENTRY_PAGE = 50;

const OPS: Record<string, string> = { eq: '=', ne: '≠', gt: '>', gte: '≥', lt: '<', lte: '≤' };
const scalarText = (v: string | number | boolean | null) => (v === null ? 'empty (null)' : typeof v === 'string' ? JSON.stringify(v) : String(v));

/** A routing rule as a sentence-like expression, e.g. `region = "EU" and not (amount > 100)`. */
export function ruleText(rule: RoutingRule | null | undefined): string {
  if (!rule) return '—';
  const nested = (r: RoutingRule) => ('all' in r || 'any' in r ? `(${ruleText(r)})` : ruleText(r));
  if ('all' in rule) return rule.all.map(nested).join(' and ');
  if ('any' in rule) return rule.any.map(nested).join(' or ');
  if ('not' in rule) return `not (${ruleText(rule.not)})`;
  if ('values' in rule) return `${rule.column} is ${rule.op === 'in' ? 'one of' : 'none of'} ${rule.values.map(scalarText).join(', ')}`;
  return `${rule.column} ${OPS[rule.op] ?? rule.op} ${scalarText(rule.value)}`;
}

/** "every 10 minutes", "cron 0 * * * * (UTC)". */
export function scheduleText(s: { cron: string | null; intervalSeconds: number | null }): string {
  if (s.cron) return `cron ${s.cron} (UTC)`;
  const n = s.intervalSeconds ?? 0;
  if (n % 3600 === 0) return `every ${n / 3600} hour${n === 3600 ? '' : 's'}`;
  if (n % 60 === 0) return `every ${n / 60} minute${n === 60 ? '' : 's'}`;
  return `every ${n} seconds`;
}

const defPath = (id: string) => `/ui/definitions/${id}`;

/** The settings form's values: the definition's, or what the user sent (kept on an error). */
interface SettingsValues {
  direction: string;
  conflictPolicy: string;
  enabled: boolean;
  scheduleIntervalSeconds: string;
}

const SETTINGS_FIELDS = {
  direction: 'settings-direction',
  conflictPolicy: 'settings-conflict',
  enabled: 'settings-enabled',
  scheduleIntervalSeconds: 'settings-interval',
};

async function renderDefinition(c: UiContext, id: string, opts: { problem?: Problem; values?: SettingsValues } = {}) {
  const api = c.get('api');
  const viewer = c.get('viewer');
  const def = await api.need<Definition>(`/v1/sync-definitions/${id}`);
  const [summary, mappings, targets, schedules, instance, estimate] = await Promise.all([
    api.get<Summary>(`/v1/sync-definitions/${id}/summary`),
    api.get<Page<FieldMapping>>(`/v1/sync-definitions/${id}/field-mappings?limit=200`),
    api.get<Page<SyncTarget>>(`/v1/sync-definitions/${id}/targets?limit=200`),
    api.get<{ items: ScheduleView[] }>(`/v1/sync-definitions/${id}/schedules`),
    def.sourceInstanceId ? api.get<DatabaseInstance>(`/v1/database-instances/${def.sourceInstanceId}`) : Promise.resolve(null),
    def.direction !== 'ingress' ? api.get<RunEstimate>(`/v1/sync-definitions/${id}/estimate`) : Promise.resolve(null),
  ]);
  const sum = summary.ok ? summary.body : null;
  const scheduleItems = schedules.ok ? schedules.body.items : [];
  const push = scheduleItems.find((s) => s.kind === 'push');
  const values: SettingsValues = opts.values ?? {
    direction: def.direction,
    conflictPolicy: def.conflictPolicy,
    enabled: def.enabled,
    scheduleIntervalSeconds: push?.intervalSeconds ? String(push.intervalSeconds) : '',
  };
  const operator = can(viewer, 'operator');
  const problem = opts.problem;

  return page(
    c,
    { title: def.name, problem, fieldIds: SETTINGS_FIELDS },
    <>
      <nav aria-label="About this definition">
        <ul class="links">
          <li>
            <a href={`/ui/runs${qs({ definitionId: id })}`}>Runs</a>
          </li>
          <li>
            <a href={`${defPath(id)}/conflicts`}>Conflicts</a>
          </li>
          <li>
            <a href={`${defPath(id)}/drift`}>Drift reports</a>
          </li>
          <li>
            <a href={`${defPath(id)}/quarantine`}>Quarantine</a>
          </li>
          <li>
            <a href={`${defPath(id)}/ledger`}>Ledger</a>
          </li>
          <li>
            <a href={`/ui/runbooks${qs({ definitionId: id })}`}>Runbooks</a>
          </li>
        </ul>
      </nav>
      {operator ? (
        <div class="actions">
          {def.direction !== 'ingress' ? <Action viewer={viewer} action={`${defPath(id)}/run`} label="Run push now" /> : null}
          <Action viewer={viewer} action={`${defPath(id)}/provision`} label="Provision lists" />
        </div>
      ) : null}

      <h2>Facts</h2>
      <dl class="facts">
        <dt>Source table</dt>
        <dd class="mono">
          {def.sourceSchema}.{def.sourceTable}
        </dd>
        <dt>Instance</dt>
        <dd>
          {instance?.ok ? (
            <>
              {instance.body.name} <span class="muted mono">{`${instance.body.host}/${instance.body.databaseName}`}</span>
            </>
          ) : def.sourceInstanceId ? (
            <span class="mono">{def.sourceInstanceId}</span>
          ) : (
            'not pinned: each run uses the primary, or a healthy replica'
          )}
        </dd>
        <dt>Keys</dt>
        <dd>
          <span class="mono">{def.keyColumns.join(', ')}</span> <span class="muted">({def.keyStrategy})</span>
        </dd>
        <dt>Cursor</dt>
        <dd>
          {def.cursorStrategy === 'updated_at' ? (
            <>
              watermark column <span class="mono">{def.cursorColumn}</span>
            </>
          ) : def.cursorStrategy === 'logical_replication' ? (
            <>
              PostgreSQL logical replication: changes are read from the server's log and pushed within seconds (slot state:{' '}
              <span class="mono">GET /v1/sync-definitions/{def.id}/replication</span>)
            </>
          ) : (
            'full scan: every run compares all rows by content'
          )}
        </dd>
        <dt>Direction</dt>
        <dd>{directionLabel(def.direction)}</dd>
        <dt>Conflict policy</dt>
        <dd>{CONFLICT_POLICIES.find((p) => p.value === def.conflictPolicy)?.label ?? def.conflictPolicy}</dd>
        <dt>Lists</dt>
        <dd>{def.targetStrategy === 'conditional' ? 'several lists, chosen by routing rules' : 'one list'}</dd>
        <dt>Enabled</dt>
        <dd>{def.enabled ? 'yes: its schedules run' : 'no: its schedules are paused'}</dd>
        <dt>Warnings</dt>
        <dd>
          {def.sourceWarnings.length ? (
            <ul>
              {def.sourceWarnings.map((w) => (
                <li>{w.message ?? w.code}</li>
              ))}
            </ul>
          ) : (
            'none'
          )}
        </dd>
      </dl>

      <h2>Summary</h2>
      {sum ? (
        <dl class="facts">
          <dt>Last run</dt>
          <dd>
            {sum.lastRun ? (
              <>
                <a href={`/ui/runs/${sum.lastRun.id}`}>
                  {sum.lastRun.kind} run, <Status status={sum.lastRun.status} />
                </a>{' '}
                <When at={sum.lastRun.finishedAt ?? sum.lastRun.startedAt ?? sum.lastRun.createdAt} /> · {countsText(sum.lastRun.counts)}
              </>
            ) : (
              <Status status={null} />
            )}
          </dd>
          {estimate?.ok ? (
            <>
              <dt>Next push</dt>
              {estimate.body.etaSeconds !== null && estimate.body.etaSeconds >= LONG_RUN_SECONDS ? (
                <dd class="long-run">
                  <strong>Long run: </strong>
                  {estimate.body.note} It runs as bulk work: the connection's smaller runs go first, and it keeps its share of the budget (bulkShare) meanwhile.
                </dd>
              ) : (
                <dd>{estimate.body.note}</dd>
              )}
            </>
          ) : null}
          <dt>Ledger entries</dt>
          <dd>{sum.ledgerEntries}</dd>
          <dt>Quarantine</dt>
          <dd>{sum.quarantineOpen ? <a href={`${defPath(id)}/quarantine`}>{`${sum.quarantineOpen} open entries`}</a> : 'no open entries'}</dd>
          <dt>Active runs</dt>
          <dd>{sum.activeRuns}</dd>
          <dt>Next scheduled run</dt>
          <dd>
            <When at={sum.nextRunAt} />
          </dd>
        </dl>
      ) : (
        <p class="muted">The summary could not be read: {summary.ok ? '' : (summary.problem.detail ?? summary.problem.title)}</p>
      )}

      <h2>Field mappings</h2>
      {mappings.ok && mappings.body.items.length ? (
        <Table caption="Source columns and the list columns they fill" head={['Source column', 'List column', 'Type', 'Direction']}>
          {mappings.body.items.map((m) => (
            <tr>
              <td class="mono">{m.sourceColumn}</td>
              <td class="mono">{m.targetColumn}</td>
              <td>{m.targetType}</td>
              <td>{m.direction}</td>
            </tr>
          ))}
        </Table>
      ) : (
        <Empty>No field mappings saved: provisioning saves the proposed mapping.</Empty>
      )}

      <h2>Targets</h2>
      {targets.ok && targets.body.items.length ? (
        <Table
          caption="SharePoint lists this definition writes"
          head={
            operator
              ? ['List', 'Provisioned', 'Routing rule', 'Priority', 'Default', 'Actions']
              : ['List', 'Provisioned', 'Routing rule', 'Priority', 'Default']
          }
        >
          {targets.body.items.map((t) => (
            <tr>
              <td>
                {t.listDisplayName}
                <div class="muted mono">{t.siteId}</div>
              </td>
              <td>{t.listId ? <span class="mono">{t.listId}</span> : 'not yet'}</td>
              <td class="mono">{ruleText(t.routingRule)}</td>
              <td class="num">{t.priority}</td>
              <td>{t.isDefault ? 'yes: rows no rule matches' : 'no'}</td>
              {operator ? (
                <td>
                  <a href={`${defPath(id)}/lists/${t.id}`}>{`Edit ${t.listDisplayName}`}</a>
                  <Action
                    viewer={viewer}
                    action={`${defPath(id)}/lists/${t.id}/delete`}
                    label={`Remove ${t.listDisplayName}`}
                    danger
                    confirm={`Remove the list ${t.listDisplayName} from this definition? Its items stay in SharePoint; the ledger forgets them.`}
                  />
                </td>
              ) : null}
            </tr>
          ))}
        </Table>
      ) : (
        <Empty>No targets yet.</Empty>
      )}
      {operator && (def.targetStrategy === 'conditional' || !(targets.ok && targets.body.items.length)) ? (
        <p>
          <a href={`/ui/definitions/new/${id}/targets`}>Add a list</a>
        </p>
      ) : null}

      <h2>Schedules</h2>
      {scheduleItems.length ? (
        <Table
          caption="Schedules per operation"
          head={operator ? ['Operation', 'Schedule', 'State', 'Next run', 'Actions'] : ['Operation', 'Schedule', 'State', 'Next run']}
        >
          {scheduleItems.map((s) => (
            <tr>
              <td>{s.kind.replace(/_/g, ' ')}</td>
              <td>{scheduleText(s)}</td>
              <td>
                {s.paused ? <Status status="paused" /> : s.effectivelyPaused ? <Status status="paused" /> : <Status status="active" />}
                {!s.paused && s.effectivelyPaused ? <span class="muted"> (the definition is disabled)</span> : null}
                {s.paused && s.note ? <div class="muted">{s.note}</div> : null}
              </td>
              <td>
                <When at={sum?.schedules.find((x) => x.kind === s.kind)?.nextRunAt} />
              </td>
              {operator ? (
                <td>
                  {s.paused ? (
                    <Action viewer={viewer} action={`${defPath(id)}/schedules/${s.kind}/resume`} label={`Resume ${s.kind.replace(/_/g, ' ')}`} />
                  ) : (
                    <Action viewer={viewer} action={`${defPath(id)}/schedules/${s.kind}/pause`} label={`Pause ${s.kind.replace(/_/g, ' ')}`} />
                  )}
                  <Action viewer={viewer} action={`${defPath(id)}/schedules/${s.kind}/trigger`} label={`Run ${s.kind.replace(/_/g, ' ')} now`} />
                </td>
              ) : null}
            </tr>
          ))}
        </Table>
      ) : (
        <Empty>No schedules: runs start only on request.{operator ? ' Set an interval under Settings to schedule pushes.' : ''}</Empty>
      )}

      {operator ? (
        <>
          <h2>Settings</h2>
          <SettingsForm id={id} viewer={viewer} values={values} problem={problem} cron={push?.cron ?? null} />
          <h2>Delete</h2>
          <p>Deleting removes the definition, its targets, mappings, ledger and schedules. The SharePoint lists stay as they are.</p>
          <Action
            viewer={viewer}
            action={`${defPath(id)}/delete`}
            label="Delete definition"
            danger
            confirm={`Delete the definition "${def.name}"? This cannot be undone.`}
          />
        </>
      ) : null}
    </>,
  );
}

const SettingsForm: FC<{ id: string; viewer: Viewer; values: SettingsValues; problem: Problem | undefined; cron: string | null }> = ({
  id,
  viewer,
  values,
  problem,
  cron,
}) => {
  const enabledError = fieldError(problem, 'enabled');
  return (
    <form method="post" action={`${defPath(id)}/settings`}>
      <Csrf viewer={viewer} />
      <Select
        id={SETTINGS_FIELDS.direction}
        name="direction"
        label="Direction"
        options={DIRECTIONS}
        value={values.direction}
        hint="Ingress and both write to the table: the API checks the table can be written."
        error={fieldError(problem, 'direction')}
      />
      <Select
        id={SETTINGS_FIELDS.conflictPolicy}
        name="conflictPolicy"
        label="Conflict policy"
        options={CONFLICT_POLICIES}
        value={values.conflictPolicy}
        hint="Which side wins when a row and its item both changed (two-way sync)."
        error={fieldError(problem, 'conflictPolicy')}
      />
      <div class={enabledError ? 'field check invalid' : 'field check'}>
        {enabledError ? (
          <p class="field-error" id={`${SETTINGS_FIELDS.enabled}-error`}>
            {enabledError}
          </p>
        ) : null}
        <input
          type="checkbox"
          id={SETTINGS_FIELDS.enabled}
          name="enabled"
          value="on"
          checked={values.enabled}
          aria-describedby={enabledError ? `${SETTINGS_FIELDS.enabled}-error` : undefined}
        />{' '}
        <label for={SETTINGS_FIELDS.enabled}>Enabled (its schedules run)</label>
      </div>
      <Field
        id={SETTINGS_FIELDS.scheduleIntervalSeconds}
        name="scheduleIntervalSeconds"
        label="Push every (seconds)"
        type="number"
        min={10}
        value={values.scheduleIntervalSeconds}
        hint={
          cron ? `Pushes now run on the cron schedule ${cron} (UTC); an interval here replaces it.` : 'Between 10 and 604800. Leave empty for no push schedule.'
        }
        error={fieldError(problem, 'scheduleIntervalSeconds') ?? fieldError(problem, 'scheduleCron')}
      />
      <button type="submit">Save settings</button>
    </form>
  );
};

/** The PATCH body of a settings form: only what differs from the definition, so an unchanged guarded field never blocks a save. */
function settingsPatch(def: Definition, push: ScheduleView | undefined, f: SettingsValues): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  if (f.direction !== def.direction) patch.direction = f.direction;
  if (f.conflictPolicy !== def.conflictPolicy) patch.conflictPolicy = f.conflictPolicy;
  if (f.enabled !== def.enabled) patch.enabled = f.enabled;
  const raw = f.scheduleIntervalSeconds.trim();
  const current = push?.intervalSeconds ?? null;
  if (raw === '') {
    // Empty clears an interval schedule; a cron schedule (set through the API) is left alone.
    if (current !== null) patch.scheduleIntervalSeconds = null;
  } else {
    // Not a whole number: sent as it is, so the API's own message explains.
    const n = /^\d+$/.test(raw) ? Number(raw) : raw;
    if (n !== current) patch.scheduleIntervalSeconds = n;
  }
  return patch;
}

export function registerDefinitionPages(ui: Ui): void {
  ui.get(`/definitions/${DEF_ID}`, (c) => renderDefinition(c, c.req.param('id')));

  ui.post(`/definitions/${DEF_ID}/settings`, async (c) => {
    const id = c.req.param('id');
    const api = c.get('api');
    const f = await form(c);
    const values: SettingsValues = {
      direction: f.direction ?? '',
      conflictPolicy: f.conflictPolicy ?? '',
      enabled: f.enabled === 'on',
      scheduleIntervalSeconds: f.scheduleIntervalSeconds ?? '',
    };
    const def = await api.need<Definition>(`/v1/sync-definitions/${id}`);
    const schedules = await api.get<{ items: ScheduleView[] }>(`/v1/sync-definitions/${id}/schedules`);
    const push = schedules.ok ? schedules.body.items.find((s) => s.kind === 'push') : undefined;
    const patch = settingsPatch(def, push, values);
    if (Object.keys(patch).length === 0) {
      flash(c, 'Nothing to save: the settings were unchanged.');
      return c.redirect(defPath(id), 303);
    }
    const answer = await api.patch<Definition>(`/v1/sync-definitions/${id}`, patch);
    if (answer.ok) {
      flash(c, 'Settings saved.');
      return c.redirect(defPath(id), 303);
    }
    return renderDefinition(c, id, { problem: answer.problem, values });
  });

  ui.post(`/definitions/${DEF_ID}/run`, async (c) => {
    const id = c.req.param('id');
    const answer = await c.get('api').post<OperationTicket>(`/v1/sync-definitions/${id}/runs`);
    if (answer.ok) {
      flash(c, answer.body.state === 'joined' ? 'A push was already going: this is it.' : `Push ${answer.body.state}.`);
      return c.redirect(`/ui/runs/${answer.body.runId}`, 303);
    }
    return afterAction(c, answer, '', defPath(id));
  });

  ui.post(`/definitions/${DEF_ID}/lists/:tid{[0-9a-fA-F-]{36}}/delete`, async (c) => {
    const id = c.req.param('id');
    const answer = await c.get('api').delete(`/v1/sync-definitions/${id}/targets/${c.req.param('tid')}`);
    return afterAction(c, answer.ok ? { ok: true } : { ok: false, problem: answer.problem }, 'List removed from the definition.', defPath(id));
  });

  ui.post(`/definitions/${DEF_ID}/provision`, async (c) => {
    const id = c.req.param('id');
    const answer = await c.get('api').post<OperationTicket>(`/v1/sync-definitions/${id}/provision`);
    if (answer.ok) {
      flash(c, `Provisioning ${answer.body.state}.`);
      return c.redirect(`/ui/runs/${answer.body.runId}`, 303);
    }
    return afterAction(c, answer, '', defPath(id));
  });

  ui.post(`/definitions/${DEF_ID}/schedules/:kind{[a-z_]+}/:action{pause|resume|trigger}`, async (c) => {
    const { id, kind, action } = c.req.param();
    const answer = await c.get('api').post(`/v1/sync-definitions/${id}/schedules/${kind}/${action}`);
    const label = kind.replace(/_/g, ' ');
    const done = { pause: `The ${label} schedule is paused.`, resume: `The ${label} schedule is resumed.`, trigger: `The ${label} schedule fired.` }[action];
    return afterAction(c, answer, done ?? 'Done.', defPath(id));
  });

  ui.post(`/definitions/${DEF_ID}/delete`, async (c) => {
    const id = c.req.param('id');
    const answer = await c.get('api').delete(`/v1/sync-definitions/${id}`);
    // Gone on success: back to the dashboard; otherwise the definition says why.
    return afterAction(c, answer, 'The definition was deleted.', answer.ok ? '/ui' : defPath(id));
  });

  ui.get(`/definitions/${DEF_ID}/quarantine`, async (c) => {
    const id = c.req.param('id');
    const api = c.get('api');
    const key = c.req.query('key') ?? '';
    const cursor = c.req.query('cursor');
    const def = await api.need<Definition>(`/v1/sync-definitions/${id}`);
    const entries = await api.need<Page<QuarantineEntry>>(`/v1/sync-definitions/${id}/quarantine${qs({ key, cursor, limit: ENTRY_PAGE })}`);
    return page(
      c,
      { title: `Quarantine of ${def.name}` },
      <>
        <p>
          <a href={defPath(id)}>Back to {def.name}</a>
        </p>
        <p>Rows that could not be synced, with the reason. An entry closes when its row syncs, after it is fixed at the source.</p>
        <KeySearch action={`${defPath(id)}/quarantine`} value={key} />
        {entries.items.length ? (
          <Table
            caption={key ? `Open entries whose key contains "${key}"` : 'Open entries'}
            head={['Source key', 'Reason', 'Detail', 'First seen', 'Last seen']}
          >
            {entries.items.map((e) => (
              <tr>
                <td class="mono">{e.sourceKey}</td>
                <td>{e.reason}</td>
                <td class="mono">{detailText(e.detail)}</td>
                <td>
                  <When at={e.firstSeenAt} />
                </td>
                <td>
                  <When at={e.lastSeenAt} />
                </td>
              </tr>
            ))}
          </Table>
        ) : (
          <Empty>{key ? 'No open entry has that key.' : 'Nothing in quarantine.'}</Empty>
        )}
        {entries.nextCursor ? (
          <p>
            <a href={`${defPath(id)}/quarantine${qs({ key, cursor: entries.nextCursor })}`}>Next page of quarantine entries</a>
          </p>
        ) : null}
      </>,
    );
  });

  ui.get(`/definitions/${DEF_ID}/ledger`, async (c) => {
    const id = c.req.param('id');
    const api = c.get('api');
    const key = c.req.query('key') ?? '';
    const cursor = c.req.query('cursor');
    const def = await api.need<Definition>(`/v1/sync-definitions/${id}`);
    const [entries, targets] = await Promise.all([
      api.need<Page<LedgerEntry>>(`/v1/sync-definitions/${id}/ledger${qs({ key, cursor, limit: ENTRY_PAGE })}`),
      api.get<Page<SyncTarget>>(`/v1/sync-definitions/${id}/targets?limit=200`),
    ]);
    const listName = new Map((targets.ok ? targets.body.items : []).map((t) => [t.id, t.listDisplayName]));
    return page(
      c,
      { title: `Ledger of ${def.name}` },
      <>
        <p>
          <a href={defPath(id)}>Back to {def.name}</a>
        </p>
        <p>Where each source row lives in SharePoint, in source-key order.</p>
        <KeySearch action={`${defPath(id)}/ledger`} value={key} />
        {entries.items.length ? (
          <Table
            caption={key ? `Ledger entries whose key contains "${key}"` : 'Ledger entries'}
            head={['Source key', 'List', 'Item id', 'Written by', 'Last pushed']}
          >
            {entries.items.map((e) => (
              <tr>
                <td class="mono">{e.sourceKey}</td>
                <td>{e.targetId ? (listName.get(e.targetId) ?? e.targetId) : '—'}</td>
                <td class="mono">{e.listItemId ?? '—'}</td>
                <td>{e.provenance}</td>
                <td>
                  <When at={e.lastPushedAt} />
                </td>
              </tr>
            ))}
          </Table>
        ) : (
          <Empty>{key ? 'No ledger entry has that key.' : 'The ledger is empty: nothing was synced yet.'}</Empty>
        )}
        {entries.nextCursor ? (
          <p>
            <a href={`${defPath(id)}/ledger${qs({ key, cursor: entries.nextCursor })}`}>Next page of ledger entries</a>
          </p>
        ) : null}
      </>,
    );
  });
}

/** The key search both entry lists take: a GET form, so a search is a link one can share. */
const KeySearch: FC<{ action: string; value: string }> = ({ action, value }) => (
  <form method="get" action={action} class="filters" role="search">
    <Field id="key-search" name="key" label="Source key contains" type="search" value={value} />
    <button type="submit">Search</button>
  </form>
);

function detailText(detail: unknown): string {
  if (detail === null || detail === undefined) return '—';
  const text = typeof detail === 'string' ? detail : JSON.stringify(detail);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/** Used by the wizard: whether a run is still going. */
export const isActive = (status: string | undefined) => !!status && ACTIVE.includes(status);
