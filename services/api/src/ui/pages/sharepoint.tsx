import type { FC } from 'hono/jsx';
import { qs, type Problem } from '../api.ts';
import type { Ui, UiContext } from '../index.tsx';
import { flash, flashProblem, form, page, requireUiRole } from '../index.tsx';
import { Action, can, Checkbox, Csrf, Empty, Field, fieldError, Select, Status, Table, TextArea, When, type Viewer } from '../kit.tsx';
import type { App, Page, SharePointConnection, SharePointSite } from '../types.ts';
import { enc, Facts, intField, numberField, optional, ReadFailed, renameFields } from './sources.tsx';

/*
 * SharePoint connections: the app registrations SyncBridge calls Microsoft Graph with
 * (GET /v1/sharepoint-connections), their test, resource-unit budget, and discovery of sites,
 * lists and columns. The client secret is write-only: the forms have a password input that is
 * never filled in, and the pages show only whether one is stored.
 */

// ---- Shapes of the API answers only these pages read (the fields shown); the shared ones are in ../types.ts ----

interface ConnectionTestResult {
  ok: boolean;
  stage: string;
  errorClass?: string;
  message: string;
  code?: string;
  warning?: string;
}

interface Budget {
  ruPerMinute: number;
  ruPerDay: number | null;
  bulkShare: number;
  spentLastMinute: number;
  spentLast24h: number;
  availableNow: number;
  pausedForMs: number;
  operations: Array<{ runId: string | null; definitionId: string | null; priority: string; spentLastMinute: number; share: number }>;
  queue: Array<{ runId: string | null; definitionId: string | null; priority: string; requests: number; ru: number; waitingMs: number }>;
}

interface List {
  id: string;
  displayName: string | null;
  webUrl: string | null;
  template: string | null;
}

interface ListColumn {
  name: string;
  displayName: string | null;
  type: string;
  indexed: boolean;
  hidden: boolean;
  required: boolean;
  readOnly: boolean;
  enforceUniqueValues: boolean;
  maxLength?: number;
  decimalPlaces?: number | string;
  format?: string;
  choices?: string[];
  allowMultipleValues?: boolean;
  lookupListId?: string;
  lookupColumnName?: string;
}

const PAGE_SIZE = 50;

const ADD_IDS: Record<string, string> = {
  appId: 'conn-app',
  name: 'conn-name',
  tenantId: 'conn-tenant',
  clientId: 'conn-client',
  clientSecret: 'conn-secret',
  graphBaseUrl: 'conn-graph',
  authorityHost: 'conn-authority',
  caCertificatePem: 'conn-ca',
  ruPerMinute: 'conn-ru-minute',
  ruPerDay: 'conn-ru-day',
  bulkShare: 'conn-bulk-share',
};
const EDIT_IDS: Record<string, string> = Object.fromEntries(Object.entries(ADD_IDS).map(([k, v]) => [k, v.replace(/^conn-/, 'edit-')]));

