import type { Child, FC, PropsWithChildren } from 'hono/jsx';
import type { Role } from '../lib/context.ts';
import type { Problem } from './api.ts';
import { ASSETS } from './assets.ts';

/*
 * The UI's building blocks: the page frame, forms that work without scripts (every action is a
 * POST form carrying the CSRF token), error summaries the screen reader announces, and tables.
 * WCAG 2.1 AA is the target: every control has a label, errors are tied to their fields,
 * focus order follows the reading order, and colours keep a 4.5:1 contrast (ui.css).
 */

export interface Viewer {
  name: string;
  role: Role;
  csrf: string;
}

const rank: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };
/** Whether the signed-in key may do what needs `role`; buttons it may not press are not shown (the API refuses them anyway). */
export const can = (viewer: Viewer, role: Role) => rank[viewer.role] >= rank[role];

const NAV: Array<{ href: string; label: string; section: string }> = [
  { href: '/ui', label: 'Dashboard', section: 'dashboard' },
  { href: '/ui/definitions/new', label: 'New sync', section: 'wizard' },
  { href: '/ui/runs', label: 'Runs', section: 'runs' },
  { href: '/ui/conflicts', label: 'Conflicts', section: 'conflicts' },
  { href: '/ui/instances', label: 'Databases', section: 'instances' },
  { href: '/ui/connections', label: 'SharePoint', section: 'connections' },
  { href: '/ui/runbooks', label: 'Runbooks', section: 'runbooks' },
  { href: '/ui/api-keys', label: 'API keys', section: 'api-keys' },
];

export const Layout: FC<PropsWithChildren<{ title: string; viewer?: Viewer | undefined; section?: string; notice?: Child }>> = ({
  title,
  viewer,
  section,
  notice,
  children,
}) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      {/* htmx: no inline styles (the CSP forbids them), no eval, no history cache of pages holding data. */}
      <meta
        name="htmx-config"
        content='{"includeIndicatorStyles":false,"allowEval":false,"allowScriptTags":false,"historyCacheSize":0,"selfRequestsOnly":true}'
      />
      {viewer ? <meta name="csrf-token" content={viewer.csrf} /> : null}
      <title>{`${title} · SyncBridge`}</title>
      <link rel="icon" href={ASSETS.icon} type="image/svg+xml" />
      <link rel="stylesheet" href={ASSETS.css} />
      <script src={ASSETS.htmx} defer></script>
      <script src={ASSETS.js} defer></script>
    </head>
    <body>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href="/ui">
          SyncBridge
        </a>
        {viewer ? (
          <nav aria-label="Main">
            <ul>
              {NAV.filter((n) => n.section !== 'api-keys' || can(viewer, 'admin'))
                .filter((n) => n.section !== 'wizard' || can(viewer, 'operator'))
                .map((n) => (
                  <li>
                    <a href={n.href} aria-current={n.section === section ? 'page' : undefined}>
                      {n.label}
                    </a>
                  </li>
                ))}
            </ul>
          </nav>
        ) : null}
        {viewer ? (
          <div class="who">
            <span>
              {viewer.name} <span class="role">({viewer.role})</span>
            </span>
            <form method="post" action="/ui/sign-out">
              <Csrf viewer={viewer} />
              <button type="submit" class="link">
                Sign out
              </button>
            </form>
          </div>
        ) : null}
      </header>
      <main id="main" tabindex={-1}>
        <h1>{title}</h1>
        {notice}
        {children}
      </main>
      <footer class="foot">
        <a href="/docs">API reference</a> · <a href="/openapi.json">OpenAPI document</a>
      </footer>
    </body>
  </html>
);

export const Csrf: FC<{ viewer: Viewer }> = ({ viewer }) => <input type="hidden" name="_csrf" value={viewer.csrf} />;

/** A one-button form: the way every action is sent, with or without scripts. */
export const Action: FC<{
  viewer: Viewer;
  action: string;
  label: string;
  danger?: boolean;
  confirm?: string;
  fields?: Record<string, string>;
}> = ({ viewer, action, label, danger, confirm, fields }) => (
  <form method="post" action={action} class="inline" data-confirm={confirm}>
    <Csrf viewer={viewer} />
    {Object.entries(fields ?? {}).map(([name, value]) => (
      <input type="hidden" name={name} value={value} />
    ))}
    <button type="submit" class={danger ? 'danger' : undefined}>
      {label}
    </button>
  </form>
);

/** The API's error, announced (role=alert) and listing each field's message with a link to the field. */
export const ErrorSummary: FC<{ problem?: Problem | undefined; fieldIds?: Record<string, string> }> = ({ problem, fieldIds }) =>
  problem ? (
    <div class="error-summary" role="alert" tabindex={-1} id="error-summary">
      <h2>{problem.title ?? 'That did not work'}</h2>
      {/* A validation failure's detail repeats its field errors, listed below: shown only when it says more. */}
      {problem.detail && !problem.errors?.some((e) => problem.detail!.includes(e.message)) ? <p>{problem.detail}</p> : null}
      {problem.errors?.length ? (
        <ul>
          {problem.errors.map((e) => {
            const target = fieldIds?.[e.field] ?? fieldIds?.[e.field.replace(/^body\./, '')];
            return <li>{target ? <a href={`#${target}`}>{`${label(e.field)}: ${e.message}`}</a> : `${label(e.field)}: ${e.message}`}</li>;
          })}
        </ul>
      ) : null}
    </div>
  ) : null;

const label = (field: string) => field.replace(/^body\./, '');

