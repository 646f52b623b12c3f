import type { Child, FC } from 'hono/jsx';
import { SHAREPOINT_COLUMN_TYPES } from '@syncbridge/shared/mapping';
import type { Problem } from '../api.ts';
import { qs } from '../api.ts';
import type { Ui, UiContext } from '../index.tsx';
import { flash, flashProblem, form, formAll, page, requireUiRole } from '../index.tsx';
import { can, Checkbox, Csrf, Empty, Field, fieldError, Notice, Select, Status, Table } from '../kit.tsx';
import type {
  App,
  Database,
  DatabaseInstance,
  Definition,
  FieldMapping,
  FieldMappingProposal,
  OperationTicket,
  Page,
  RoutingRule,
  RunView,
  SharePointConnection,
  SharePointSite,
  SourceColumn,
  SourceSchemaSnapshot,
  SourceTable,
  SyncTarget,
} from '../types.ts';
import { DEF_ID, DIRECTIONS, isActive, ruleText } from './definitions.tsx';

/*
 * The definition wizard: five server-rendered steps, each a plain form posting to the next, so
 * it works from the keyboard and without scripts. Nothing is kept in server memory between
 * steps: steps 1 and 2 carry their choices in the URL and hidden fields; step 2 creates the
 * definition, and steps 3 to 5 read and change that definition (mapping, targets, lists) by id.
 */

const STEPS = ['Source', 'Keys and watermark', 'Mapping', 'Targets', 'Provision and first run'] as const;
const WIZ = '/ui/definitions/new';

// The API shapes the wizard reads are in ../types.ts; these are the parts of them it also makes itself.
/** What steps 1 and 2 use of a table (a table the schema did not list stands as one without columns or keys). */
type TableFacts = Pick<SourceTable, 'schema' | 'name' | 'kind' | 'columns' | 'primaryKey' | 'uniqueKeys' | 'notes'>;
/** A column a routing rule may test: from the live table (with its type family) or from the saved mapping (name only). */
type RuleColumn = Pick<SourceColumn, 'name'> & Partial<Pick<SourceColumn, 'typeFamily'>>;
/** The mapping fields a row of step 3 starts from: a proposed or a saved mapping. */
type MappingFields = Pick<FieldMapping, 'sourceColumn' | 'targetColumn' | 'targetType' | 'converterOptions' | 'transforms' | 'direction'>;

/** The step indicator: where the user is, and the steps of an existing definition as links back. */
const Steps: FC<{ current: number; definitionId?: string }> = ({ current, definitionId }) => {
  const href = (n: number) => (definitionId ? [undefined, undefined, 'mapping', 'targets', 'provision'][n - 1] : undefined);
  return (
    <ol class="steps" aria-label="Steps of the wizard">
      {STEPS.map((label, i) => {
        const n = i + 1;
        const to = href(n);
        const text = `${n}. ${label}`;
        return <li aria-current={n === current ? 'step' : undefined}>{to && n !== current ? <a href={`${WIZ}/${definitionId}/${to}`}>{text}</a> : text}</li>;
      })}
    </ol>
  );
};

const stepTitle = (n: number) => `New sync: ${STEPS[n - 1]} (step ${n} of ${STEPS.length})`;

function wizardPage(c: UiContext, n: number, opts: { problem?: Problem; fieldIds?: Record<string, string>; definitionId?: string }, body: Child) {
  return page(
    c,
    { title: stepTitle(n), section: 'wizard', problem: opts.problem, fieldIds: opts.fieldIds ?? {} },
    <>
      <Steps current={n} definitionId={opts.definitionId} />
      {body}
    </>,
  );
}

// ---------------------------------------------------------------- step 1: source

/** The app's instances, each with its database (instances belong to databases, databases to apps). */
async function instancesOfApp(c: UiContext, appId: string): Promise<Array<{ db: Database; instance: DatabaseInstance }>> {
  const api = c.get('api');
  const dbs = await api.get<Page<Database>>(`/v1/databases${qs({ appId, limit: 200 })}`);
  if (!dbs.ok) return [];
  const lists = await Promise.all(
    dbs.body.items.map(async (db) => {
      const inst = await api.get<Page<DatabaseInstance>>(`/v1/database-instances${qs({ databaseId: db.id, limit: 200 })}`);
      return (inst.ok ? inst.body.items : []).map((instance) => ({ db, instance }));
    }),
  );
  return lists.flat();
}

/** Tables a definition can name: not partitions (their partitioned table is named instead). */
const syncable = (t: SourceTable) => t.kind !== 'partition';
const tableValue = (t: { schema: string; name: string }) => JSON.stringify([t.schema, t.name]);
function parseTableValue(v: string | undefined): { schema: string; table: string } | null {
  try {
    const parsed: unknown = JSON.parse(v ?? '');
    if (Array.isArray(parsed) && parsed.length === 2 && parsed.every((x) => typeof x === 'string' && x)) return { schema: parsed[0], table: parsed[1] };
  } catch {
    // not a value this form wrote
  }
  return null;
}

