import type { Child, FC } from 'hono/jsx';
import { qs, type Problem } from '../api.ts';
import type { Ui, UiContext } from '../index.tsx';
import { flash, flashProblem, form, page, requireUiRole } from '../index.tsx';
import { Action, can, Checkbox, Csrf, Empty, Field, fieldError, Select, Status, Table, When, type Viewer } from '../kit.tsx';
import type { App, Database, DatabaseInstance, Page, SourceSchemaSnapshot, SourceTable } from '../types.ts';

/*
 * Source databases: the instances SyncBridge reads (GET /v1/database-instances), a form that adds
 * one (creating its database record, and the app, when they do not exist yet), an instance's
 * facts, its connection test and a live schema browser. Passwords are write-only: the form has a
 * password input that is never filled in, and the pages show only whether one is stored.
 */

// ---- Shapes of the API answers only these pages read (the fields shown); the shared ones are in ../types.ts ----

interface InstanceTestResult {
  ok: boolean;
  latencyMs: number;
  serverVersion?: string;
  errorClass?: string;
  error?: string;
  errorCode?: string;
}

// ---- Form helpers shared by the setup pages (sources, SharePoint, API keys) ----

/** Facts as a definition list. */
export const Facts: FC<{ rows: Array<[string, Child]> }> = ({ rows }) => (
  <dl class="facts">
    {rows.map(([term, value]) => (
      <>
        <dt>{term}</dt>
        <dd>{value}</dd>
      </>
    ))}
  </dl>
);

/** A failed read shown in place of what it would have shown (the page itself still renders). */
export const ReadFailed: FC<{ problem: Problem; what: string }> = ({ problem, what }) => (
  <div class="error-summary" role="alert">
    <p>
      <strong>{`Could not read ${what}`}</strong>
      {`: ${problem.detail ?? problem.title ?? `error ${problem.status}`}`}
    </p>
    {problem.errors?.length ? (
      <ul>
        {problem.errors.map((e) => (
          <li>{`${e.field.replace(/^(body|query)\./, '')}: ${e.message}`}</li>
        ))}
      </ul>
    ) : null}
  </div>
);

/**
 * The API's field errors under this form's field names: one form may feed several API calls
 * (app, database, instance), whose fields share names (`name`). `body.` and `query.` prefixes go.
 */
export function renameFields(problem: Problem, names: Record<string, string> = {}): Problem {
  if (!problem.errors) return problem;
  return {
    ...problem,
    errors: problem.errors.map((e) => {
      const bare = e.field.replace(/^(body|query)\./, '');
      const [head, ...rest] = bare.split('.');
      const renamed = head !== undefined && names[head] ? [names[head], ...rest].join('.') : bare;
      return { field: renamed, message: e.message };
    }),
  };
}

/**
 * An integer field as the API expects it: a number when the text is one; otherwise the text
 * itself, so the API's own message says what is wrong; undefined (left out) when blank.
 */
export const intField = (text: string | undefined): number | string | undefined => {
  const t = (text ?? '').trim();
  if (t === '') return undefined;
  return /^-?\d+$/.test(t) ? Number(t) : t;
};

/** A decimal field, like intField. */
export const numberField = (text: string | undefined): number | string | undefined => {
  const t = (text ?? '').trim();
  if (t === '') return undefined;
  return /^-?(\d+\.?\d*|\.\d+)$/.test(t) ? Number(t) : t;
};

/** Optional text: left out when blank. */
export const optional = (text: string | undefined): string | undefined => (text === undefined || text.trim() === '' ? undefined : text);

export const enc = encodeURIComponent;

// ---- Choices ----

const ENGINES = [
  { value: 'postgres', label: 'PostgreSQL' },
  { value: 'mysql', label: 'MySQL' },
  { value: 'mariadb', label: 'MariaDB' },
];
const ENVIRONMENTS = [
  { value: 'dev', label: 'Development' },
  { value: 'staging', label: 'Staging' },
  { value: 'prod', label: 'Production' },
];
const SSL_MODES = [
  { value: '', label: 'Default (prefer)' },
  { value: 'disable', label: 'disable: no TLS' },
  { value: 'prefer', label: 'prefer: TLS when the server offers it' },
  { value: 'require', label: 'require: TLS, certificate not checked' },
  { value: 'verify-full', label: 'verify-full: TLS, certificate and host name checked' },
];
const ROLES = [
  { value: 'primary', label: 'Primary' },
  { value: 'replica', label: 'Replica' },
];

