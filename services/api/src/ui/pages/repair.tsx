import type { FC, PropsWithChildren } from 'hono/jsx';
import { qs, UiProblem, type Problem, type UiApi } from '../api.ts';
import type { Ui, UiContext } from '../index.tsx';
import { afterAction, flash, form, formAll, page } from '../index.tsx';
import { Action, can, Checkbox, Csrf, Empty, Field, fieldError, Select, Status, Table, When } from '../kit.tsx';
import type { Database, DatabaseInstance, Definition, DriftReport, FieldMapping, OperationTicket, Page } from '../types.ts';
import { allDefinitions, show } from './runs.tsx';

/*
 * Putting things right: conflicts the `manual` policy left to a person (both versions side by
 * side, then keep one, write values of one's own, or dismiss), drift reports (what a check found,
 * and a repair planned from one), and the runbooks people start when something went wrong
 * (failover / rebind, ledger rebuild, drift check, reshard). Operations are asked of the API and
 * the user lands on the run page, where the plan waits for approval.
 */

interface Conflict {
  id: string;
  definitionId: string;
  sourceKey: string;
  status: 'open' | 'resolved' | 'dismissed';
  sourceValue: Record<string, unknown> | null;
  listValue: Record<string, unknown> | null;
  resolution: { keep: string; values?: Record<string, unknown>; by: string; at: string; appliedAt: string | null; error?: string } | null;
  createdAt: string;
  updatedAt: string;
}

const CONFLICT_STATUSES = ['open', 'resolved', 'dismissed'] as const;

/** Drift classes: what a repair acts on. The descriptions follow the API's. */
const DRIFT_CLASSES: Array<{ key: string; label: string; about: string }> = [
  { key: 'orphanItems', label: 'Orphan items', about: 'Items whose key no row of the table has' },
  { key: 'missingItems', label: 'Missing items', about: 'Rows push would write that no list item carries' },
  { key: 'valueDrift', label: 'Value drift', about: 'Items whose fields differ from what push would write for their row' },
  { key: 'ledgerDrift', label: 'Ledger drift', about: 'Ledger entries whose item does not exist, or whose key an item of another list carries' },
  { key: 'duplicates', label: 'Duplicates', about: 'Keys carried by more than one item' },
];
/** Counted by a check, but not drift: nothing to repair. */
const READ_COUNTS: Array<{ key: string; label: string }> = [
  { key: 'rowsRead', label: 'Rows read' },
  { key: 'itemsRead', label: 'Items read' },
  { key: 'ledgerEntries', label: 'Ledger entries' },
  { key: 'unkeyedItems', label: 'Items without a key (made in SharePoint, not ingested yet)' },
  { key: 'misrouted', label: 'Rows in another list than routing chooses now (a reshard moves them)' },
  { key: 'rowsNotWritten', label: 'Rows push does not write (quarantined or soft-deleted)' },
];

const driftTotal = (counts: Record<string, unknown>) =>
  DRIFT_CLASSES.reduce((n, c) => n + (typeof counts[c.key] === 'number' ? (counts[c.key] as number) : 0), 0);

const differences = (n: number) => (n === 0 ? 'clean' : n === 1 ? '1 difference' : `${n} differences`);

const classLabel = (key: string) => DRIFT_CLASSES.find((c) => c.key === key)?.label ?? key;

/** The runbook forms' checkboxes: they send "true" when ticked. */
const Check: FC<{ id: string; name: string; label: string; checked?: boolean; hint?: string; value?: string }> = (props) => (
  <Checkbox {...props} value={props.value ?? 'true'} extraClass="rb-check" />
);

const definitionOptions = (defs: Definition[]) => [{ value: '', label: 'Choose a definition' }, ...defs.map((d) => ({ value: d.id, label: d.name }))];

// ---------------------------------------------------------------- conflicts

/** Values as the page compares them: numbers as numbers, dates by their day when one side has no time. */
function sameValue(a: unknown, b: unknown): boolean {
  const norm = (v: unknown): string => {
    if (v === null || v === undefined || v === '') return '';
    if (typeof v === 'boolean') return String(v);
    if (typeof v === 'number') return String(v);
    if (typeof v === 'string') {
      const t = v.trim();
      if (/^-?\d+(\.\d+)?$/.test(t)) return String(Number(t));
      if (t === 'true' || t === 'false') return t;
      return t;
    }
    return JSON.stringify(v);
  };
  const x = norm(a);
  const y = norm(b);
  if (x === y) return true;
  // '2026-01-02' (a date column) and '2026-01-02T00:00:00Z' (the list's dateTime) are one day.
  const day = /^(\d{4}-\d{2}-\d{2})(T00:00:00(\.000)?Z?)?$/;
  const dx = day.exec(x);
  const dy = day.exec(y);
  return Boolean(dx && dy && dx[1] === dy[1]);
}