export function registerSharePointPages(ui: Ui): void {
  ui.get('/connections', (c) => connectionsPage(c, {}));

  ui.post('/connections', async (c) => {
    const f = await form(c);
    const answer = await c.get('api').post<SharePointConnection>('/v1/sharepoint-connections', {
      appId: f['appId'] ?? '',
      ...connectionBody(f),
      clientSecret: f['clientSecret'] ?? '',
      caCertificatePem: optional(f['caCertificatePem']),
      ruPerDay: intField(f['ruPerDay']),
    });
    if (!answer.ok) return connectionsPage(c, { values: f, problem: renameFields(answer.problem) });
    flash(c, `Connection ${answer.body.name} added. Test it to check the credentials and permissions.`);
    return c.redirect(`/ui/connections/${answer.body.id}`, 303);
  });

  ui.get('/connections/:id', async (c) => {
    const api = c.get('api');
    const viewer = c.get('viewer');
    const connection = await api.need<SharePointConnection>(`/v1/sharepoint-connections/${enc(c.req.param('id'))}`);
    const base = `/ui/connections/${connection.id}`;
    const search = c.req.query('search');
    // Site search is a live Graph call (rate-limited per key): only when asked for.
    const [app, budget, sites] = await Promise.all([
      api.get<App>(`/v1/apps/${connection.appId}`),
      api.get<Budget>(`/v1/sharepoint-connections/${connection.id}/budget`),
      search === undefined ? null : api.get<{ items: SharePointSite[] }>(`/v1/sharepoint-connections/${connection.id}/sites${qs({ search })}`),
    ]);
    const sitesProblem = sites && !sites.ok ? renameFields(sites.problem) : undefined;

    return page(
      c,
      { title: `SharePoint connection ${connection.name}`, section: 'connections' },
      <>
        <p>
          <a href="/ui/connections">All SharePoint connections</a>
        </p>
        <div class="actions">
          {can(viewer, 'operator') ? <Action viewer={viewer} action={`${base}/test`} label="Test connection" /> : null}
          {can(viewer, 'admin') ? (
            <>
              <a class="button secondary" href={`${base}/edit`}>
                Edit connection
              </a>
              <Action
                viewer={viewer}
                action={`${base}/delete`}
                label="Delete connection"
                danger
                confirm={`Delete connection ${connection.name}? Sync targets that use it must be changed first.`}
              />
            </>
          ) : null}
        </div>

        <h2>Details</h2>
        <Facts
          rows={[
            ['App', app.ok ? app.body.name : <span class="mono">{connection.appId}</span>],
            ['Tenant', <span class="mono">{connection.tenantId}</span>],
            ['Client (application) id', <span class="mono">{connection.clientId}</span>],
            ['Client secret', connection.hasClientSecret ? 'secret stored (never shown)' : 'no secret stored'],
            ['Graph base URL', <span class="mono">{connection.graphBaseUrl}</span>],
            ['Authority host', <span class="mono">{connection.authorityHost}</span>],
            ['TLS trust', connection.hasCaCertificate ? 'own CA certificate stored' : 'the system trust store'],
            ['Status', <Status status={connection.status} />],
            ['Last test', <When at={connection.lastTestAt} />],
            ['Last test error', connection.lastTestError ?? '—'],
            ['Added', <When at={connection.createdAt} />],
          ]}
        />

        <h2>Budget</h2>
        {budget.ok ? <BudgetView budget={budget.body} /> : <ReadFailed problem={budget.problem} what="the budget" />}

        <h2>Sites</h2>
        <form method="get" action={base} class="filters" role="search" aria-label="Sites">
          <Field
            id="site-search"
            name="search"
            label="Search sites"
            type="search"
            value={search}
            hint="Words of the site's name; blank: every site the app can see"
            error={fieldError(sitesProblem, 'search')}
          />
          <button type="submit">Search</button>
        </form>
        {sites === null ? (
          <p class="muted">Sites are read live from SharePoint when you search.</p>
        ) : sites.ok ? (
          sites.body.items.length === 0 ? (
            <Empty>No site matches.</Empty>
          ) : (
            <Table caption="Sites found" head={['Site', 'Address', 'Name']}>
              {sites.body.items.map((s) => (
                <tr>
                  <td>
                    <a href={`${base}/sites/${enc(s.id)}`}>{s.displayName ?? s.name ?? s.id}</a>
                  </td>
                  <td class="mono">{s.webUrl ?? '—'}</td>
                  <td>{s.name ?? '—'}</td>
                </tr>
              ))}
            </Table>
          )
        ) : (
          <ReadFailed problem={sites.problem} what="sites" />
        )}
      </>,
    );
  });

  ui.get('/connections/:id/sites/:siteId', async (c) => {
    const api = c.get('api');
    const connection = await api.need<SharePointConnection>(`/v1/sharepoint-connections/${enc(c.req.param('id'))}`);
    const siteId = c.req.param('siteId');
    const base = `/ui/connections/${connection.id}`;
    const lists = await api.get<{ items: List[] }>(`/v1/sharepoint-connections/${connection.id}/sites/${enc(siteId)}/lists`);
    return page(
      c,
      { title: 'Lists of a site', section: 'connections' },
      <>
        <p>
          <a href={base}>Back to connection {connection.name}</a>
        </p>
        <Facts rows={[['Site id', <span class="mono">{siteId}</span>]]} />
        <h2>Lists</h2>
        {!lists.ok ? (
          <ReadFailed problem={lists.problem} what="the lists of this site" />
        ) : lists.body.items.length === 0 ? (
          <Empty>This site has no lists.</Empty>
        ) : (
          <Table caption="Lists of the site" head={['List', 'Template', 'Address']}>
            {lists.body.items.map((l) => (
              <tr>
                <td>
                  <a href={`${base}/sites/${enc(siteId)}/lists/${enc(l.id)}`}>{l.displayName ?? l.id}</a>
                </td>
                <td>{l.template ?? '—'}</td>
                <td class="mono">{l.webUrl ?? '—'}</td>
              </tr>
            ))}
          </Table>
        )}
      </>,
    );
  });

  ui.get('/connections/:id/sites/:siteId/lists/:listId', async (c) => {
    const api = c.get('api');
    const connection = await api.need<SharePointConnection>(`/v1/sharepoint-connections/${enc(c.req.param('id'))}`);
    const siteId = c.req.param('siteId');
    const listId = c.req.param('listId');
    const base = `/ui/connections/${connection.id}`;
    const columns = await api.get<{ items: ListColumn[] }>(`/v1/sharepoint-connections/${connection.id}/sites/${enc(siteId)}/lists/${enc(listId)}/columns`);
    const shown = columns.ok ? columns.body.items.filter((col) => !col.hidden) : [];
    const hidden = columns.ok ? columns.body.items.length - shown.length : 0;
    return page(
      c,
      { title: 'Columns of a list', section: 'connections' },
      <>
        <p>
          <a href={`${base}/sites/${enc(siteId)}`}>Back to the lists of the site</a> · <a href={base}>Connection {connection.name}</a>
        </p>
        <Facts
          rows={[
            ['Site id', <span class="mono">{siteId}</span>],
            ['List id', <span class="mono">{listId}</span>],
          ]}
        />
        <h2>Columns</h2>
        {!columns.ok ? (
          <ReadFailed problem={columns.problem} what="the columns of this list" />
        ) : shown.length === 0 ? (
          <Empty>This list has no visible columns.</Empty>
        ) : (
          <>
            <Table caption="Columns of the list" head={['Column', 'Internal name', 'Type', 'Required', 'Indexed', 'Unique', 'Read-only', 'Options']}>
              {shown.map((col) => (
                <tr>
                  <td>{col.displayName ?? col.name}</td>
                  <td class="mono">{col.name}</td>
                  <td>{col.type}</td>
                  <td>{col.required ? 'yes' : 'no'}</td>
                  <td>{col.indexed ? 'yes' : 'no'}</td>
                  <td>{col.enforceUniqueValues ? 'yes' : 'no'}</td>
                  <td>{col.readOnly ? 'yes' : 'no'}</td>
                  <td>{columnOptions(col) || '—'}</td>
                </tr>
              ))}
            </Table>
            {hidden ? <p class="muted">{`${hidden} hidden ${hidden === 1 ? 'column is' : 'columns are'} not listed.`}</p> : null}
          </>
        )}
      </>,
    );
  });

  ui.post('/connections/:id/test', async (c) => {
    const id = c.req.param('id');
    const answer = await c.get('api').post<ConnectionTestResult>(`/v1/sharepoint-connections/${enc(id)}/test`);
    if (!answer.ok) flashProblem(c, answer.problem);
    else flash(c, testText(answer.body));
    return c.redirect(`/ui/connections/${enc(id)}`, 303);
  });

  ui.get('/connections/:id/edit', requireUiRole('admin'), async (c) => {
    const connection = await c.get('api').need<SharePointConnection>(`/v1/sharepoint-connections/${enc(c.req.param('id'))}`);
    return editPage(c, connection, connectionValues(connection));
  });

  ui.post('/connections/:id/edit', async (c) => {
    const api = c.get('api');
    const id = c.req.param('id');
    const f = await form(c);
    const body: Record<string, unknown> = {
      ...connectionBody(f),
      // Blank keeps the stored secret and CA certificate; the box removes the certificate.
      clientSecret: optional(f['clientSecret']),
      caCertificatePem: f['removeCaCertificate'] ? null : optional(f['caCertificatePem']),
      // Blank: no daily cap.
      ruPerDay: intField(f['ruPerDay']) ?? null,
    };
    const answer = await api.patch<SharePointConnection>(`/v1/sharepoint-connections/${enc(id)}`, body);
    if (answer.ok) {
      flash(c, `Connection ${answer.body.name} saved.`);
      return c.redirect(`/ui/connections/${answer.body.id}`, 303);
    }
    const connection = await api.need<SharePointConnection>(`/v1/sharepoint-connections/${enc(id)}`);
    return editPage(c, connection, f, renameFields(answer.problem));
  });

  ui.post('/connections/:id/delete', async (c) => {
    const id = c.req.param('id');
    const answer = await c.get('api').delete(`/v1/sharepoint-connections/${enc(id)}`);
    if (answer.ok) {
      flash(c, 'Connection deleted.');
      return c.redirect('/ui/connections', 303);
    }
    flash(c, `Not deleted: ${answer.problem.detail ?? answer.problem.title ?? 'the API refused it'}`);
    return c.redirect(`/ui/connections/${enc(id)}`, 303);
  });
}