const engineLabel = (engine: string) => ENGINES.find((e) => e.value === engine)?.label ?? engine;

// ---- Pages ----

/** Instances per list page. */
const PAGE_SIZE = 50;

/** The add form's field ids, for the error summary's links. */
const ADD_IDS: Record<string, string> = {
  databaseId: 'inst-database',
  appId: 'inst-app',
  appName: 'inst-app-name',
  appOwnerTeam: 'inst-app-team',
  dbName: 'inst-db-name',
  engine: 'inst-engine',
  environment: 'inst-environment',
  name: 'inst-name',
  host: 'inst-host',
  port: 'inst-port',
  databaseName: 'inst-dbname',
  username: 'inst-user',
  password: 'inst-password',
  sslMode: 'inst-ssl',
  role: 'inst-role',
  priority: 'inst-priority',
};

const EDIT_IDS: Record<string, string> = {
  name: 'edit-name',
  host: 'edit-host',
  port: 'edit-port',
  databaseName: 'edit-dbname',
  username: 'edit-user',
  password: 'edit-password',
  sslMode: 'edit-ssl',
  role: 'edit-role',
  priority: 'edit-priority',
};

export function registerSourcePages(ui: Ui): void {
  ui.get('/instances', (c) => instancesPage(c, {}));

  ui.post('/instances', async (c) => {
    const f = await form(c);
    const api = c.get('api');
    // What this request created before a later step failed, undone so a retry starts clean.
    const created: { appId?: string; databaseId?: string } = {};
    const fail = async (problem: Problem) => {
      if (created.databaseId) await api.delete(`/v1/databases/${created.databaseId}`);
      if (created.appId) await api.delete(`/v1/apps/${created.appId}`);
      return instancesPage(c, { values: f, problem });
    };

    let databaseId = f['databaseId'] ?? '';
    if (!databaseId) {
      let appId = f['appId'] ?? '';
      if (!appId) {
        const app = await api.post<App>('/v1/apps', { name: f['appName'] ?? '', ownerTeam: f['appOwnerTeam'] ?? '' });
        if (!app.ok) return fail(renameFields(app.problem, { name: 'appName', ownerTeam: 'appOwnerTeam' }));
        appId = created.appId = app.body.id;
      }
      const database = await api.post<Database>('/v1/databases', {
        appId,
        name: f['dbName'] ?? '',
        engine: f['engine'] ?? '',
        environment: f['environment'] ?? '',
      });
      if (!database.ok) return fail(renameFields(database.problem, { name: 'dbName' }));
      databaseId = created.databaseId = database.body.id;
    }
    const instance = await api.post<DatabaseInstance>('/v1/database-instances', { databaseId, ...instanceBody(f) });
    if (!instance.ok) return fail(renameFields(instance.problem));
    flash(c, `Instance ${instance.body.name} added. Test its connection to check the credentials.`);
    return c.redirect(`/ui/instances/${instance.body.id}`, 303);
  });

  ui.get('/instances/:id', async (c) => {
    const api = c.get('api');
    const id = c.req.param('id');
    const instance = await api.need<DatabaseInstance>(`/v1/database-instances/${enc(id)}`);
    const database = await api.get<Database>(`/v1/databases/${instance.databaseId}`);
    const app = database.ok ? await api.get<App>(`/v1/apps/${database.body.appId}`) : null;
    const filter = { schema: c.req.query('schema') ?? '', table: c.req.query('table') ?? '' };
    // Introspection is a live call to the source (rate-limited per key): only when asked for.
    const browse = c.req.query('browse') !== undefined || filter.schema !== '' || filter.table !== '';
    const schema = browse ? await api.get<SourceSchemaSnapshot>(`/v1/database-instances/${instance.id}/schema${qs(filter)}`) : null;
    const viewer = c.get('viewer');
    const schemaProblem = schema && !schema.ok ? renameFields(schema.problem) : undefined;

    return page(
      c,
      { title: `Instance ${instance.name}`, section: 'instances' },
      <>
        <p>
          <a href="/ui/instances">All database instances</a>
        </p>
        <div class="actions">
          {can(viewer, 'operator') ? <Action viewer={viewer} action={`/ui/instances/${instance.id}/test`} label="Test connection" /> : null}
          {can(viewer, 'admin') ? (
            <>
              <a class="button secondary" href={`/ui/instances/${instance.id}/edit`}>
                Edit instance
              </a>
              <Action
                viewer={viewer}
                action={`/ui/instances/${instance.id}/delete`}
                label="Delete instance"
                danger
                confirm={`Delete instance ${instance.name}? Sync definitions that read it must be changed first.`}
              />
            </>
          ) : null}
        </div>

        <h2>Connection</h2>
        <Facts
          rows={[
            [
              'Database',
              database.ok ? (
                `${database.body.name} (${engineLabel(database.body.engine)}, ${database.body.environment})`
              ) : (
                <span class="mono">{instance.databaseId}</span>
              ),
            ],
            ['App', app?.ok ? app.body.name : '—'],
            ['Host and port', <span class="mono">{`${instance.host}:${instance.port}`}</span>],
            ['Database name', <span class="mono">{instance.databaseName}</span>],
            ['User name', <span class="mono">{instance.username}</span>],
            ['Password', instance.hasPassword ? 'stored (never shown)' : 'none stored'],
            ['SSL mode', instance.sslMode],
            ['Role', `${instance.role}, priority ${instance.priority}`],
            ['Added', <When at={instance.createdAt} />],
            ['Changed', <When at={instance.updatedAt} />],
          ]}
        />

        <h2>Health</h2>
        <Facts
          rows={[
            ['Status', <Status status={instance.status} />],
            ['Last checked', <When at={instance.lastHealthAt} />],
            ['Latency', instance.lastHealthLatencyMs === null ? '—' : `${instance.lastHealthLatencyMs} ms`],
            ['Server version', instance.serverVersion ?? '—'],
            ['Last error', instance.lastHealthError ?? '—'],
          ]}
        />

        <h2>Schema</h2>
        <form method="get" action={`/ui/instances/${instance.id}`} class="filters" role="search" aria-label="Schema filter">
          <Field
            id="schema-filter"
            name="schema"
            label="Schema"
            value={filter.schema}
            hint="e.g. public; blank: every schema"
            error={fieldError(schemaProblem, 'schema')}
          />
          <Field id="table-filter" name="table" label="Table" value={filter.table} hint="blank: every table" error={fieldError(schemaProblem, 'table')} />
          <button type="submit" name="browse" value="1">
            Show tables
          </button>
        </form>
        {schema === null ? (
          <p class="muted">The schema is read live from the source when you ask for it.</p>
        ) : schema.ok ? (
          <SchemaBrowser schema={schema.body} />
        ) : (
          <ReadFailed problem={schema.problem} what="the schema" />
        )}
      </>,
    );
  });

  ui.post('/instances/:id/test', async (c) => {
    const id = c.req.param('id');
    const answer = await c.get('api').post<InstanceTestResult>(`/v1/database-instances/${enc(id)}/test`);
    if (!answer.ok) flashProblem(c, answer.problem);
    else flash(c, testText(answer.body));
    return c.redirect(`/ui/instances/${enc(id)}`, 303);
  });

  ui.get('/instances/:id/edit', requireUiRole('admin'), async (c) => {
    const instance = await c.get('api').need<DatabaseInstance>(`/v1/database-instances/${enc(c.req.param('id'))}`);
    return editPage(c, instance, instanceValues(instance));
  });

  ui.post('/instances/:id/edit', async (c) => {
    const api = c.get('api');
    const id = c.req.param('id');
    const f = await form(c);
    const body: Record<string, unknown> = instanceBody(f);
    // Blank keeps the stored password; the box removes it.
    if (f['removePassword']) body['password'] = null;
    const answer = await api.patch<DatabaseInstance>(`/v1/database-instances/${enc(id)}`, body);
    if (answer.ok) {
      flash(c, `Instance ${answer.body.name} saved.`);
      return c.redirect(`/ui/instances/${answer.body.id}`, 303);
    }
    const instance = await api.need<DatabaseInstance>(`/v1/database-instances/${enc(id)}`);
    return editPage(c, instance, f, renameFields(answer.problem));
  });

  ui.post('/instances/:id/delete', async (c) => {
    const id = c.req.param('id');
    const answer = await c.get('api').delete(`/v1/database-instances/${enc(id)}`);
    if (answer.ok) {
      flash(c, 'Instance deleted.');
      return c.redirect('/ui/instances', 303);
    }
    flash(c, `Not deleted: ${answer.problem.detail ?? answer.problem.title ?? 'the API refused it'}`);
    return c.redirect(`/ui/instances/${enc(id)}`, 303);
  });
}