const ConflictsTable: FC<{ caption: string; conflicts: Array<Conflict & { definitionName?: string }>; withDefinition: boolean }> = ({
  caption,
  conflicts,
  withDefinition,
}) => (
  <Table caption={caption} head={[...(withDefinition ? ['Definition'] : []), 'Key', 'Status', 'Found', 'Conflict']}>
    {conflicts.map((k) => (
      <tr>
        {withDefinition ? (
          <td>
            <a href={`/ui/definitions/${k.definitionId}/conflicts`}>{k.definitionName ?? k.definitionId}</a>
          </td>
        ) : null}
        <td class="mono">{k.sourceKey}</td>
        <td>
          <Status status={k.status} />
        </td>
        <td>
          <When at={k.createdAt} />
        </td>
        <td>
          <a href={`/ui/conflicts/${k.id}`}>Compare versions of key {k.sourceKey}</a>
        </td>
      </tr>
    ))}
  </Table>
);

async function conflictPage(c: UiContext, cid: string, opts: { problem?: Problem; merged?: Record<string, string> } = {}) {
  const api = c.get('api');
  const viewer = c.get('viewer');
  const k = await api.need<Conflict>(`/v1/conflicts/${cid}`);
  const [def, mappings] = await Promise.all([
    api.need<Definition>(`/v1/sync-definitions/${k.definitionId}`),
    api.get<Page<FieldMapping>>(`/v1/sync-definitions/${k.definitionId}/field-mappings?limit=200`),
  ]);
  const maps = mappings.ok ? mappings.body.items : [];
  const src = k.sourceValue ?? {};
  const list = k.listValue ?? {};
  const mapped = new Set(maps.map((m) => m.sourceColumn));
  const rows = [
    ...maps.map((m) => ({
      field: m.sourceColumn,
      listLabel: m.listColumn?.displayName ?? m.targetColumn,
      table: src[m.sourceColumn],
      list: list[m.targetColumn],
      compared: true,
    })),
    // Columns of the row that are not synced: shown for context, never compared.
    ...Object.keys(src)
      .filter((col) => !mapped.has(col))
      .map((col) => ({ field: col, listLabel: 'not synced', table: src[col], list: undefined, compared: false })),
  ];
  const editable = maps.filter((m) => !def.keyColumns.includes(m.sourceColumn));
  const fieldIds = Object.fromEntries(editable.map((m, i) => [`values.${m.sourceColumn}`, `merge-${i}`]));
  const open = k.status === 'open';
  const differing = rows.filter((r) => r.compared && !sameValue(r.table, r.list)).length;
  return page(
    c,
    { title: `Conflict on key ${k.sourceKey}`, section: 'conflicts', ...(opts.problem ? { problem: opts.problem } : {}), fieldIds },
    <>
      <dl class="facts">
        <dt>Definition</dt>
        <dd>
          <a href={`/ui/definitions/${def.id}`}>{def.name}</a> (<a href={`/ui/definitions/${def.id}/conflicts`}>its conflicts</a>)
        </dd>
        <dt>Status</dt>
        <dd>
          <Status status={k.status} />
        </dd>
        <dt>Found</dt>
        <dd>
          <When at={k.createdAt} />
        </dd>
        {k.resolution ? (
          <>
            <dt>Resolution</dt>
            <dd>
              kept {k.resolution.keep === 'source' ? "the table's version" : k.resolution.keep === 'list' ? "the list's version" : 'values written by hand'}, by{' '}
              {k.resolution.by} at <When at={k.resolution.at} />;{' '}
              {k.resolution.appliedAt ? (
                <>
                  applied at <When at={k.resolution.appliedAt} />
                </>
              ) : (
                'not applied yet (the ingress run it asked for applies it)'
              )}
              {k.resolution.error ? `; last attempt failed: ${k.resolution.error}` : ''}
            </dd>
          </>
        ) : null}
      </dl>
      <h2>Both versions</h2>
      {k.sourceValue === null ? <p>The row had been deleted from the table when the list item changed.</p> : null}
      <p>
        {differing} of {rows.filter((r) => r.compared).length} synced fields differ.
      </p>
      <Table
        caption="The table's row and the list item, field by field"
        head={['Field (table column)', 'List column', 'In the table', 'In the list', 'Compared']}
      >
        {rows.map((r) => {
          const same = r.compared && sameValue(r.table, r.list);
          return (
            <tr class={r.compared && !same ? 'differs' : undefined}>
              <th scope="row" class="mono">
                {r.field}
              </th>
              <td>{r.listLabel}</td>
              <td class="mono">{show(r.table)}</td>
              <td class="mono">{r.compared ? show(r.list) : '—'}</td>
              <td>{!r.compared ? 'not synced' : same ? 'Same' : <strong>Differs</strong>}</td>
            </tr>
          );
        })}
      </Table>
      {open && can(viewer, 'operator') ? (
        <section aria-labelledby="resolve-h">
          <h2 id="resolve-h">Resolve</h2>
          <p>
            Resolving asks for an ingress run, which writes the kept version to the table and to the list item. Dismissing writes nothing now; the next push
            sends the table's version.
          </p>
          <div class="actions">
            <Action viewer={viewer} action={`/ui/conflicts/${k.id}/resolve`} label="Keep the table's version" fields={{ keep: 'source' }} />
            <Action viewer={viewer} action={`/ui/conflicts/${k.id}/resolve`} label="Keep the list's version" fields={{ keep: 'list' }} />
            <Action viewer={viewer} action={`/ui/conflicts/${k.id}/dismiss`} label="Dismiss" confirm="Dismiss this conflict without writing anything?" />
          </div>
          {editable.length ? (
            <form method="post" action={`/ui/conflicts/${k.id}/resolve`}>
              <Csrf viewer={viewer} />
              <input type="hidden" name="keep" value="merged" />
              <fieldset>
                <legend>Or write values of your own</legend>
                <p class="hint">
                  Starts from the table's values. Only the fields you change are written over the table's; an emptied field becomes empty (null).
                </p>
                {editable.map((m, i) => (
                  <Field
                    id={`merge-${i}`}
                    name={`value.${m.sourceColumn}`}
                    label={m.sourceColumn}
                    value={opts.merged?.[m.sourceColumn] ?? textOf(src[m.sourceColumn])}
                    hint={`In the list: ${show(list[m.targetColumn])}`}
                    error={fieldError(opts.problem, `values.${m.sourceColumn}`)}
                  />
                ))}
                <button type="submit">Keep these values</button>
              </fieldset>
            </form>
          ) : null}
        </section>
      ) : null}
    </>,
  );
}