async function sourceStep(c: UiContext, opts: { problem?: Problem; appName?: string; ownerTeam?: string } = {}) {
  const api = c.get('api');
  const viewer = c.get('viewer');
  const apps = (await api.need<Page<App>>('/v1/apps?limit=200')).items;
  if (apps.length === 0) {
    return wizardPage(
      c,
      1,
      { ...(opts.problem ? { problem: opts.problem } : {}), fieldIds: { name: 'wiz-app-name', ownerTeam: 'wiz-app-team' } },
      can(viewer, 'admin') ? (
        <>
          <h2>Create the app first</h2>
          <p>Every definition belongs to an app (the application whose data it syncs). There is none yet.</p>
          <form method="post" action={`${WIZ}/app`}>
            <Csrf viewer={viewer} />
            <Field id="wiz-app-name" name="name" label="App name" required value={opts.appName} error={fieldError(opts.problem, 'name')} />
            <Field id="wiz-app-team" name="ownerTeam" label="Owner team" required value={opts.ownerTeam} error={fieldError(opts.problem, 'ownerTeam')} />
            <button type="submit">Create the app</button>
          </form>
        </>
      ) : (
        <Notice kind="info">There are no apps yet. An admin creates the app (and registers its database) before a definition can be made.</Notice>
      ),
    );
  }

  const appId = c.req.query('appId') ?? (apps.length === 1 ? apps[0]!.id : '');
  const known = apps.some((a) => a.id === appId);
  const instances = known ? await instancesOfApp(c, appId) : [];
  const instanceId = instances.some((i) => i.instance.id === c.req.query('instanceId')) ? c.req.query('instanceId')! : '';
  const schema = instanceId ? await api.get<SourceSchemaSnapshot>(`/v1/database-instances/${instanceId}/schema`) : null;
  const tables = schema?.ok ? schema.body.tables.filter(syncable) : [];
  const ready = !!instanceId && tables.length > 0;

  return wizardPage(
    c,
    1,
    { ...(schema && !schema.ok ? { problem: schema.problem } : {}), fieldIds: { appId: 'wiz-app', instanceId: 'wiz-instance', table: 'wiz-table' } },
    <>
      <p>Choose the table to sync. Each choice narrows the next: app, then its database instance, then a table of its live schema.</p>
      <form method="post" action={WIZ}>
        <Csrf viewer={viewer} />
        <Select
          id="wiz-app"
          name="appId"
          label="App"
          options={[{ value: '', label: 'Choose an app' }, ...apps.map((a) => ({ value: a.id, label: a.name }))]}
          value={known ? appId : ''}
        />
        {known ? (
          instances.length ? (
            <Select
              id="wiz-instance"
              name="instanceId"
              label="Source database instance"
              hint="The definition is pinned to this instance; its tables are read live."
              options={[
                { value: '', label: 'Choose an instance' },
                ...instances.map(({ db, instance }) => ({
                  value: instance.id,
                  label: `${db.name} / ${instance.name} (${db.engine}, ${instance.role}, ${instance.host}/${instance.databaseName})`,
                })),
              ]}
              value={instanceId}
            />
          ) : (
            <Notice kind="info">
              This app has no database instance yet. <a href="/ui/instances">Register its database and instance</a> first.
            </Notice>
          )
        ) : null}
        {instanceId && schema?.ok ? (
          tables.length ? (
            <>
              <input type="hidden" name="tablesOf" value={instanceId} />
              <Select
                id="wiz-table"
                name="table"
                label="Table"
                hint="From the instance's live schema. Views can be pushed but never written back."
                options={tables.map((t) => ({
                  value: tableValue(t),
                  label: `${t.schema}.${t.name} (${t.kind.replace(/_/g, ' ')}${t.rowEstimate?.rows != null ? `, about ${t.rowEstimate.rows} rows` : ''}${t.notes.some((n) => n.code === 'no_usable_key') ? ', no usable key' : ''})`,
                }))}
              />
              <Field id="wiz-name" name="name" label="Definition name" hint="Unique in the app. Empty: the table's name." />
            </>
          ) : (
            <Empty>The instance has no tables this user can see.</Empty>
          )
        ) : null}
        <button type="submit">{ready ? 'Next: keys and watermark' : 'Continue'}</button>
      </form>
    </>,
  );
}

// ---------------------------------------------------------------- step 2: keys and watermark

interface KeysValues {
  appId: string;
  instanceId: string;
  schema: string;
  table: string;
  name: string;
  keyStrategy: string;
  keyColumns: string[];
  cursorStrategy: string;
  cursorColumn: string;
  direction: string;
  targetStrategy: string;
}

const TIME_FAMILIES = new Set(['timestamp', 'timestamptz', 'date']);
const INTEGER_FAMILIES = new Set(['smallint', 'integer', 'bigint']);
const NUMBER_FAMILIES = new Set(['smallint', 'integer', 'bigint', 'numeric', 'real', 'double']);
const CHANGE_NAME = /updat|modif|chang|edit|touch|mtime/i;
const VERSION_NAME = /version|revision|(^|_)rev(_|$)/i;

/** The watermark to propose: a change timestamp (updated_at, modified_at, ...), else a version counter; none otherwise. */
function proposedCursor(table: TableFacts): string | null {
  const time = table.columns.find((col) => TIME_FAMILIES.has(col.typeFamily) && CHANGE_NAME.test(col.name));
  const version = table.columns.find((col) => INTEGER_FAMILIES.has(col.typeFamily) && VERSION_NAME.test(col.name));
  return (time ?? version)?.name ?? null;
}

function proposedKeys(table: TableFacts): Pick<KeysValues, 'keyStrategy' | 'keyColumns' | 'cursorStrategy' | 'cursorColumn'> {
  const unique = table.uniqueKeys.find((k) => k.source !== 'primary_key');
  const keyColumns = table.primaryKey?.columns ?? unique?.columns ?? [];
  const cursor = proposedCursor(table);
  return {
    keyStrategy: table.primaryKey ? 'pk' : unique ? (unique.columns.length > 1 ? 'composite' : 'unique') : 'pk',
    keyColumns,
    cursorStrategy: cursor ? 'updated_at' : 'full_scan',
    cursorColumn: cursor ?? '',
  };
}

const KEY_FIELDS = {
  name: 'wiz-name',
  keyStrategy: 'wiz-key-strategy',
  keyColumns: 'wiz-key-0',
  cursorStrategy: 'wiz-cursor-strategy',
  cursorColumn: 'wiz-cursor-column',
  direction: 'wiz-direction',
  targetStrategy: 'wiz-target-strategy',
};

async function loadTable(c: UiContext, instanceId: string, schema: string, table: string): Promise<TableFacts> {
  const snap = await c.get('api').need<SourceSchemaSnapshot>(`/v1/database-instances/${instanceId}/schema${qs({ schema, table })}`);
  const found = snap.tables.find((t) => t.schema === schema && t.name === table);
  if (!found) return { schema, name: table, kind: 'table', columns: [], primaryKey: null, uniqueKeys: [], notes: [] };
  return found;
}

