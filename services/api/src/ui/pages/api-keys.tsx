import { qs, type Problem } from '../api.ts';
import type { Ui, UiContext } from '../index.tsx';
import { flash, flashProblem, form, page, requireUiRole } from '../index.tsx';
import { Action, Csrf, Empty, Field, fieldError, Notice, Select, Status, Table, When } from '../kit.tsx';
import type { Page } from '../types.ts';
import { enc, renameFields } from './sources.tsx';

/*
 * API keys (admins only, as in the API): the keys with their prefix, role and use, a form that
 * creates one and shows its value once, on the answer to the form itself (never in a URL, a
 * cookie or a later page: only its hash is stored), and revocation, which also ends the UI
 * sessions signed in with the key.
 */

interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  role: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

interface CreatedApiKey extends ApiKey {
  key: string;
}

const PAGE_SIZE = 50;

const ROLE_OPTIONS = [
  { value: 'viewer', label: 'Viewer: reads everything, changes nothing' },
  { value: 'operator', label: 'Operator: also runs syncs, tests connections, resolves conflicts' },
  { value: 'admin', label: 'Admin: also changes setup and API keys' },
];

const FIELD_IDS = { name: 'key-name', role: 'key-role' };

export function registerApiKeyPages(ui: Ui): void {
  const admin = requireUiRole('admin');

  ui.get('/api-keys', admin, (c) => keysPage(c, {}));

  ui.post('/api-keys', admin, async (c) => {
    const f = await form(c);
    const answer = await c.get('api').post<CreatedApiKey>('/v1/api-keys', { name: f['name'] ?? '', role: f['role'] ?? '' });
    if (!answer.ok) return keysPage(c, { values: f, problem: renameFields(answer.problem) });
    c.get('log').info({ apiKey: answer.body.id }, 'api key created in the ui');
    // Rendered as the answer to this POST: the key is in no URL, cookie or later page.
    return keysPage(c, { created: answer.body });
  });

  ui.post('/api-keys/:id/revoke', admin, async (c) => {
    const answer = await c.get('api').delete(`/v1/api-keys/${enc(c.req.param('id'))}`);
    if (answer.ok) flash(c, 'Key revoked: it no longer works, and sessions signed in with it have ended.');
    else flashProblem(c, answer.problem);
    return c.redirect('/ui/api-keys', 303);
  });
}

async function keysPage(c: UiContext, opts: { values?: Record<string, string>; problem?: Problem; created?: CreatedApiKey }) {
  const viewer = c.get('viewer');
  const ownKeyId = c.get('session').principal.keyId;
  const cursor = c.req.method === 'GET' ? c.req.query('cursor') : undefined;
  const keys = await c.get('api').need<Page<ApiKey>>(`/v1/api-keys${qs({ limit: PAGE_SIZE, cursor })}`);
  const v = opts.values ?? {};
  const created = opts.created;
  return page(
    c,
    { title: 'API keys', section: 'api-keys', problem: opts.problem, fieldIds: FIELD_IDS },
    <>
      {created ? (
        <section class="new-key" aria-labelledby="new-key-heading">
          <h2 id="new-key-heading">{`New key "${created.name}" (${created.role})`}</h2>
          <Notice kind="info">
            <strong>Copy the key now: it is not shown again.</strong> SyncBridge stores only its hash; if it is lost, create a new key and revoke this one.
          </Notice>
          <p class="key" id="new-key-value">
            {created.key}
          </p>
          <p class="muted">Send it as the header Authorization: Bearer followed by the key, or sign in to this UI with it.</p>
        </section>
      ) : null}

      <h2>Keys</h2>
      {keys.items.length === 0 ? (
        <Empty>No API keys.</Empty>
      ) : (
        <Table caption="API keys" head={['Name', 'Prefix', 'Role', 'Created', 'Last used', 'State', 'Action']}>
          {keys.items.map((k) => (
            <tr>
              <td>
                {k.name}
                {k.id === ownKeyId ? <div class="muted">you are signed in with this key</div> : null}
              </td>
              <td class="mono">{k.prefix}</td>
              <td>{k.role}</td>
              <td>
                <When at={k.createdAt} />
              </td>
              <td>
                <When at={k.lastUsedAt} />
              </td>
              <td>
                {k.revokedAt ? (
                  <>
                    <Status status="revoked" /> <When at={k.revokedAt} />
                  </>
                ) : (
                  <Status status="active" />
                )}
              </td>
              <td>
                {k.revokedAt ? null : (
                  <Action
                    viewer={viewer}
                    action={`/ui/api-keys/${k.id}/revoke`}
                    label={`Revoke ${k.name}`}
                    danger
                    confirm={`Revoke key ${k.name} (${k.prefix}…)? Everything using it stops working at once${k.id === ownKeyId ? ', including this session' : ''}.`}
                  />
                )}
              </td>
            </tr>
          ))}
        </Table>
      )}
      {keys.nextCursor ? (
        <p>
          <a href={`/ui/api-keys${qs({ cursor: keys.nextCursor })}`}>Next page of keys</a>
        </p>
      ) : null}

      <h2>Create a key</h2>
      <form method="post" action="/ui/api-keys">
        <Csrf viewer={viewer} />
        <Field
          id={FIELD_IDS.name}
          name="name"
          label="Name"
          value={created ? undefined : v['name']}
          required
          hint="What or who the key is for, e.g. reporting job"
          error={fieldError(opts.problem, 'name')}
        />
        <Select
          id={FIELD_IDS.role}
          name="role"
          label="Role"
          value={created ? 'viewer' : (v['role'] ?? 'viewer')}
          options={ROLE_OPTIONS}
          error={fieldError(opts.problem, 'role')}
        />
        <button type="submit">Create key</button>
      </form>
    </>,
  );
}