/** A value as a form field shows it (the canonical text the API takes back). */
const textOf = (v: unknown): string => (v === null || v === undefined ? '' : typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v));

// ---------------------------------------------------------------- drift

async function newestReports(api: UiApi, definitionId: string, cursor: string | undefined) {
  return api.need<Page<DriftReport>>(`/v1/sync-definitions/${definitionId}/drift-reports${qs({ limit: 25, cursor })}`);
}

// ---------------------------------------------------------------- runbooks

type RunbookKind = 'rebind' | 'ledger_rebuild' | 'drift_check' | 'reshard';
const RUNBOOK_KINDS: RunbookKind[] = ['rebind', 'ledger_rebuild', 'drift_check', 'reshard'];

interface RunbookInput {
  kind: RunbookKind;
  values: Record<string, string>;
  definitionIds: string[];
}

/** What the runbook page shows each form with: the submitted values (kept after an error) or the defaults. */
async function runbooksPage(c: UiContext, opts: { definitionId: string; submitted?: RunbookInput; problem?: Problem }) {
  const api = c.get('api');
  const viewer = c.get('viewer');
  const [defs, instances, databases] = await Promise.all([
    allDefinitions(api),
    api.get<Page<DatabaseInstance>>('/v1/database-instances?limit=200'),
    api.get<Page<Database>>('/v1/databases?limit=200'),
  ]);
  const dbName = new Map((databases.ok ? databases.body.items : []).map((d) => [d.id, d.name]));
  const insts = instances.ok ? instances.body.items : [];
  const sub = opts.submitted;
  // The submitted form keeps what the user entered; the others start fresh.
  const v = (kind: RunbookKind, name: string, dflt = '') => (sub?.kind === kind ? (sub.values[name] ?? '') : dflt);
  const ticked = (kind: RunbookKind, name: string, dflt: boolean) => (sub?.kind === kind ? sub.values[name] === 'true' : dflt);
  const chosenDefs = sub?.kind === 'rebind' ? new Set(sub.definitionIds) : new Set(opts.definitionId ? [opts.definitionId] : []);
  const err = (kind: RunbookKind, field: string) => (sub?.kind === kind ? fieldError(opts.problem, field) : undefined);
  const prefix = sub ? `rb-${sub.kind.replace('_', '-')}` : '';
  const fieldIds: Record<string, string> = sub
    ? {
        definitionId: `${prefix}-definition`,
        'options.toInstanceId': `${prefix}-instance`,
        'options.cursor': `${prefix}-cursor`,
        'options.rewindSeconds': `${prefix}-rewind`,
        definitionIds: `${prefix}-definitions`,
      }
    : {};
  const operator = can(viewer, 'operator');
  const chosen = defs.find((d) => d.id === opts.definitionId);
  const DefinitionSelect: FC<{ kind: RunbookKind }> = ({ kind }) => (
    <Select
      id={`rb-${kind.replace('_', '-')}-definition`}
      name="definitionId"
      label="Definition"
      required
      options={definitionOptions(defs)}
      value={v(kind, 'definitionId', opts.definitionId)}
      error={err(kind, 'definitionId')}
    />
  );
  /** A runbook's form, for an operator: its definition (unless it has fields of its own for that), its options, its button. */
  const RunbookForm: FC<PropsWithChildren<{ kind: RunbookKind; submit: string; definition?: boolean }>> = ({ kind, submit, definition = true, children }) =>
    operator ? (
      <form method="post" action={`/ui/runbooks/${kind}`}>
        <Csrf viewer={viewer} />
        {definition ? <DefinitionSelect kind={kind} /> : null}
        {children}
        <button type="submit">{submit}</button>
      </form>
    ) : null;
  return page(
    c,
    { title: 'Runbooks', section: 'runbooks', ...(opts.problem ? { problem: opts.problem } : {}), fieldIds },
    <>
      <p>
        The operations to start when something went wrong. Each one runs as a run of its definition: you land on its page, which shows its check, its plan and
        the approval it waits for, and what it did.
      </p>
      {operator ? null : <p class="notice info">Starting these needs the operator role; you are signed in as {viewer.role}.</p>}

      <section aria-labelledby="rb-rebind-h">
        <h2 id="rb-rebind-h">Fail over to another database instance (rebind)</h2>
        <p>
          When a database's primary failed and a replica took over, or the table moved to another server: the run checks the new instance (reachable, the table
          fits the definition, row counts and highest watermark compared), waits for your approval, pauses the schedules, points the definition at the new
          instance (or makes it the database's primary), re-baselines the push cursor, resumes the schedules and asks for a catch-up push.
        </p>
        <RunbookForm kind="rebind" submit="Start the failover" definition={false}>
          <Select
            id="rb-rebind-instance"
            name="toInstanceId"
            label="New instance"
            required
            options={[
              { value: '', label: 'Choose an instance' },
              ...insts.map((i) => ({ value: i.id, label: `${dbName.get(i.databaseId) ?? 'database'} / ${i.name} (${i.role}, ${i.status})` })),
            ]}
            value={v('rebind', 'toInstanceId')}
            error={err('rebind', 'options.toInstanceId') ?? err('rebind', 'toInstanceId')}
          />
          <fieldset id="rb-rebind-definitions" aria-describedby={err('rebind', 'definitionIds') ? 'rb-rebind-definitions-error' : undefined}>
            <legend>Definitions to move</legend>
            {err('rebind', 'definitionIds') ? (
              <p class="field-error" id="rb-rebind-definitions-error">
                {err('rebind', 'definitionIds')}
              </p>
            ) : null}
            <Check
              id="rb-rebind-all"
              name="allOfDatabase"
              label="Every definition of the new instance's database"
              checked={ticked('rebind', 'allOfDatabase', false)}
              hint="The whole database fails over: one rebind run per definition."
            />
            {defs.map((d, i) => (
              <Check
                id={`rb-rebind-def-${i}`}
                name="definitionIds"
                value={d.id}
                label={`${d.name} (${dbName.get(d.databaseId) ?? d.databaseId})`}
                checked={chosenDefs.has(d.id)}
              />
            ))}
          </fieldset>
          <Select
            id="rb-rebind-cursor"
            name="cursor"
            label="Push cursor afterwards"
            options={[
              { value: 'keep', label: 'Keep the watermark, moved back (rows committed late on the old primary are read again)' },
              { value: 'full', label: 'Full pass (every row compared on the next push)' },
            ]}
            value={v('rebind', 'cursor', 'keep')}
            error={err('rebind', 'options.cursor')}
          />
          <Field
            id="rb-rebind-rewind"
            name="rewindSeconds"
            label="Move the watermark back by (seconds)"
            type="number"
            min={0}
            value={v('rebind', 'rewindSeconds', '3600')}
            hint="With 'keep': how far back the next push starts reading. 0 to 2592000."
            error={err('rebind', 'options.rewindSeconds')}
          />
          <Check
            id="rb-rebind-promote"
            name="promote"
            label="Make the new instance the database's primary (the old primary becomes a replica)"
            checked={ticked('rebind', 'promote', false)}
            hint="Needed when the definition writes to its table (ingress or two-way) and the new instance is a replica."
          />
          <Check id="rb-rebind-dry" name="dryRun" label="Dry run: only check the new instance and report" checked={ticked('rebind', 'dryRun', false)} />
          <Check id="rb-rebind-approve" name="approve" label="Approve in advance (no wait after a good check)" checked={ticked('rebind', 'approve', false)} />
        </RunbookForm>
      </section>

      <section aria-labelledby="rb-ledger-h">
        <h2 id="rb-ledger-h">Rebuild the ledger</h2>
        <p>
          Disaster recovery: when SyncBridge's own database was lost or restored from an old backup, the ledger (which row is which list item) is rebuilt from
          the key column of the lists. A dry run only counts what it would write.
        </p>
        <RunbookForm kind="ledger_rebuild" submit="Rebuild the ledger">
          <Check id="rb-ledger-rebuild-dry" name="dryRun" label="Dry run: only count" checked={ticked('ledger_rebuild', 'dryRun', true)} />
        </RunbookForm>
      </section>

      <section aria-labelledby="rb-drift-h">
        <h2 id="rb-drift-h">Check for drift</h2>
        <p>
          Compares the table, the ledger and the lists and reports what differs, changing nothing. From its report you can plan a repair, which waits for your
          approval.
        </p>
        <RunbookForm kind="drift_check" submit="Run a drift check" />
        {chosen ? (
          <p>
            <a href={`/ui/definitions/${chosen.id}/drift`}>Drift reports of {chosen.name}</a>
          </p>
        ) : null}
      </section>

      <section aria-labelledby="rb-reshard-h">
        <h2 id="rb-reshard-h">Reshard</h2>
        <p>
          After the routing rules changed: moves the items whose rows now route to another list. The run plans the moves and waits for your approval unless
          approved in advance.
        </p>
        <RunbookForm kind="reshard" submit="Plan a reshard">
          <Check id="rb-reshard-dry" name="dryRun" label="Dry run: only plan the moves" checked={ticked('reshard', 'dryRun', false)} />
          <Check id="rb-reshard-approve" name="approve" label="Approve in advance" checked={ticked('reshard', 'approve', false)} />
        </RunbookForm>
      </section>
    </>,
  );
}