/** The fields create and update share, as the API's body (blank optional fields left out: the API's defaults apply). */
function connectionBody(f: Record<string, string>): Record<string, unknown> {
  return {
    name: f['name'] ?? '',
    tenantId: (f['tenantId'] ?? '').trim(),
    clientId: (f['clientId'] ?? '').trim(),
    graphBaseUrl: optional(f['graphBaseUrl'])?.trim(),
    authorityHost: optional(f['authorityHost'])?.trim(),
    ruPerMinute: intField(f['ruPerMinute']),
    bulkShare: numberField(f['bulkShare']),
  };
}

const connectionValues = (k: SharePointConnection): Record<string, string> => ({
  name: k.name,
  tenantId: k.tenantId,
  clientId: k.clientId,
  graphBaseUrl: k.graphBaseUrl,
  authorityHost: k.authorityHost,
  ruPerMinute: String(k.ruPerMinute),
  ruPerDay: k.ruPerDay === null ? '' : String(k.ruPerDay),
  bulkShare: String(k.bulkShare),
});

function testText(r: ConnectionTestResult): string {
  if (r.ok) return `Connection test: ok. ${r.message}${r.warning ? ` Warning: ${r.warning}` : ''}`;
  const cls = [r.errorClass, r.code].filter(Boolean).join(', ');
  return `Connection test failed at the ${r.stage} stage${cls ? ` (${cls})` : ''}: ${r.message}`;
}