/** The instance fields of a submitted form as the API's body; the password only when one was typed. */
function instanceBody(f: Record<string, string>): Record<string, unknown> {
  return {
    name: f['name'] ?? '',
    host: f['host'] ?? '',
    port: intField(f['port']),
    databaseName: f['databaseName'] ?? '',
    username: f['username'] ?? '',
    password: optional(f['password']),
    sslMode: optional(f['sslMode']),
    role: f['role'] ?? '',
    priority: intField(f['priority']),
  };
}

const instanceValues = (i: DatabaseInstance): Record<string, string> => ({
  name: i.name,
  host: i.host,
  port: String(i.port),
  databaseName: i.databaseName,
  username: i.username,
  sslMode: i.sslMode,
  role: i.role,
  priority: String(i.priority),
});

function testText(r: InstanceTestResult): string {
  if (r.ok) return `Connection test: ok, ${r.latencyMs} ms${r.serverVersion ? `, server version ${r.serverVersion}` : ''}.`;
  const cls = [r.errorClass, r.errorCode].filter(Boolean).join(', ');
  return `Connection test failed${cls ? ` (${cls})` : ''} after ${r.latencyMs} ms: ${r.error ?? 'no reason given'}`;
}

async function instancesPage(c: UiContext, opts: { values?: Record<string, string>; problem?: Problem }) {
  const api = c.get('api');
  const viewer = c.get('viewer');
  const cursor = c.req.method === 'GET' ? c.req.query('cursor') : undefined;
  const [instances, databases, apps] = await Promise.all([
    api.need<Page<DatabaseInstance>>(`/v1/database-instances${qs({ limit: PAGE_SIZE, cursor })}`),
    api.get<Page<Database>>('/v1/databases?limit=200'),
    api.get<Page<App>>('/v1/apps?limit=200'),
  ]);
  const dbById = new Map((databases.ok ? databases.body.items : []).map((d) => [d.id, d]));
  // Past the first 200 databases: read the ones this page needs one by one.
  const missing = [...new Set(instances.items.map((i) => i.databaseId).filter((id) => !dbById.has(id)))];
  for (const answer of await Promise.all(missing.map((id) => api.get<Database>(`/v1/databases/${id}`)))) {
    if (answer.ok) dbById.set(answer.body.id, answer.body);
  }
  const appItems = apps.ok ? apps.body.items : [];

  return page(
    c,
    { title: 'Database instances', section: 'instances', problem: opts.problem, fieldIds: ADD_IDS },
    <>
      {instances.items.length === 0 ? (
        <Empty>No database instances yet.{can(viewer, 'admin') ? ' Add one below.' : ''}</Empty>
      ) : (
        <Table caption="Database instances" head={['Instance', 'Database', 'Address', 'Role', 'Status', 'Last health check', 'Server version']}>
          {instances.items.map((i) => {
            const db = dbById.get(i.databaseId);
            return (
              <tr>
                <td>
                  <a href={`/ui/instances/${i.id}`}>{i.name}</a>
                </td>
                <td>
                  {db ? db.name : <span class="mono">{i.databaseId}</span>}
                  {db ? <div class="muted">{`${engineLabel(db.engine)}, ${db.environment}`}</div> : null}
                </td>
                <td class="mono">{`${i.host}:${i.port}/${i.databaseName}`}</td>
                <td>{i.role}</td>
                <td>
                  <Status status={i.status} />
                </td>
                <td>
                  <When at={i.lastHealthAt} />
                  {i.lastHealthLatencyMs !== null ? <div class="muted">{`${i.lastHealthLatencyMs} ms`}</div> : null}
                  {i.lastHealthError ? <div class="field-error">{i.lastHealthError}</div> : null}
                </td>
                <td>{i.serverVersion ?? '—'}</td>
              </tr>
            );
          })}
        </Table>
      )}
      {instances.nextCursor ? (
        <p>
          <a href={`/ui/instances${qs({ cursor: instances.nextCursor })}`}>Next page of instances</a>
        </p>
      ) : null}
      {can(viewer, 'admin') ? (
        <AddInstanceForm viewer={viewer} databases={[...dbById.values()]} apps={appItems} values={opts.values ?? {}} problem={opts.problem} />
      ) : null}
    </>,
  );
}