export const Notice: FC<PropsWithChildren<{ kind?: 'ok' | 'info' }>> = ({ kind = 'ok', children }) => (
  <div class={`notice ${kind}`} role="status">
    {children}
  </div>
);

/** The ids a control's aria-describedby names: its hint and its error, when shown. */
const describedBy = (id: string, hint?: string, error?: string) =>
  [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;

/** What every form control shares: its label, then its hint and its error (tied to the control by describedBy). */
const FieldFrame: FC<
  PropsWithChildren<{ id: string; label: string; hint?: string | undefined; error?: string | undefined; required?: boolean | undefined }>
> = ({ id, label: text, hint, error, required, children }) => (
  <div class={error ? 'field invalid' : 'field'}>
    <label for={id}>
      {text}
      {required ? <span aria-hidden="true"> *</span> : null}
    </label>
    {hint ? (
      <p class="hint" id={`${id}-hint`}>
        {hint}
      </p>
    ) : null}
    {error ? (
      <p class="field-error" id={`${id}-error`}>
        {error}
      </p>
    ) : null}
    {children}
  </div>
);

/** A labelled input; its error (from the API's field errors) is tied to it with aria-describedby. */
export const Field: FC<{
  id: string;
  name: string;
  label: string;
  value?: string | number | null | undefined;
  type?: string;
  required?: boolean;
  hint?: string;
  error?: string | undefined;
  autocomplete?: string;
  min?: number;
}> = ({ id, name, label: text, value, type = 'text', required, hint, error, autocomplete, min }) => (
  <FieldFrame id={id} label={text} hint={hint} error={error} required={required}>
    <input
      id={id}
      name={name}
      type={type}
      value={value === null || value === undefined ? undefined : String(value)}
      required={required}
      aria-describedby={describedBy(id, hint, error)}
      aria-invalid={error ? 'true' : undefined}
      autocomplete={autocomplete ?? 'off'}
      min={min}
    />
  </FieldFrame>
);

export const Select: FC<{
  id: string;
  name: string;
  label: string;
  options: Array<{ value: string; label: string }>;
  value?: string | null | undefined;
  hint?: string;
  error?: string | undefined;
  required?: boolean;
}> = ({ id, name, label: text, options, value, hint, error, required }) => (
  <FieldFrame id={id} label={text} hint={hint} error={error}>
    <select id={id} name={name} aria-describedby={describedBy(id, hint, error)} aria-invalid={error ? 'true' : undefined} required={required}>
      {options.map((o) => (
        <option value={o.value} selected={o.value === value}>
          {o.label}
        </option>
      ))}
    </select>
  </FieldFrame>
);

/** A labelled multi-line input (certificates, notes). */
export const TextArea: FC<{
  id: string;
  name: string;
  label: string;
  value?: string | undefined;
  hint?: string;
  error?: string | undefined;
  rows?: number;
}> = ({ id, name, label: text, value, hint, error, rows = 4 }) => (
  <FieldFrame id={id} label={text} hint={hint} error={error}>
    <textarea id={id} name={name} rows={rows} aria-describedby={describedBy(id, hint, error)} aria-invalid={error ? 'true' : undefined}>
      {value ?? ''}
    </textarea>
  </FieldFrame>
);

/** A labelled checkbox (sends `value`, "on" unless given, when ticked). */
export const Checkbox: FC<{
  id: string;
  name: string;
  label: string;
  checked?: boolean | undefined;
  hint?: string | undefined;
  value?: string;
  extraClass?: string;
}> = ({ id, name, label: text, checked, hint, value, extraClass }) => (
  <div class={extraClass ? `field check ${extraClass}` : 'field check'}>
    <input type="checkbox" id={id} name={name} value={value ?? 'on'} checked={checked} aria-describedby={hint ? `${id}-hint` : undefined} />{' '}
    <label for={id}>{text}</label>
    {hint ? (
      <p class="hint" id={`${id}-hint`}>
        {hint}
      </p>
    ) : null}
  </div>
);

/** The message the API gave for one field (`body.x` or `x`), for Field's error. */
export const fieldError = (problem: Problem | undefined, field: string): string | undefined =>
  problem?.errors?.find((e) => e.field === field || e.field === `body.${field}` || e.field.startsWith(`body.${field}.`))?.message;

export const Status: FC<{ status: string | null | undefined }> = ({ status }) => (
  <span class={`status s-${(status ?? 'none').replace(/[^a-z_]/g, '')}`}>{(status ?? 'never run').replace(/_/g, ' ')}</span>
);

/** A date as the reader's UTC time, in a <time> element that carries the exact instant. */
export const When: FC<{ at: string | null | undefined }> = ({ at }) =>
  at ? <time datetime={at}>{new Date(at).toISOString().replace('T', ' ').slice(0, 19) + ' UTC'}</time> : <span class="muted">—</span>;

export const Empty: FC<PropsWithChildren> = ({ children }) => <p class="empty">{children}</p>;

/** A table with a caption (screen readers announce it) and column headers with scope. */
export const Table: FC<PropsWithChildren<{ caption: string; head: string[] }>> = ({ caption, head, children }) => (
  <div class="table-wrap">
    <table>
      <caption>{caption}</caption>
      <thead>
        <tr>
          {head.map((h) => (
            <th scope="col">{h}</th>
          ))}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  </div>
);

/** Counts of a run ({created: 3, updated: 1}) as short text. */
export const countsText = (counts: Record<string, unknown> | null | undefined): string => {
  const parts = Object.entries(counts ?? {})
    .filter(([, v]) => typeof v === 'number' && v !== 0)
    .map(([k, v]) => `${k} ${String(v)}`);
  return parts.length ? parts.join(', ') : '—';
};