function keysStep(c: UiContext, table: TableFacts, v: KeysValues, problem?: Problem) {
  const viewer = c.get('viewer');
  const keyError = fieldError(problem, 'keyColumns');
  const columnLabel = (col: SourceColumn) => `${col.name} (${col.dataType}${col.nullable ? ', nullable' : ''})`;
  return wizardPage(
    c,
    2,
    { ...(problem ? { problem } : {}), fieldIds: KEY_FIELDS },
    <>
      <p>
        Table <span class="mono">{`${v.schema}.${v.table}`}</span>. The key identifies each row in its list; the watermark finds what changed since the last
        run. The proposals come from the table's primary key and columns; the API checks your choice against the live table.
      </p>
      {table.notes.length ? (
        <Notice kind="info">
          <ul>
            {table.notes.map((n) => (
              <li>{n.message}</li>
            ))}
          </ul>
        </Notice>
      ) : null}
      <form method="post" action={`${WIZ}/keys`}>
        <Csrf viewer={viewer} />
        <input type="hidden" name="appId" value={v.appId} />
        <input type="hidden" name="instanceId" value={v.instanceId} />
        <input type="hidden" name="schema" value={v.schema} />
        <input type="hidden" name="table" value={v.table} />
        <Field id={KEY_FIELDS.name} name="name" label="Definition name" required value={v.name} error={fieldError(problem, 'name')} />
        <h2>Key</h2>
        <Select
          id={KEY_FIELDS.keyStrategy}
          name="keyStrategy"
          label="Key strategy"
          options={[
            { value: 'pk', label: 'The primary key' },
            { value: 'unique', label: 'A unique constraint or index' },
            { value: 'composite', label: 'Several columns that include a unique key' },
          ]}
          value={v.keyStrategy}
          error={fieldError(problem, 'keyStrategy')}
        />
        <fieldset aria-describedby={keyError ? 'wiz-key-error' : undefined}>
          <legend>Key columns</legend>
          {keyError ? (
            <p class="field-error" id="wiz-key-error">
              {keyError}
            </p>
          ) : null}
          {table.columns.map((col, i) => (
            <div class={keyError ? 'field check invalid' : 'field check'}>
              <input
                type="checkbox"
                id={`wiz-key-${i}`}
                name="keyColumns"
                value={col.name}
                checked={v.keyColumns.includes(col.name)}
                aria-invalid={keyError ? 'true' : undefined}
              />{' '}
              <label for={`wiz-key-${i}`}>{columnLabel(col)}</label>
            </div>
          ))}
        </fieldset>
        <h2>Watermark</h2>
        <Select
          id={KEY_FIELDS.cursorStrategy}
          name="cursorStrategy"
          label="Change detection"
          options={[
            { value: 'updated_at', label: 'A watermark column (reads only changed rows)' },
            { value: 'full_scan', label: 'Full scan (compares every row by content)' },
            { value: 'logical_replication', label: "PostgreSQL logical replication (reads the server's log: changes reach the list within seconds)" },
          ]}
          value={v.cursorStrategy}
          error={fieldError(problem, 'cursorStrategy')}
        />
        <Select
          id={KEY_FIELDS.cursorColumn}
          name="cursorColumn"
          label="Watermark column"
          hint="A timestamp, date or version column that grows with every change. Used with a watermark column only."
          options={[{ value: '', label: 'None' }, ...table.columns.map((col) => ({ value: col.name, label: columnLabel(col) }))]}
          value={v.cursorColumn}
          error={fieldError(problem, 'cursorColumn')}
        />
        <h2>Direction and lists</h2>
        <Select
          id={KEY_FIELDS.direction}
          name="direction"
          label="Direction"
          options={DIRECTIONS}
          value={v.direction}
          error={fieldError(problem, 'direction')}
          hint="Ingress and both write to the table: the API checks that it can."
        />
        <Select
          id={KEY_FIELDS.targetStrategy}
          name="targetStrategy"
          label="Lists"
          options={[
            { value: 'single', label: 'One list' },
            { value: 'conditional', label: 'Several lists: routing rules choose the list of each row (sharded)' },
          ]}
          value={v.targetStrategy}
          error={fieldError(problem, 'targetStrategy')}
        />
        <button type="submit">Create the definition and continue</button>
      </form>
      <p>
        <a href={`${WIZ}${qs({ appId: v.appId, instanceId: v.instanceId })}`}>Back to step 1: choose another table</a>
      </p>
    </>,
  );
}

// ---------------------------------------------------------------- step 3: mapping

interface MappingRow {
  source: string;
  include: boolean;
  target: string;
  type: string;
  proposedType: string;
  options: string;
  transforms: string;
  direction: string;
  notes: string[];
  errors: string[];
  /** Which input an error belongs to, for the error summary's link. */
  errorField?: 'target' | 'type' | 'include';
}

const rowId = (i: number, part: string) => `m${i}-${part}`;
/** Options kept when the type changes: the rest belong to the proposed type. */
const TYPE_NEUTRAL_OPTIONS = ['displayName', 'indexed'];

async function mappingRows(c: UiContext, id: string): Promise<{ rows: MappingRow[]; proposal: FieldMappingProposal } | { problem: Problem }> {
  const api = c.get('api');
  const [proposal, saved] = await Promise.all([
    api.post<FieldMappingProposal>(`/v1/sync-definitions/${id}/field-mappings/propose`, {}),
    api.get<Page<FieldMapping>>(`/v1/sync-definitions/${id}/field-mappings?limit=200`),
  ]);
  if (!proposal.ok) return { problem: proposal.problem };
  const savedItems = saved.ok ? saved.body.items : [];
  const bySource = new Map(savedItems.map((m) => [m.sourceColumn, m]));
  const row = (m: MappingFields, include: boolean, proposedType: string, notes: string[]): MappingRow => ({
    source: m.sourceColumn,
    include,
    target: m.targetColumn,
    type: m.targetType,
    proposedType,
    options: JSON.stringify(m.converterOptions ?? {}),
    transforms: JSON.stringify(m.transforms ?? []),
    direction: m.direction,
    notes,
    errors: [],
  });
  // A saved set (the user came back) wins over the proposal; before one is saved every proposed column is included.
  const rows = proposal.body.items.map((p) => {
    const s = bySource.get(p.sourceColumn);
    return s ? row(s, true, s.targetType, p.warnings) : row(p, savedItems.length === 0, p.targetType, p.warnings);
  });
  for (const s of savedItems) if (!rows.some((r) => r.source === s.sourceColumn)) rows.push(row(s, true, s.targetType, []));
  return { rows, proposal: proposal.body };
}