/** The options a runbook form asks the API for. */
function runbookOptions(kind: RunbookKind, values: Record<string, string>): Record<string, unknown> {
  const flag = (name: string) => (values[name] === 'true' ? { [name]: true } : {});
  switch (kind) {
    case 'rebind': {
      const rewind = values['rewindSeconds']?.trim();
      return {
        toInstanceId: values['toInstanceId'] ?? '',
        cursor: values['cursor'] === 'full' ? 'full' : 'keep',
        // A number the API checks (0 to 30 days); text that is no number is sent as it is, so its message names the field.
        ...(rewind ? { rewindSeconds: /^\d+$/.test(rewind) ? Number(rewind) : rewind } : {}),
        ...flag('promote'),
        ...flag('dryRun'),
        ...flag('approve'),
      };
    }
    case 'ledger_rebuild':
      return { ...flag('dryRun') };
    case 'reshard':
      return { ...flag('dryRun'), ...flag('approve') };
    case 'drift_check':
      return {};
  }
}

const startedText = (kind: string, t: OperationTicket) =>
  `${kind.replace(/_/g, ' ')} ${t.state === 'joined' ? 'was already asked for: this is that run' : t.state === 'queued' ? `queued${t.reason ? ` (${t.reason})` : ''}` : 'started'}.`;