function columnOptions(col: ListColumn): string {
  const parts: string[] = [];
  if (col.maxLength !== undefined) parts.push(`at most ${col.maxLength} characters`);
  if (col.decimalPlaces !== undefined) parts.push(`decimals: ${col.decimalPlaces}`);
  if (col.format) parts.push(col.format === 'dateOnly' ? 'date only' : 'date and time');
  if (col.choices?.length) parts.push(`choices: ${col.choices.join(', ')}`);
  if (col.allowMultipleValues) parts.push('several values');
  if (col.lookupListId) parts.push(`looks up ${col.lookupColumnName ?? 'a column'} of list ${col.lookupListId}`);
  return parts.join('; ');
}

const BudgetView: FC<{ budget: Budget }> = ({ budget: b }) => (
  <>
    <Facts
      rows={[
        ['Resource units per minute', b.ruPerMinute.toLocaleString('en')],
        ['Resource units per day', b.ruPerDay === null ? 'no daily cap' : b.ruPerDay.toLocaleString('en')],
        ['Spent in the last minute', b.spentLastMinute.toLocaleString('en')],
        ['Spent in the last 24 hours', b.spentLast24h.toLocaleString('en')],
        ['Available now', b.availableNow.toLocaleString('en')],
        ['Bulk work keeps at least', `${Math.round(b.bulkShare * 100)} % while smaller work waits`],
        ['Paused', b.pausedForMs > 0 ? `for ${Math.ceil(b.pausedForMs / 1000)} s (SharePoint asked to wait)` : 'no'],
      ]}
    />
    {b.operations.length === 0 ? (
      <Empty>Nothing spent in the last minute.</Empty>
    ) : (
      <Table caption="Spent in the last minute, by operation" head={['Run', 'Definition', 'Priority', 'Resource units', 'Share']}>
        {b.operations.map((o) => (
          <tr>
            <td>{o.runId ? <a href={`/ui/runs/${o.runId}`}>Run {o.runId.slice(0, 8)}</a> : 'outside runs (discovery, tests)'}</td>
            <td>{o.definitionId ? <a href={`/ui/definitions/${o.definitionId}`}>Definition {o.definitionId.slice(0, 8)}</a> : '—'}</td>
            <td>{o.priority}</td>
            <td class="num">{o.spentLastMinute.toLocaleString('en')}</td>
            <td class="num">{`${Math.round(o.share * 100)} %`}</td>
          </tr>
        ))}
      </Table>
    )}
    {b.queue.length === 0 ? (
      <Empty>No request waits for budget.</Empty>
    ) : (
      <Table caption="Waiting for budget, in the order served" head={['Run', 'Definition', 'Priority', 'Requests', 'Resource units', 'Waiting']}>
        {b.queue.map((q) => (
          <tr>
            <td>{q.runId ? <a href={`/ui/runs/${q.runId}`}>Run {q.runId.slice(0, 8)}</a> : '—'}</td>
            <td>{q.definitionId ? <a href={`/ui/definitions/${q.definitionId}`}>Definition {q.definitionId.slice(0, 8)}</a> : '—'}</td>
            <td>{q.priority}</td>
            <td class="num">{q.requests}</td>
            <td class="num">{q.ru.toLocaleString('en')}</td>
            <td class="num">{`${(q.waitingMs / 1000).toFixed(1)} s`}</td>
          </tr>
        ))}
      </Table>
    )}
  </>
);