function mappingStep(c: UiContext, id: string, rows: MappingRow[], opts: { problem?: Problem; proposal?: FieldMappingProposal } = {}) {
  const viewer = c.get('viewer');
  const fieldIds: Record<string, string> = {};
  const types = SHAREPOINT_COLUMN_TYPES.map((t) => ({ value: t, label: t }));
  // Row errors are named "<source column> (<field>)" (see the POST): link each to its row's input.
  for (const [i, r] of rows.entries()) {
    fieldIds[`${r.source} (targetColumn)`] = rowId(i, 'target');
    fieldIds[`${r.source} (targetType)`] = rowId(i, 'type');
    for (const other of ['sourceColumn', 'converterOptions', 'transforms', 'direction']) fieldIds[`${r.source} (${other})`] = rowId(i, 'include');
  }
  const left = opts.proposal?.sensitive.filter((s) => !s.proposed && !rows.some((r) => r.source === s.sourceColumn)) ?? [];
  return wizardPage(
    c,
    3,
    { ...(opts.problem ? { problem: opts.problem } : {}), fieldIds, definitionId: id },
    <>
      <p>
        The proposed mapping of the table's columns to list columns. Leave a column out, rename its list column (a SharePoint internal name) or change its type,
        then save: the API checks the whole set against the live table.
      </p>
      {opts.proposal?.title ? (
        <p class="muted">
          {opts.proposal.title.filledFrom === 'key'
            ? `Each item's Title is filled from the key (${opts.proposal.title.sourceColumns.join(', ')}) unless a column is mapped to Title.`
            : `Title is filled from ${opts.proposal.title.sourceColumns.join(', ')}.`}
        </p>
      ) : null}
      {left.length ? (
        <Notice kind="info">
          Left out because they look sensitive: {left.map((s) => `${s.sourceColumn} (${s.reason})`).join('; ')}. Map one through the API to opt in.
        </Notice>
      ) : null}
      <form method="post" action={`${WIZ}/${id}/mapping`}>
        <Csrf viewer={viewer} />
        <input type="hidden" name="rows" value={String(rows.length)} />
        <Table caption="Column mapping" head={['Include', 'Source column', 'List column', 'Type', 'Notes']}>
          {rows.map((r, i) => {
            const err = r.errors.length ? rowId(i, 'error') : undefined;
            return (
              <tr class={r.errors.length ? 'invalid' : undefined}>
                <td>
                  <input type="hidden" name={`m${i}.source`} value={r.source} />
                  <input type="hidden" name={`m${i}.proposedType`} value={r.proposedType} />
                  <input type="hidden" name={`m${i}.options`} value={r.options} />
                  <input type="hidden" name={`m${i}.transforms`} value={r.transforms} />
                  <input type="hidden" name={`m${i}.direction`} value={r.direction} />
                  <input type="checkbox" id={rowId(i, 'include')} name={`m${i}.include`} value="on" checked={r.include} aria-describedby={err} />
                  <label for={rowId(i, 'include')} class="visually-hidden">{`Include ${r.source}`}</label>
                </td>
                <td class="mono">{r.source}</td>
                <td>
                  <label for={rowId(i, 'target')} class="visually-hidden">{`List column for ${r.source}`}</label>
                  <input
                    type="text"
                    id={rowId(i, 'target')}
                    name={`m${i}.target`}
                    value={r.target}
                    autocomplete="off"
                    aria-describedby={err}
                    aria-invalid={r.errors.length && r.errorField === 'target' ? 'true' : undefined}
                  />
                </td>
                <td>
                  <label for={rowId(i, 'type')} class="visually-hidden">{`Type of ${r.source}`}</label>
                  <select
                    id={rowId(i, 'type')}
                    name={`m${i}.type`}
                    aria-describedby={err}
                    aria-invalid={r.errors.length && r.errorField === 'type' ? 'true' : undefined}
                  >
                    {types.map((t) => (
                      <option value={t.value} selected={t.value === r.type}>
                        {t.label}
                      </option>
                    ))}
                  </select>
                </td>
                <td>
                  {r.errors.length ? (
                    <div class="field-error" id={err}>
                      {r.errors.join(' ')}
                    </div>
                  ) : null}
                  {r.notes.map((n) => (
                    <div class="muted">{n}</div>
                  ))}
                </td>
              </tr>
            );
          })}
        </Table>
        <button type="submit">Save the mapping and continue</button>
      </form>
    </>,
  );
}

function submittedRows(f: Record<string, string>): MappingRow[] {
  const n = Math.min(Number(f.rows ?? 0) || 0, 2000);
  const rows: MappingRow[] = [];
  for (let i = 0; i < n; i++) {
    const source = f[`m${i}.source`];
    if (!source) continue;
    rows.push({
      source,
      include: f[`m${i}.include`] === 'on',
      target: f[`m${i}.target`] ?? '',
      type: f[`m${i}.type`] ?? '',
      proposedType: f[`m${i}.proposedType`] ?? '',
      options: f[`m${i}.options`] ?? '{}',
      transforms: f[`m${i}.transforms`] ?? '[]',
      direction: f[`m${i}.direction`] ?? 'both',
      notes: [],
      errors: [],
    });
  }
  return rows;
}

const parseJson = <T,>(text: string, fallback: T): T => {
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
};

function mappingOf(r: MappingRow) {
  const options = parseJson<Record<string, unknown>>(r.options, {});
  const converterOptions = r.type === r.proposedType ? options : Object.fromEntries(Object.entries(options).filter(([k]) => TYPE_NEUTRAL_OPTIONS.includes(k)));
  return {
    sourceColumn: r.source,
    targetColumn: r.target.trim(),
    targetType: r.type,
    converterOptions,
    transforms: parseJson<unknown[]>(r.transforms, []),
    direction: r.direction,
  };
}

// ---------------------------------------------------------------- routing fields (step 4 and a list's page)

/** The routing fields of a list of a sharded definition, as the form holds them. */
interface RuleValues {
  isDefault: boolean;
  priority: string;
  ruleColumn: string;
  ruleOp: string;
  ruleValue: string;
}

/** The rule builder's fields with no rule. */
const NO_RULE: Pick<RuleValues, 'ruleColumn' | 'ruleOp' | 'ruleValue'> = { ruleColumn: '', ruleOp: 'eq', ruleValue: '' };

const RULE_OPS = [
  { value: 'eq', label: 'equals' },
  { value: 'ne', label: 'does not equal' },
  { value: 'gt', label: 'is greater than' },
  { value: 'gte', label: 'is at least' },
  { value: 'lt', label: 'is less than' },
  { value: 'lte', label: 'is at most' },
  { value: 'in', label: 'is one of (comma-separated)' },
  { value: 'not_in', label: 'is none of (comma-separated)' },
];

/**
 * Where the routing fields stand, by the prefix of their ids: `wiz` in the wizard's step 4 (a new
 * list: an empty priority is 0), `target` on a list's page (an empty priority is left as it is).
 */
const RULE_PLACES = {
  wiz: {
    legend: 'Routing rule (for a list that is not the default)',
    valueHint: 'Numbers and true/false are compared as such for number and boolean columns; null means an empty value.',
    priorityHint: 'Rules are tried from the lowest priority up. Empty: 0.',
  },
  target: {
    legend: 'Routing rule',
    valueHint: 'null means an empty value; for one of / none of, separate values with commas.',
    priorityHint: 'Rules are tried from the lowest priority up.',
  },
};
type RulePlace = keyof typeof RULE_PLACES;

/** The ids of RuleFields' inputs the API's field errors link to, for a page's error summary. */
const ruleFieldIds = (prefix: RulePlace) => ({ isDefault: `${prefix}-default`, priority: `${prefix}-priority`, routingRule: `${prefix}-rule-column` });

/**
 * The routing fields of a list of a sharded definition, in step 4 and on a list's page: default
 * list, a one-condition rule (column, condition, value) and priority, with ids `<prefix>-…`.
 * `fixedRule`, when given, stands instead of the rule's fields (a combined rule, which only the
 * API edits).
 */
const RuleFields: FC<{ prefix: RulePlace; values: RuleValues; columns: RuleColumn[]; problem: Problem | undefined; fixedRule?: Child }> = ({
  prefix,
  values: v,
  columns,
  problem,
  fixedRule,
}) => {
  const ids = ruleFieldIds(prefix);
  const { legend, valueHint, priorityHint } = RULE_PLACES[prefix];
  const ruleError = fieldError(problem, 'routingRule');
  return (
    <>
      <Checkbox
        id={ids.isDefault}
        name="isDefault"
        label="Default list: takes the rows no rule matches (it has no rule)"
        checked={v.isDefault}
        extraClass={fieldError(problem, 'isDefault') ? 'invalid' : undefined}
      />
      {fixedRule ?? (
        <fieldset>
          <legend>{legend}</legend>
          {ruleError ? (
            <p class="field-error" id={`${prefix}-rule-error`}>
              {ruleError}
            </p>
          ) : null}
          <Select
            id={ids.routingRule}
            name="ruleColumn"
            label="Column"
            options={[{ value: '', label: 'No rule' }, ...columns.map((col) => ({ value: col.name, label: col.name }))]}
            value={v.ruleColumn}
          />
          <Select id={`${prefix}-rule-op`} name="ruleOp" label="Condition" options={RULE_OPS} value={v.ruleOp} />
          <Field id={`${prefix}-rule-value`} name="ruleValue" label="Value" value={v.ruleValue} hint={valueHint} />
        </fieldset>
      )}
      <Field
        id={ids.priority}
        name="priority"
        label="Priority"
        type="number"
        min={0}
        value={v.priority}
        hint={priorityHint}
        error={fieldError(problem, 'priority')}
      />
    </>
  );
};