// ---------------------------------------------------------------- routes

export function registerRepairPages(ui: Ui): void {
  // ---- conflicts
  ui.get('/conflicts', async (c) => {
    const api = c.get('api');
    const defs = await allDefinitions(api);
    // Push-only definitions never have conflicts: not asked.
    const pages = await Promise.all(
      defs
        .filter((d) => d.direction !== 'push')
        .map(async (d) => {
          const p = await api.get<Page<Conflict>>(`/v1/sync-definitions/${d.id}/conflicts?status=open&limit=200`);
          return { d, items: p.ok ? p.body.items : [], more: p.ok && Boolean(p.body.nextCursor), failed: !p.ok };
        }),
    );
    const all = pages.flatMap((p) => p.items.map((k) => ({ ...k, definitionName: p.d.name })));
    const more = pages.filter((p) => p.more);
    return page(
      c,
      { title: 'Open conflicts', section: 'conflicts' },
      <>
        <p>Rows changed in the table and in the list since their last sync, which a definition's manual conflict policy leaves to a person.</p>
        {all.length === 0 ? <Empty>No open conflicts.</Empty> : <ConflictsTable caption="Open conflicts of every definition" conflicts={all} withDefinition />}
        {more.length ? (
          <ul>
            {more.map((p) => (
              <li>
                <a href={`/ui/definitions/${p.d.id}/conflicts`}>More open conflicts of {p.d.name}</a>
              </li>
            ))}
          </ul>
        ) : null}
        {pages.some((p) => p.failed) ? <p class="muted">The conflicts of some definitions could not be read.</p> : null}
      </>,
    );
  });

  ui.get('/definitions/:id/conflicts', async (c) => {
    const api = c.get('api');
    const id = c.req.param('id');
    const status = c.req.query('status') ?? 'open';
    const cursor = c.req.query('cursor');
    const def = await api.need<Definition>(`/v1/sync-definitions/${id}`);
    const apiStatus = status === 'all' ? undefined : status;
    const list = await api.get<Page<Conflict>>(`/v1/sync-definitions/${id}/conflicts${qs({ status: apiStatus, cursor, limit: 50 })}`);
    return page(
      c,
      { title: `Conflicts of ${def.name}`, section: 'conflicts', ...(list.ok ? {} : { problem: list.problem }) },
      <>
        <p>
          <a href={`/ui/definitions/${id}`}>Back to {def.name}</a>
        </p>
        <form method="get" action={`/ui/definitions/${id}/conflicts`} class="filters" aria-label="Filter conflicts">
          <Select
            id="f-conflict-status"
            name="status"
            label="Status"
            value={status}
            options={[...CONFLICT_STATUSES.map((s) => ({ value: s, label: s })), { value: 'all', label: 'all' }]}
          />
          <button type="submit">Show conflicts</button>
        </form>
        {!list.ok ? null : list.body.items.length === 0 ? (
          <Empty>No {status === 'all' ? '' : `${status} `}conflicts.</Empty>
        ) : (
          <ConflictsTable
            caption={`${status === 'all' ? 'All' : status[0]!.toUpperCase() + status.slice(1)} conflicts, oldest first`}
            conflicts={list.body.items}
            withDefinition={false}
          />
        )}
        {list.ok && list.body.nextCursor ? (
          <p>
            <a href={`/ui/definitions/${id}/conflicts${qs({ status, cursor: list.body.nextCursor })}`}>Next page of conflicts</a>
          </p>
        ) : null}
      </>,
    );
  });

  ui.get('/conflicts/:cid', (c) => conflictPage(c, c.req.param('cid')));

  ui.post('/conflicts/:cid/resolve', async (c) => {
    const api = c.get('api');
    const cid = c.req.param('cid');
    const body = await form(c);
    const keep = body['keep'] ?? '';
    const to = `/ui/conflicts/${cid}`;
    let values: Record<string, string | null> | undefined;
    const merged: Record<string, string> = {};
    if (keep === 'merged') {
      // Only what the user changed is written over the table's values (the API keeps the rest).
      const k = await api.need<Conflict>(`/v1/conflicts/${cid}`);
      values = {};
      for (const [name, text] of Object.entries(body)) {
        if (!name.startsWith('value.')) continue;
        const col = name.slice('value.'.length);
        merged[col] = text;
        if (text !== textOf(k.sourceValue?.[col])) values[col] = text === '' ? null : text;
      }
    }
    const answer = await api.post<{ ticket: OperationTicket }>(`/v1/conflicts/${cid}/resolve`, { keep, ...(values ? { values } : {}) });
    if (answer.ok) {
      flash(c, `Resolved. An ingress run applies it: run ${answer.body.ticket.runId.slice(0, 8)} (${startedText('ingress', answer.body.ticket)})`);
      return c.redirect(to, 303);
    }
    // Field errors of written values: the form again, with the user's values and the API's messages.
    if (keep === 'merged' && answer.problem.errors?.length) return conflictPage(c, cid, { problem: answer.problem, merged });
    return afterAction(c, answer, '', to);
  });

  ui.post('/conflicts/:cid/dismiss', async (c) => {
    const cid = c.req.param('cid');
    const answer = await c.get('api').post(`/v1/conflicts/${cid}/dismiss`);
    return afterAction(c, answer, 'Dismissed: nothing was written; the next push sends the table’s version.', `/ui/conflicts/${cid}`);
  });

  // ---- drift
  ui.get('/definitions/:id/drift', async (c) => {
    const api = c.get('api');
    const viewer = c.get('viewer');
    const id = c.req.param('id');
    const def = await api.need<Definition>(`/v1/sync-definitions/${id}`);
    const reports = await newestReports(api, id, c.req.query('cursor'));
    return page(
      c,
      { title: `Drift of ${def.name}`, section: 'runbooks' },
      <>
        <p>
          <a href={`/ui/definitions/${id}`}>Back to {def.name}</a>
        </p>
        <p>
          A drift check compares the table, the ledger and the lists and reports what differs, changing nothing. A repair planned from a report waits for
          approval on its run page.
        </p>
        {can(viewer, 'operator') ? (
          <div class="actions">
            <Action viewer={viewer} action={`/ui/definitions/${id}/drift-check`} label="Run a drift check" />
          </div>
        ) : null}
        {reports.items.length === 0 ? (
          <Empty>No drift checks yet.</Empty>
        ) : (
          <Table caption="Drift reports, newest first" head={['Report', ...DRIFT_CLASSES.map((k) => k.label), 'Graph requests']}>
            {reports.items.map((r) => (
              <tr>
                <td>
                  <a href={`/ui/drift-reports/${r.id}`}>
                    <span class="visually-hidden">Report of </span>
                    <When at={r.createdAt} />
                  </a>
                  <div class="muted">{differences(driftTotal(r.counts))}</div>
                </td>
                {DRIFT_CLASSES.map((k) => (
                  <td class="num">{r.counts[k.key] ?? 0}</td>
                ))}
                <td class="num">{r.graphRequests}</td>
              </tr>
            ))}
          </Table>
        )}
        {reports.nextCursor ? (
          <p>
            <a href={`/ui/definitions/${id}/drift${qs({ cursor: reports.nextCursor })}`}>Older drift reports</a>
          </p>
        ) : null}
      </>,
    );
  });

  ui.post('/definitions/:id/drift-check', async (c) => {
    const id = c.req.param('id');
    const answer = await c.get('api').post<OperationTicket>(`/v1/sync-definitions/${id}/operations/drift_check`, { options: {} });
    if (answer.ok) {
      flash(c, `Drift check ${startedText('drift_check', answer.body).replace(/^drift check /, '')}`);
      return c.redirect(`/ui/runs/${answer.body.runId}`, 303);
    }
    return afterAction(c, answer, '', `/ui/definitions/${id}/drift`);
  });

  ui.get('/drift-reports/:rid', async (c) => {
    const api = c.get('api');
    const viewer = c.get('viewer');
    const r = await api.need<DriftReport & { counts: Record<string, number> }>(`/v1/drift-reports/${c.req.param('rid')}`);
    const def = await api.get<Definition>(`/v1/sync-definitions/${r.definitionId}`);
    const total = driftTotal(r.counts);
    const sampled = Object.entries(r.samples ?? {}).filter(([, s]) => s.length > 0);
    return page(
      c,
      { title: `Drift report of ${def.ok ? def.body.name : 'a definition'}`, section: 'runbooks' },
      <>
        <dl class="facts">
          <dt>Definition</dt>
          <dd>
            <a href={`/ui/definitions/${r.definitionId}`}>{def.ok ? def.body.name : r.definitionId}</a> (
            <a href={`/ui/definitions/${r.definitionId}/drift`}>its drift reports</a>)
          </dd>
          <dt>Checked</dt>
          <dd>
            <When at={r.createdAt} />
          </dd>
          <dt>Check run</dt>
          <dd>{r.runId ? <a href={`/ui/runs/${r.runId}`}>The drift check run</a> : '—'}</dd>
          <dt>Graph requests</dt>
          <dd>{r.graphRequests}</dd>
          <dt>Result</dt>
          <dd>{total === 0 ? 'Clean: table, ledger and lists agree.' : `${differences(total)} found.`}</dd>
        </dl>
        <Table caption="Drift per class" head={['Class', 'What it means', 'Count']}>
          {DRIFT_CLASSES.map((k) => (
            <tr>
              <th scope="row">{k.label}</th>
              <td>{k.about}</td>
              <td class="num">{r.counts[k.key] ?? 0}</td>
            </tr>
          ))}
        </Table>
        <Table caption="What the check read (not drift)" head={['Count', 'Value']}>
          {READ_COUNTS.map((k) => (
            <tr>
              <th scope="row">{k.label}</th>
              <td class="num">{r.counts[k.key] ?? 0}</td>
            </tr>
          ))}
        </Table>
        {total > 0 && can(viewer, 'operator') ? (
          <section aria-labelledby="repair-h">
            <h2 id="repair-h">Repair</h2>
            <p>The repair run plans what to do about each difference and waits for your approval on its page before it changes anything.</p>
            <form method="post" action={`/ui/drift-reports/${r.id}/repair`}>
              <Csrf viewer={viewer} />
              <Check id="repair-dry" name="dryRun" label="Dry run: only make the plan, never apply it" />
              <button type="submit">Plan a repair</button>
            </form>
          </section>
        ) : null}
        <h2>Samples</h2>
        {sampled.length === 0 ? (
          <Empty>No samples: nothing differs.</Empty>
        ) : (
          sampled.map(([cls, samples]) => (
            <>
              <h3>{classLabel(cls)}</h3>
              <Table caption={`Keys of ${classLabel(cls).toLowerCase()} (up to 20)`} head={['Key', 'List', 'Item', 'Detail']}>
                {samples.map((s) => (
                  <tr>
                    <td class="mono">{show(s['sourceKey'])}</td>
                    <td class="mono">{show(s['targetId'])}</td>
                    <td class="mono">{show(s['listItemId'])}</td>
                    <td>{show(s['detail'])}</td>
                  </tr>
                ))}
              </Table>
            </>
          ))
        )}
      </>,
    );
  });

  ui.post('/drift-reports/:rid/repair', async (c) => {
    const api = c.get('api');
    const rid = c.req.param('rid');
    const body = await form(c);
    const report = await api.need<DriftReport>(`/v1/drift-reports/${rid}`);
    const answer = await api.post<OperationTicket>(`/v1/sync-definitions/${report.definitionId}/operations/drift_repair`, {
      options: { reportId: rid, ...(body['dryRun'] === 'true' ? { dryRun: true } : {}) },
    });
    if (answer.ok) {
      flash(c, `Repair ${startedText('drift_repair', answer.body).replace(/^drift repair /, '')} Its plan waits for approval here.`);
      return c.redirect(`/ui/runs/${answer.body.runId}`, 303);
    }
    return afterAction(c, answer, '', `/ui/drift-reports/${rid}`);
  });

  // ---- runbooks
  ui.get('/runbooks', (c) => runbooksPage(c, { definitionId: c.req.query('definitionId') ?? '' }));

  ui.post('/runbooks/:kind', async (c) => {
    const api = c.get('api');
    const kind = c.req.param('kind') as RunbookKind;
    if (!RUNBOOK_KINDS.includes(kind)) throw new UiProblem({ status: 404, title: 'Not found', detail: `There is no runbook ${kind}.` });
    const values = await form(c);
    let definitionIds = kind === 'rebind' ? await formAll(c, 'definitionIds') : values['definitionId'] ? [values['definitionId']] : [];
    const submitted: RunbookInput = { kind, values, definitionIds };
    const again = (problem: Problem) => runbooksPage(c, { definitionId: values['definitionId'] ?? '', submitted, problem });

    if (kind === 'rebind' && values['allOfDatabase'] === 'true' && values['toInstanceId']) {
      // The whole database: every definition reading from the new instance's database.
      const inst = await api.get<DatabaseInstance>(`/v1/database-instances/${values['toInstanceId']}`);
      if (inst.ok)
        definitionIds = [...new Set([...definitionIds, ...(await allDefinitions(api)).filter((d) => d.databaseId === inst.body.databaseId).map((d) => d.id)])];
    }
    if (definitionIds.length === 0) {
      const field = kind === 'rebind' ? 'definitionIds' : 'definitionId';
      const message = kind === 'rebind' ? 'choose the definitions to move, or every definition of the database' : 'choose a definition';
      return again({ status: 400, title: 'Check the form', errors: [{ field, message }] });
    }

    const options = runbookOptions(kind, values);
    const started: Array<{ definitionId: string; ticket: OperationTicket }> = [];
    const refused: Array<{ definitionId: string; problem: Problem }> = [];
    for (const id of definitionIds) {
      const answer = await api.post<OperationTicket>(`/v1/sync-definitions/${id}/operations/${kind}`, { options });
      if (answer.ok) started.push({ definitionId: id, ticket: answer.body });
      else refused.push({ definitionId: id, problem: answer.problem });
    }
    if (started.length === 0) {
      // Nothing started: the form again, with the API's message (for one definition, its field errors too).
      const first = refused[0]!.problem;
      return again(
        refused.length === 1 ? first : { ...first, detail: `${refused.length} definitions refused; the first: ${first.detail ?? first.title ?? ''}` },
      );
    }
    if (started.length === 1 && refused.length === 0) {
      flash(
        c,
        startedText(kind, started[0]!.ticket).replace(/^./, (ch) => ch.toUpperCase()),
      );
      return c.redirect(`/ui/runs/${started[0]!.ticket.runId}`, 303);
    }
    const names = new Map((await allDefinitions(api)).map((d) => [d.id, d.name]));
    flash(
      c,
      `${started.length} ${kind.replace(/_/g, ' ')} runs asked for.` +
        (refused.length
          ? ` Refused for ${refused.map((r) => `${names.get(r.definitionId) ?? r.definitionId} (${r.problem.detail ?? r.problem.title ?? r.problem.status})`).join('; ')}.`
          : ''),
    );
    return c.redirect(`/ui/runs${qs({ kind })}`, 303);
  });
}