const AddInstanceForm: FC<{
  viewer: Viewer;
  databases: Database[];
  apps: App[];
  values: Record<string, string>;
  problem: Problem | undefined;
}> = ({ viewer, databases, apps, values: v, problem }) => {
  const err = (field: string) => fieldError(problem, field);
  return (
    <>
      <h2 id="add">Add an instance</h2>
      <form method="post" action="/ui/instances">
        <Csrf viewer={viewer} />
        <fieldset>
          <legend>Database</legend>
          <Select
            id={ADD_IDS['databaseId']!}
            name="databaseId"
            label="Logical database"
            value={v['databaseId'] ?? (databases.length ? databases[0]!.id : '')}
            options={[
              ...databases.map((d) => ({ value: d.id, label: `${d.name} (${engineLabel(d.engine)}, ${d.environment})` })),
              { value: '', label: 'A new database (enter it below)' },
            ]}
            hint="An instance is one server of a logical database: its primary or a replica."
            error={err('databaseId')}
          />
          <fieldset>
            <legend>New database (only when "A new database" is chosen)</legend>
            <Select
              id={ADD_IDS['appId']!}
              name="appId"
              label="App"
              value={v['appId'] ?? (apps.length ? apps[0]!.id : '')}
              options={[...apps.map((a) => ({ value: a.id, label: `${a.name} (${a.ownerTeam})` })), { value: '', label: 'A new app (enter it below)' }]}
              error={err('appId')}
            />
            <Field id={ADD_IDS['appName']!} name="appName" label="New app name" value={v['appName']} hint='Only with "A new app"' error={err('appName')} />
            <Field id={ADD_IDS['appOwnerTeam']!} name="appOwnerTeam" label="Team that owns the new app" value={v['appOwnerTeam']} error={err('appOwnerTeam')} />
            <Field id={ADD_IDS['dbName']!} name="dbName" label="Database label" value={v['dbName']} hint="Unique per app, e.g. billing" error={err('dbName')} />
            <Select id={ADD_IDS['engine']!} name="engine" label="Engine" value={v['engine'] ?? 'postgres'} options={ENGINES} error={err('engine')} />
            <Select
              id={ADD_IDS['environment']!}
              name="environment"
              label="Environment"
              value={v['environment'] ?? 'dev'}
              options={ENVIRONMENTS}
              error={err('environment')}
            />
          </fieldset>
        </fieldset>
        <InstanceFields ids={ADD_IDS} values={v} problem={problem} passwordHint="Stored encrypted and never shown again." />
        <button type="submit">Add instance</button>
      </form>
    </>
  );
};