/** RuleFields' values as the form sent them (an unticked box sends nothing). */
const submittedRuleValues = (f: Record<string, string>): RuleValues => ({
  isDefault: f.isDefault === 'on',
  priority: f.priority ?? '',
  ruleColumn: f.ruleColumn ?? '',
  ruleOp: f.ruleOp ?? 'eq',
  ruleValue: f.ruleValue ?? '',
});

/** The priority the API takes: a whole number, or the text as typed (for the API's message); undefined when empty. */
function priorityOf(v: RuleValues): number | string | undefined {
  const priority = v.priority.trim();
  if (!priority) return undefined;
  return /^\d+$/.test(priority) ? Number(priority) : priority;
}

/** A value typed for the rule's column: numbers and booleans as such, `null` as null, anything else as text. */
function ruleScalar(text: string, family: string | undefined): string | number | boolean | null {
  const t = text.trim();
  if (/^null$/i.test(t)) return null;
  if (family && NUMBER_FAMILIES.has(family) && t !== '' && Number.isFinite(Number(t))) return Number(t);
  if (family === 'boolean' && /^(true|false)$/i.test(t)) return t.toLowerCase() === 'true';
  return t;
}

/** The routingRule the API takes, from the builder's column, operator and value (typed by the column's type); null without a column. */
async function buildRule(c: UiContext, def: Definition, v: RuleValues): Promise<RoutingRule | null> {
  if (!v.ruleColumn) return null;
  const family = (await ruleColumns(c, def)).find((col) => col.name === v.ruleColumn)?.typeFamily;
  if (v.ruleOp === 'in' || v.ruleOp === 'not_in') {
    const values = v.ruleValue.split(',').map((s) => ruleScalar(s, family));
    return { column: v.ruleColumn, op: v.ruleOp, values };
  }
  const op = (RULE_OPS.some((o) => o.value === v.ruleOp) ? v.ruleOp : 'eq') as 'eq';
  return { column: v.ruleColumn, op, value: ruleScalar(v.ruleValue, family) };
}

/** The source columns rules may test: from the live table, or else from the saved mapping. */
async function ruleColumns(c: UiContext, def: Definition): Promise<RuleColumn[]> {
  const api = c.get('api');
  if (def.sourceInstanceId) {
    const snap = await api.get<SourceSchemaSnapshot>(
      `/v1/database-instances/${def.sourceInstanceId}/schema${qs({ schema: def.sourceSchema, table: def.sourceTable })}`,
    );
    const table = snap.ok ? snap.body.tables.find((t) => t.schema === def.sourceSchema && t.name === def.sourceTable) : undefined;
    if (table) return table.columns;
  }
  const mappings = await api.get<Page<FieldMapping>>(`/v1/sync-definitions/${def.id}/field-mappings?limit=200`);
  return (mappings.ok ? mappings.body.items : []).map((m) => ({ name: m.sourceColumn }));
}

// ---------------------------------------------------------------- step 4: targets

interface TargetValues extends RuleValues {
  connectionId: string;
  search: string;
  siteId: string;
  listDisplayName: string;
}

const TARGET_FIELDS = {
  connectionId: 'wiz-connection',
  siteId: 'wiz-site',
  listDisplayName: 'wiz-list-name',
  ...ruleFieldIds('wiz'),
};

async function targetsStep(c: UiContext, id: string, given?: { values: TargetValues; problem: Problem }) {
  const api = c.get('api');
  const viewer = c.get('viewer');
  const def = await api.need<Definition>(`/v1/sync-definitions/${id}`);
  const [targets, connections, columns] = await Promise.all([
    api.need<Page<SyncTarget>>(`/v1/sync-definitions/${id}/targets?limit=200`),
    api.need<Page<SharePointConnection>>(`/v1/sharepoint-connections${qs({ appId: def.appId, limit: 200 })}`),
    ruleColumns(c, def),
  ]);
  const sharded = def.targetStrategy === 'conditional';
  const hasDefault = targets.items.some((t) => t.isDefault);
  const queried = c.req.query('connectionId') ?? '';
  const connectionId =
    given?.values.connectionId ?? (connections.items.some((x) => x.id === queried) ? queried : connections.items.length === 1 ? connections.items[0]!.id : '');
  const search = given?.values.search ?? c.req.query('search') ?? '';
  const sites = connectionId
    ? await api.get<{ items: SharePointSite[] }>(`/v1/sharepoint-connections/${connectionId}/sites${qs({ search: search || '*' })}`)
    : null;
  const v: TargetValues = given?.values ?? {
    connectionId,
    search,
    siteId: '',
    listDisplayName: targets.items.length ? '' : def.name,
    isDefault: !hasDefault,
    priority: '',
    ...NO_RULE,
  };
  const problem = given?.problem;
  const canAdd = sharded || targets.items.length === 0;

  return wizardPage(
    c,
    4,
    { ...(problem ? { problem } : {}), fieldIds: TARGET_FIELDS, definitionId: id },
    <>
      <p>
        {sharded
          ? 'Add the lists one by one. Each row goes to the first list (by priority) whose rule it matches; the default list takes rows no rule matches.'
          : 'Choose the site and name the list the rows go to. Provisioning (the next step) creates the list, or adopts one of that name.'}
      </p>
      <h2>Lists added</h2>
      {targets.items.length ? (
        <Table caption="Lists of this definition" head={['List', 'Site', 'Routing rule', 'Priority', 'Default']}>
          {targets.items.map((t) => (
            <tr>
              <td>{t.listDisplayName}</td>
              <td class="mono">{t.siteId}</td>
              <td class="mono">{ruleText(t.routingRule)}</td>
              <td class="num">{t.priority}</td>
              <td>{t.isDefault ? 'yes' : 'no'}</td>
            </tr>
          ))}
        </Table>
      ) : (
        <Empty>No list yet.</Empty>
      )}
      {targets.items.length ? (
        <p class="actions">
          <a class="button" href={`${WIZ}/${id}/provision`}>
            Next: provision and first run
          </a>
        </p>
      ) : null}

      {canAdd ? (
        <>
          <h2>{targets.items.length ? 'Add another list' : 'Add a list'}</h2>
          {connections.items.length === 0 ? (
            <Notice kind="info">
              The app has no SharePoint connection. <a href="/ui/connections">Add a SharePoint connection</a> first.
            </Notice>
          ) : (
            <>
              <h3>Find the site</h3>
              <form method="get" action={`${WIZ}/${id}/targets`} class="filters" role="search">
                <Select
                  id="wiz-find-connection"
                  name="connectionId"
                  label="SharePoint connection"
                  options={[{ value: '', label: 'Choose a connection' }, ...connections.items.map((x) => ({ value: x.id, label: x.name }))]}
                  value={connectionId}
                />
                <Field id="wiz-site-search" name="search" label="Site name contains" type="search" value={search} />
                <button type="submit">Search sites</button>
              </form>
              {sites && !sites.ok ? (
                <p class="field-error">{`The sites could not be listed: ${sites.problem.detail ?? sites.problem.title ?? sites.status}`}</p>
              ) : null}
              {sites?.ok ? (
                sites.body.items.length ? (
                  <>
                    <h3>The list</h3>
                    <form method="post" action={`${WIZ}/${id}/targets`}>
                      <Csrf viewer={viewer} />
                      <input type="hidden" name="connectionId" value={connectionId} />
                      <input type="hidden" name="search" value={search} />
                      <Select
                        id={TARGET_FIELDS.siteId}
                        name="siteId"
                        label="Site"
                        options={sites.body.items.map((s) => ({
                          value: s.id,
                          label: `${s.displayName ?? s.name ?? s.id}${s.webUrl ? ` (${s.webUrl})` : ''}`,
                        }))}
                        value={v.siteId}
                        error={fieldError(problem, 'siteId') ?? fieldError(problem, 'connectionId')}
                      />
                      <Field
                        id={TARGET_FIELDS.listDisplayName}
                        name="listDisplayName"
                        label="List name"
                        required
                        value={v.listDisplayName}
                        error={fieldError(problem, 'listDisplayName')}
                      />
                      {sharded ? (
                        <RuleFields prefix="wiz" values={v} columns={columns} problem={problem} />
                      ) : (
                        <input type="hidden" name="isDefault" value="on" />
                      )}
                      <button type="submit">Add the list</button>
                    </form>
                  </>
                ) : (
                  <Empty>No site matches. Search for another name.</Empty>
                )
              ) : null}
            </>
          )}
        </>
      ) : (
        <p class="muted">This definition writes one list. To shard rows over several lists, its target strategy must be "conditional".</p>
      )}
    </>,
  );
}