async function connectionsPage(c: UiContext, opts: { values?: Record<string, string>; problem?: Problem }) {
  const api = c.get('api');
  const viewer = c.get('viewer');
  const cursor = c.req.method === 'GET' ? c.req.query('cursor') : undefined;
  const [connections, apps] = await Promise.all([
    api.need<Page<SharePointConnection>>(`/v1/sharepoint-connections${qs({ limit: PAGE_SIZE, cursor })}`),
    api.get<Page<App>>('/v1/apps?limit=200'),
  ]);
  const appItems = apps.ok ? apps.body.items : [];
  const appName = new Map(appItems.map((a) => [a.id, a.name]));
  return page(
    c,
    { title: 'SharePoint connections', section: 'connections', problem: opts.problem, fieldIds: ADD_IDS },
    <>
      {connections.items.length === 0 ? (
        <Empty>No SharePoint connections yet.</Empty>
      ) : (
        <Table caption="SharePoint connections" head={['Connection', 'App', 'Tenant', 'Status', 'Last test', 'Resource units per minute']}>
          {connections.items.map((k) => (
            <tr>
              <td>
                <a href={`/ui/connections/${k.id}`}>{k.name}</a>
              </td>
              <td>{appName.get(k.appId) ?? <span class="mono">{k.appId}</span>}</td>
              <td class="mono">{k.tenantId}</td>
              <td>
                <Status status={k.status} />
              </td>
              <td>
                <When at={k.lastTestAt} />
                {k.lastTestError ? <div class="field-error">{k.lastTestError}</div> : null}
              </td>
              <td class="num">{k.ruPerMinute.toLocaleString('en')}</td>
            </tr>
          ))}
        </Table>
      )}
      {connections.nextCursor ? (
        <p>
          <a href={`/ui/connections${qs({ cursor: connections.nextCursor })}`}>Next page of connections</a>
        </p>
      ) : null}
      {can(viewer, 'admin') ? (
        appItems.length === 0 ? (
          <p>
            A connection belongs to an app. <a href="/ui/instances#add">Add a database instance</a> first: it creates the app.
          </p>
        ) : (
          <AddConnectionForm viewer={viewer} apps={appItems} values={opts.values ?? {}} problem={opts.problem} />
        )
      ) : null}
    </>,
  );
}

const AddConnectionForm: FC<{ viewer: Viewer; apps: App[]; values: Record<string, string>; problem: Problem | undefined }> = ({
  viewer,
  apps,
  values: v,
  problem,
}) => (
  <>
    <h2 id="add">Add a connection</h2>
    <form method="post" action="/ui/connections">
      <Csrf viewer={viewer} />
      <Select
        id={ADD_IDS['appId']!}
        name="appId"
        label="App"
        value={v['appId']}
        options={apps.map((a) => ({ value: a.id, label: `${a.name} (${a.ownerTeam})` }))}
        error={fieldError(problem, 'appId')}
      />
      <ConnectionFields ids={ADD_IDS} values={v} problem={problem} secretHint="Stored encrypted and never shown again." caHint={CA_HINT} />
      <button type="submit">Add connection</button>
    </form>
  </>
);