/** The connection fields of an instance; the password input is never filled in. */
const InstanceFields: FC<{ ids: Record<string, string>; values: Record<string, string>; problem: Problem | undefined; passwordHint: string }> = ({
  ids,
  values: v,
  problem,
  passwordHint,
}) => {
  const err = (field: string) => fieldError(problem, field);
  return (
    <fieldset>
      <legend>Connection</legend>
      <Field id={ids['name']!} name="name" label="Instance name" value={v['name'] ?? 'primary'} required error={err('name')} />
      <Field id={ids['host']!} name="host" label="Host" value={v['host']} required hint="Name or address of the server" error={err('host')} />
      <Field
        id={ids['port']!}
        name="port"
        label="Port"
        type="number"
        min={1}
        value={v['port'] ?? '5432'}
        required
        hint="PostgreSQL: 5432; MySQL and MariaDB: 3306"
        error={err('port')}
      />
      <Field id={ids['databaseName']!} name="databaseName" label="Database name on the server" value={v['databaseName']} required error={err('databaseName')} />
      <Field id={ids['username']!} name="username" label="User name" value={v['username']} required error={err('username')} />
      <Field id={ids['password']!} name="password" label="Password" type="password" autocomplete="new-password" hint={passwordHint} error={err('password')} />
      <Select id={ids['sslMode']!} name="sslMode" label="SSL mode" value={v['sslMode'] ?? ''} options={SSL_MODES} error={err('sslMode')} />
      <Select
        id={ids['role']!}
        name="role"
        label="Role"
        value={v['role'] ?? 'primary'}
        options={ROLES}
        hint="At most one primary per database"
        error={err('role')}
      />
      <Field
        id={ids['priority']!}
        name="priority"
        label="Priority"
        type="number"
        min={0}
        value={v['priority']}
        hint="Lower is preferred for failover; blank: 100"
        error={err('priority')}
      />
    </fieldset>
  );
};