// ---------------------------------------------------------------- step 5: provision and first run

async function provisionState(c: UiContext, id: string, runId: string | undefined) {
  const api = c.get('api');
  const viewer = c.get('viewer');
  const def = await api.need<Definition>(`/v1/sync-definitions/${id}`);
  const targets = (await api.need<Page<SyncTarget>>(`/v1/sync-definitions/${id}/targets?limit=200`)).items;
  const run = runId ? await api.get<RunView>(`/v1/sync-runs/${runId}`) : null;
  const provisioned = targets.length > 0 && targets.every((t) => t.listId);
  // A run not recorded yet (404) is as good as queued: the coordinator has taken it.
  const status = run ? (run.ok ? run.body.status : run.status === 404 ? 'queued' : undefined) : undefined;
  const going = isActive(status);
  const stateUrl = `${WIZ}/${id}/provision/state${qs({ runId })}`;
  return (
    <div id="provision-state" aria-live="polite" {...(going ? { 'hx-get': stateUrl, 'hx-trigger': 'every 2s', 'hx-swap': 'outerHTML' } : {})}>
      {targets.length === 0 ? (
        <p>
          There is no list to provision. <a href={`${WIZ}/${id}/targets`}>Add a list (step 4)</a>.
        </p>
      ) : null}
      {runId ? (
        <p>
          Provisioning: <Status status={status ?? 'unknown'} /> <a href={`/ui/runs/${runId}`}>Follow the provisioning run</a>
          {going ? (
            <>
              {' · '}
              <a href={`${WIZ}/${id}/provision${qs({ runId })}`}>Refresh</a>
            </>
          ) : null}
        </p>
      ) : null}
      {run?.ok && run.body.errors.length ? (
        <ul>
          {run.body.errors.map((e) => (
            <li class="field-error">{typeof e === 'string' ? e : (e.message ?? e.code)}</li>
          ))}
        </ul>
      ) : null}
      {targets.length && !provisioned && !going ? (
        <form method="post" action={`${WIZ}/${id}/provision`}>
          <Csrf viewer={viewer} />
          <p>Provisioning creates each list (or adopts one of the same name) with its columns, and saves the mapping.</p>
          <button type="submit">{status === 'failed' ? 'Provision the lists again' : 'Provision the lists'}</button>
        </form>
      ) : null}
      {provisioned && !going ? (
        def.direction === 'ingress' ? (
          <p>The lists are ready. This definition brings list changes into the table: its runs start from the definition page.</p>
        ) : (
          <form method="post" action={`${WIZ}/${id}/run`}>
            <Csrf viewer={viewer} />
            <p>The lists are ready. The first push writes every row of the table.</p>
            <button type="submit">Run the first push</button>
          </form>
        )
      ) : null}
      {provisioned && !going && !def.enabled ? (
        // A new definition is created disabled: nothing runs on a schedule until someone turns it on.
        <form method="post" action={`${WIZ}/${id}/schedule`}>
          <Csrf viewer={viewer} />
          <h2>Schedule</h2>
          <Field
            id="wiz-interval"
            name="intervalSeconds"
            label={def.direction === 'ingress' ? 'Bring list changes in every (seconds)' : 'Push every (seconds)'}
            type="number"
            min={10}
            value={def.scheduleIntervalSeconds ?? 300}
            hint="The definition is off until you turn it on; runs you start by hand work either way."
          />
          <button type="submit">Turn the schedule on</button>
        </form>
      ) : null}
    </div>
  );
}

// ---------------------------------------------------------------- a list of a definition, after the wizard

const EDIT_FIELDS = { listDisplayName: 'target-list-name', ...ruleFieldIds('target') };

interface ListValues extends RuleValues {
  listDisplayName: string;
}

/** The builder's fields for a one-condition rule (or no rule); null for all/any/not rules, which only the API edits. */
function builderValues(rule: RoutingRule | null): typeof NO_RULE | null {
  if (!rule) return NO_RULE;
  if (!('column' in rule)) return null;
  const text = (x: string | number | boolean | null) => (x === null ? 'null' : String(x));
  return { ruleColumn: rule.column, ruleOp: rule.op, ruleValue: 'values' in rule ? rule.values.map(text).join(',') : text(rule.value) };
}

const listPath = (id: string, tid: string) => `/ui/definitions/${id}/lists/${tid}`;