const CA_HINT = 'Only for a Graph or identity endpoint whose certificate the system does not trust (e.g. a test emulator). PEM, not secret.';

/** The fields of a connection; the client secret input is never filled in. */
const ConnectionFields: FC<{
  ids: Record<string, string>;
  values: Record<string, string>;
  problem: Problem | undefined;
  secretHint: string;
  caHint: string;
}> = ({ ids, values: v, problem, secretHint, caHint }) => {
  const err = (field: string) => fieldError(problem, field);
  return (
    <>
      <fieldset>
        <legend>App registration</legend>
        <Field id={ids['name']!} name="name" label="Connection name" value={v['name']} required hint="Unique per app" error={err('name')} />
        <Field
          id={ids['tenantId']!}
          name="tenantId"
          label="Tenant id"
          value={v['tenantId']}
          required
          hint="A GUID or a verified domain, e.g. contoso.onmicrosoft.com"
          error={err('tenantId')}
        />
        <Field id={ids['clientId']!} name="clientId" label="Client (application) id" value={v['clientId']} required hint="A GUID" error={err('clientId')} />
        <Field
          id={ids['clientSecret']!}
          name="clientSecret"
          label="Client secret"
          type="password"
          autocomplete="new-password"
          hint={secretHint}
          error={err('clientSecret')}
        />
      </fieldset>
      <fieldset>
        <legend>Endpoints</legend>
        <Field
          id={ids['graphBaseUrl']!}
          name="graphBaseUrl"
          label="Graph base URL"
          type="url"
          value={v['graphBaseUrl']}
          hint="Blank: https://graph.microsoft.com/v1.0"
          error={err('graphBaseUrl')}
        />
        <Field
          id={ids['authorityHost']!}
          name="authorityHost"
          label="Authority host"
          type="url"
          value={v['authorityHost']}
          hint="Blank: https://login.microsoftonline.com"
          error={err('authorityHost')}
        />
        <TextArea
          id={ids['caCertificatePem']!}
          name="caCertificatePem"
          label="CA certificate"
          value={v['caCertificatePem']}
          hint={caHint}
          error={err('caCertificatePem')}
        />
      </fieldset>
      <fieldset>
        <legend>Budget</legend>
        <Field
          id={ids['ruPerMinute']!}
          name="ruPerMinute"
          label="Resource units per minute"
          type="number"
          min={10}
          value={v['ruPerMinute']}
          hint="What SharePoint allows this app per minute (Microsoft: 1,250 for tenants up to 1,000 licences); blank: 1,250"
          error={err('ruPerMinute')}
        />
        <Field
          id={ids['ruPerDay']!}
          name="ruPerDay"
          label="Resource units per day"
          type="number"
          min={100}
          value={v['ruPerDay']}
          hint="Blank: no daily cap"
          error={err('ruPerDay')}
        />
        <Field
          id={ids['bulkShare']!}
          name="bulkShare"
          label="Share kept for bulk work"
          value={v['bulkShare']}
          hint="Between 0 and 1: what initial loads and full passes still get while smaller work waits; blank: 0.5"
          error={err('bulkShare')}
        />
      </fieldset>
    </>
  );
};

function editPage(c: UiContext, connection: SharePointConnection, values: Record<string, string>, problem?: Problem) {
  const viewer = c.get('viewer');
  return page(
    c,
    { title: `Edit connection ${connection.name}`, section: 'connections', problem, fieldIds: EDIT_IDS },
    <>
      <p>
        <a href={`/ui/connections/${connection.id}`}>Back to connection {connection.name}</a>
      </p>
      <form method="post" action={`/ui/connections/${connection.id}/edit`}>
        <Csrf viewer={viewer} />
        <ConnectionFields
          ids={EDIT_IDS}
          values={values}
          problem={problem}
          secretHint={`${connection.hasClientSecret ? 'A secret is stored: leave blank to keep it.' : 'No secret is stored.'} Changing the tenant, client id, endpoints or CA certificate needs the secret again.`}
          caHint={`${connection.hasCaCertificate ? 'A CA certificate is stored: leave blank to keep it. ' : ''}${CA_HINT}`}
        />
        {connection.hasCaCertificate ? <Checkbox id="edit-remove-ca" name="removeCaCertificate" label="Remove the stored CA certificate" /> : null}
        <button type="submit">Save connection</button>
      </form>
    </>,
  );
}