function editPage(c: UiContext, instance: DatabaseInstance, values: Record<string, string>, problem?: Problem) {
  const viewer = c.get('viewer');
  return page(
    c,
    { title: `Edit instance ${instance.name}`, section: 'instances', problem, fieldIds: EDIT_IDS },
    <>
      <p>
        <a href={`/ui/instances/${instance.id}`}>Back to instance {instance.name}</a>
      </p>
      <form method="post" action={`/ui/instances/${instance.id}/edit`}>
        <Csrf viewer={viewer} />
        <InstanceFields
          ids={EDIT_IDS}
          values={values}
          problem={problem}
          passwordHint={`${instance.hasPassword ? 'A password is stored: leave blank to keep it.' : 'No password is stored.'} Changing host, port, database name, user name or SSL mode needs the password again.`}
        />
        {instance.hasPassword ? <Checkbox id="edit-remove-password" name="removePassword" label="Remove the stored password" /> : null}
        <button type="submit">Save instance</button>
      </form>
    </>,
  );
}

/** The tables of a schema read, each expandable to its columns. */
const SchemaBrowser: FC<{ schema: SourceSchemaSnapshot }> = ({ schema }) => (
  <>
    <p>
      {`${schema.tables.length} ${schema.tables.length === 1 ? 'table' : 'tables'} on ${engineLabel(schema.engine)} ${schema.serverVersion}, read `}
      <When at={schema.checkedAt} />
      {schema.changes?.hasChanges ? ' (changed since the previous read)' : ''}
    </p>
    {schema.tables.length === 0 ? <Empty>No tables match.</Empty> : null}
    {schema.tables.map((t) => {
      const qualified = `${t.schema}.${t.name}`;
      return (
        <details class="table-detail">
          <summary>
            <span class="mono">{qualified}</span>{' '}
            <span class="muted">{`${t.kind.replace(/_/g, ' ')}, ${rowsText(t.rowEstimate)}, ${t.columns.length} columns`}</span>
          </summary>
          {t.partitionOf ? <p>{`Partition of ${t.partitionOf}.`}</p> : null}
          {t.notes.length ? (
            <ul class="notes">
              {t.notes.map((n) => (
                <li>
                  <strong>{n.code.replace(/_/g, ' ')}</strong>
                  {`: ${n.message}`}
                </li>
              ))}
            </ul>
          ) : null}
          <Table caption={`Columns of ${qualified}`} head={['Column', 'Type', 'Nullable', 'Key', 'Default']}>
            {t.columns.map((col) => (
              <tr>
                <td class="mono">{col.name}</td>
                <td class="mono">{col.dataType}</td>
                <td>{col.nullable ? 'yes' : 'no'}</td>
                <td>{keyText(t, col.name) || '—'}</td>
                <td class="mono">{col.generated ? 'generated' : col.identity ? `identity (${col.identity.replace('_', ' ')})` : (col.default ?? '—')}</td>
              </tr>
            ))}
          </Table>
        </details>
      );
    })}
  </>
);

function rowsText(e: SourceTable['rowEstimate']): string {
  if (e.rows === null) return 'rows unknown';
  const how: Partial<Record<typeof e.source, string>> = { statistics: 'estimated', count: 'counted', size: 'rough estimate' };
  return `${e.rows.toLocaleString('en')} rows (${how[e.source] ?? e.source})`;
}

/** What keys a column takes part in: primary key, unique keys, foreign keys. */
function keyText(t: SourceTable, column: string): string {
  const parts: string[] = [];
  if (t.primaryKey?.columns.includes(column)) parts.push(t.primaryKey.columns.length > 1 ? `primary key (${t.primaryKey.columns.join(', ')})` : 'primary key');
  for (const k of t.uniqueKeys) {
    if (k.source !== 'primary_key' && k.columns.includes(column)) parts.push(k.columns.length > 1 ? `unique (${k.columns.join(', ')})` : 'unique');
  }
  for (const fk of t.foreignKeys) {
    const at = fk.columns.indexOf(column);
    if (at >= 0) parts.push(`references ${fk.referencedTable}.${fk.referencedColumns[at] ?? '?'}`);
  }
  return parts.join('; ');
}