async function listEditPage(c: UiContext, id: string, tid: string, given?: { values: ListValues; problem: Problem }) {
  const api = c.get('api');
  const viewer = c.get('viewer');
  const def = await api.need<Definition>(`/v1/sync-definitions/${id}`);
  const target = await api.need<SyncTarget>(`/v1/sync-definitions/${id}/targets/${tid}`);
  const sharded = def.targetStrategy === 'conditional';
  const builder = builderValues(target.routingRule);
  const v: ListValues = given?.values ?? {
    listDisplayName: target.listDisplayName,
    isDefault: target.isDefault,
    priority: String(target.priority),
    ...(builder ?? NO_RULE),
  };
  const columns = sharded && builder ? await ruleColumns(c, def) : [];
  const problem = given?.problem;
  return page(
    c,
    { title: `List ${target.listDisplayName} of ${def.name}`, section: 'dashboard', problem, fieldIds: EDIT_FIELDS },
    <>
      <p>
        <a href={`/ui/definitions/${id}`}>Back to {def.name}</a>
      </p>
      <p>
        A changed rule applies from the next push: the conditional strategy routes every row it writes, and moves rows whose list changed. To move every row at
        once, plan a reshard under <a href={`/ui/runbooks${qs({ definitionId: id })}`}>Runbooks</a>.
      </p>
      <form method="post" action={listPath(id, tid)}>
        <Csrf viewer={viewer} />
        <Field
          id={EDIT_FIELDS.listDisplayName}
          name="listDisplayName"
          label="List name"
          required
          value={v.listDisplayName}
          error={fieldError(problem, 'listDisplayName')}
        />
        {sharded ? (
          <RuleFields
            prefix="target"
            values={v}
            columns={columns}
            problem={problem}
            fixedRule={
              builder ? undefined : (
                <p class="muted">{`Its rule (${ruleText(target.routingRule)}) combines conditions: change it through the API (PATCH /v1/sync-definitions/${id}/targets/${tid}).`}</p>
              )
            }
          />
        ) : null}
        <button type="submit">Save the list</button>
      </form>
    </>,
  );
}

// ---------------------------------------------------------------- routes

export function registerWizard(ui: Ui): void {
  // Making definitions needs the operator role: the wizard is not shown to viewers at all.
  ui.use('/definitions/new', requireUiRole('operator'));
  ui.use('/definitions/new/*', requireUiRole('operator'));

  ui.get('/definitions/new', (c) => sourceStep(c));

  ui.post('/definitions/new', async (c) => {
    const f = await form(c);
    const api = c.get('api');
    const appId = f.appId ?? '';
    let instanceId = f.instanceId ?? '';
    // A table counts only if it was listed for the instance now chosen (the instance may have been changed since).
    const picked = f.tablesOf && f.tablesOf === f.instanceId ? parseTableValue(f.table) : null;
    if (appId && instanceId) {
      // The app may have been changed after the instance was chosen: an instance of another app is dropped.
      const inst = await api.get<DatabaseInstance>(`/v1/database-instances/${instanceId}`);
      const db = inst.ok ? await api.get<Database>(`/v1/databases/${inst.body.databaseId}`) : null;
      if (!db?.ok || db.body.appId !== appId) instanceId = '';
    }
    if (!appId) instanceId = '';
    if (appId && instanceId && picked) {
      return c.redirect(`${WIZ}/keys${qs({ appId, instanceId, schema: picked.schema, table: picked.table, name: f.name?.trim() || picked.table })}`, 303);
    }
    return c.redirect(`${WIZ}${qs({ appId, instanceId })}`, 303);
  });

  ui.post('/definitions/new/app', async (c) => {
    const f = await form(c);
    const answer = await c.get('api').post<App>('/v1/apps', { name: f.name ?? '', ownerTeam: f.ownerTeam ?? '' });
    if (answer.ok) {
      flash(c, `App ${answer.body.name} created.`);
      return c.redirect(`${WIZ}${qs({ appId: answer.body.id })}`, 303);
    }
    return sourceStep(c, { problem: answer.problem, appName: f.name ?? '', ownerTeam: f.ownerTeam ?? '' });
  });

  ui.get('/definitions/new/keys', async (c) => {
    const q = c.req.query();
    if (!q.appId || !q.instanceId || !q.schema || !q.table) return c.redirect(`${WIZ}${qs({ appId: q.appId, instanceId: q.instanceId })}`, 303);
    const table = await loadTable(c, q.instanceId, q.schema, q.table);
    return keysStep(c, table, {
      appId: q.appId,
      instanceId: q.instanceId,
      schema: q.schema,
      table: q.table,
      name: q.name ?? q.table,
      direction: 'push',
      targetStrategy: 'single',
      ...proposedKeys(table),
    });
  });

  ui.post('/definitions/new/keys', async (c) => {
    const f = await form(c);
    const v: KeysValues = {
      appId: f.appId ?? '',
      instanceId: f.instanceId ?? '',
      schema: f.schema ?? '',
      table: f.table ?? '',
      name: f.name ?? '',
      keyStrategy: f.keyStrategy ?? 'pk',
      keyColumns: await formAll(c, 'keyColumns'),
      cursorStrategy: f.cursorStrategy ?? 'full_scan',
      cursorColumn: f.cursorColumn ?? '',
      direction: f.direction ?? 'push',
      targetStrategy: f.targetStrategy ?? 'single',
    };
    const answer = await c.get('api').post<Definition>('/v1/sync-definitions', {
      appId: v.appId,
      sourceInstanceId: v.instanceId,
      sourceSchema: v.schema,
      sourceTable: v.table,
      name: v.name.trim(),
      keyStrategy: v.keyStrategy,
      keyColumns: v.keyColumns,
      cursorStrategy: v.cursorStrategy,
      // A full scan has no watermark: a column left selected in the form is not sent.
      cursorColumn: v.cursorStrategy === 'updated_at' ? v.cursorColumn || null : null,
      direction: v.direction,
      targetStrategy: v.targetStrategy,
    });
    if (answer.ok) {
      flash(c, `Definition ${answer.body.name} created. Next: its mapping.`);
      return c.redirect(`${WIZ}/${answer.body.id}/mapping`, 303);
    }
    const table = await loadTable(c, v.instanceId, v.schema, v.table);
    return keysStep(c, table, v, answer.problem);
  });

  ui.get(`/definitions/new/${DEF_ID}/mapping`, async (c) => {
    const id = c.req.param('id');
    const loaded = await mappingRows(c, id);
    if ('problem' in loaded)
      return wizardPage(
        c,
        3,
        { problem: loaded.problem, definitionId: id },
        <p>
          The mapping could not be proposed. <a href={`${WIZ}/${id}/mapping`}>Try again</a> or <a href={`/ui/definitions/${id}`}>open the definition</a>.
        </p>,
      );
    return mappingStep(c, id, loaded.rows, { proposal: loaded.proposal });
  });

  ui.post(`/definitions/new/${DEF_ID}/mapping`, async (c) => {
    const id = c.req.param('id');
    const rows = submittedRows(await form(c));
    const included = rows.filter((r) => r.include);
    const answer = await c.get('api').put(`/v1/sync-definitions/${id}/field-mappings`, { mappings: included.map(mappingOf) });
    if (answer.ok) {
      flash(c, `Mapping saved: ${included.length} column${included.length === 1 ? '' : 's'}.`);
      return c.redirect(`${WIZ}/${id}/targets`, 303);
    }
    // Each error names the index among the mappings sent: show it on that row, and name the row by its column.
    const errors = (answer.problem.errors ?? []).map((e) => {
      const m = /^body\.mappings\.(\d+)\.(\w+)/.exec(e.field);
      const row = m ? included[Number(m[1])] : undefined;
      if (!m || !row) return e;
      row.errors.push(e.message);
      row.errorField ??= m[2] === 'targetColumn' ? 'target' : m[2] === 'targetType' ? 'type' : 'include';
      return { ...e, field: `${row.source} (${m[2]})` };
    });
    return mappingStep(c, id, rows, { problem: { ...answer.problem, errors } });
  });

  ui.get(`/definitions/new/${DEF_ID}/targets`, (c) => targetsStep(c, c.req.param('id')));

  ui.post(`/definitions/new/${DEF_ID}/targets`, async (c) => {
    const id = c.req.param('id');
    const api = c.get('api');
    const f = await form(c);
    const v: TargetValues = {
      connectionId: f.connectionId ?? '',
      search: f.search ?? '',
      siteId: f.siteId ?? '',
      listDisplayName: f.listDisplayName ?? '',
      ...submittedRuleValues(f),
    };
    const def = await api.need<Definition>(`/v1/sync-definitions/${id}`);
    const rule = await buildRule(c, def, v);
    const priority = priorityOf(v);
    const answer = await api.post<SyncTarget>(`/v1/sync-definitions/${id}/targets`, {
      connectionId: v.connectionId,
      siteId: v.siteId,
      listDisplayName: v.listDisplayName,
      isDefault: v.isDefault,
      ...(priority !== undefined ? { priority } : {}),
      ...(rule ? { routingRule: rule } : {}),
    });
    if (answer.ok) {
      flash(c, `List ${answer.body.listDisplayName} added${rule ? ` for rows where ${ruleText(rule)}` : ''}.`);
      return c.redirect(`${WIZ}/${id}/targets${qs({ connectionId: v.connectionId, search: v.search })}`, 303);
    }
    return targetsStep(c, id, { values: v, problem: answer.problem });
  });

  // A list's name, rule and priority after the wizard (linked from the definition page).
  const LIST = `/definitions/${DEF_ID}/lists/:tid{[0-9a-fA-F-]{36}}`;
  ui.get(LIST, requireUiRole('operator'), (c) => listEditPage(c, c.req.param('id'), c.req.param('tid')));
  ui.post(LIST, requireUiRole('operator'), async (c) => {
    const id = c.req.param('id');
    const tid = c.req.param('tid');
    const api = c.get('api');
    const f = await form(c);
    const v: ListValues = { listDisplayName: f.listDisplayName ?? '', ...submittedRuleValues(f) };
    const def = await api.need<Definition>(`/v1/sync-definitions/${id}`);
    const target = await api.need<SyncTarget>(`/v1/sync-definitions/${id}/targets/${tid}`);
    const sharded = def.targetStrategy === 'conditional';
    // Only what this form edits: a combined rule it cannot show is left as it is.
    const editsRule = sharded && builderValues(target.routingRule) !== null;
    const rule = editsRule ? await buildRule(c, def, v) : undefined;
    const priority = priorityOf(v);
    const answer = await api.patch<SyncTarget>(`/v1/sync-definitions/${id}/targets/${tid}`, {
      listDisplayName: v.listDisplayName,
      ...(sharded ? { isDefault: v.isDefault } : {}),
      ...(sharded && priority !== undefined ? { priority } : {}),
      ...(rule !== undefined ? { routingRule: rule } : {}),
    });
    if (answer.ok) {
      flash(c, `List ${answer.body.listDisplayName} saved${answer.body.routingRule ? `: rows where ${ruleText(answer.body.routingRule)}` : ''}.`);
      return c.redirect(`/ui/definitions/${id}`, 303);
    }
    return listEditPage(c, id, tid, { values: v, problem: answer.problem });
  });

  ui.get(`/definitions/new/${DEF_ID}/provision`, async (c) => {
    const id = c.req.param('id');
    const state = await provisionState(c, id, c.req.query('runId'));
    return wizardPage(
      c,
      5,
      { definitionId: id },
      <>
        {state}
        <p>
          <a href={`/ui/definitions/${id}`}>Open the definition</a>
        </p>
      </>,
    );
  });

  // The htmx poll of step 5: the same state, without the frame.
  ui.get(`/definitions/new/${DEF_ID}/provision/state`, async (c) => c.html(await provisionState(c, c.req.param('id'), c.req.query('runId'))));

  ui.post(`/definitions/new/${DEF_ID}/provision`, async (c) => {
    const id = c.req.param('id');
    const answer = await c.get('api').post<OperationTicket>(`/v1/sync-definitions/${id}/provision`);
    if (!answer.ok) {
      flashProblem(c, answer.problem);
      return c.redirect(`${WIZ}/${id}/provision`, 303);
    }
    flash(c, `Provisioning ${answer.body.state}.`);
    return c.redirect(`${WIZ}/${id}/provision${qs({ runId: answer.body.runId })}`, 303);
  });

  ui.post(`/definitions/new/${DEF_ID}/schedule`, async (c) => {
    const id = c.req.param('id');
    const seconds = Number((await form(c))['intervalSeconds']);
    // The API judges the value (a whole number in its range); a blank or non-number is sent as is for its message.
    const answer = await c.get('api').patch(`/v1/sync-definitions/${id}`, {
      enabled: true,
      scheduleCron: null,
      scheduleIntervalSeconds: Number.isFinite(seconds) ? seconds : null,
    });
    if (!answer.ok) {
      flashProblem(c, answer.problem);
      return c.redirect(`${WIZ}/${id}/provision`, 303);
    }
    flash(c, `The schedule is on: every ${seconds} seconds.`);
    return c.redirect(`/ui/definitions/${id}`, 303);
  });

  ui.post(`/definitions/new/${DEF_ID}/run`, async (c) => {
    const id = c.req.param('id');
    const answer = await c.get('api').post<OperationTicket>(`/v1/sync-definitions/${id}/runs`);
    if (!answer.ok) {
      flashProblem(c, answer.problem);
      return c.redirect(`${WIZ}/${id}/provision`, 303);
    }
    flash(c, 'The first push has started.');
    return c.redirect(`/ui/runs/${answer.body.runId}`, 303);
  });
}
