import { Hono, type Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { createMiddleware } from 'hono/factory';
import type { Child } from 'hono/jsx';
import type { ApiDeps, AppEnv, Role } from '../lib/context.ts';
import { clientAddress, FailureThrottle } from '../lib/auth-throttle.ts';
import { UiApi, UiProblem, type Problem } from './api.ts';
import { registerAssets } from './assets.ts';
import { can, ErrorSummary, Field, fieldError, Layout, Notice, type Viewer } from './kit.tsx';
import { csrfMatches, isHttps, sameOrigin, UiSessions, type UiSession } from './session.ts';
import { registerDashboard } from './pages/dashboard.tsx';
import { registerDefinitionPages } from './pages/definitions.tsx';
import { registerRunPages } from './pages/runs.tsx';
import { registerSourcePages } from './pages/sources.tsx';
import { registerSharePointPages } from './pages/sharepoint.tsx';
import { registerWizard } from './pages/wizard.tsx';
import { registerRepairPages } from './pages/repair.tsx';
import { registerApiKeyPages } from './pages/api-keys.tsx';

/*
 * The admin web UI, at /ui: server-rendered pages (hono/jsx) whose every read and change goes
 * through the API in-process as the signed-in key (ui/api.ts), so validation messages, role
 * checks and audit are the API's own. Forms work without scripts; htmx (served from its npm
 * package) adds live progress and partial updates where scripts run.
 */

export interface UiEnv {
  Variables: AppEnv['Variables'] & { session: UiSession; viewer: Viewer; api: UiApi; flash: { kind: 'ok' | 'error'; text: string } | undefined };
}
export type Ui = Hono<UiEnv>;
export type UiContext = Context<UiEnv>;

const FLASH_COOKIE = 'sb_flash';

/** A message the next page shows once (after a redirect): kept in a short-lived cookie, never in the URL. */
export function flash(c: Context, text: string, kind: 'ok' | 'error' = 'ok'): void {
  setCookie(c, FLASH_COOKIE, `${kind}:${encodeURIComponent(text.slice(0, 500))}`, {
    httpOnly: true,
    sameSite: 'Strict',
    secure: isHttps(c),
    path: '/ui',
    maxAge: 60,
  });
}

/**
 * What the API refused, for the next page: a 403 becomes this request's own error page (status
 * 403, as the API answered); anything else is shown on the next page as an error.
 */
export function flashProblem(c: Context, problem: Problem | undefined): void {
  if (problem?.status === 403) throw new UiProblem(problem);
  flash(c, `Not done: ${problem?.detail ?? problem?.title ?? 'the API refused it'}`, 'error');
}

/** Renders a page in the frame, with the pending flash message and an optional error summary. */
export function page(
  c: UiContext,
  opts: { title: string; section?: string; problem?: Problem | undefined; fieldIds?: Record<string, string>; status?: number },
  body: Child,
) {
  const pending = c.get('flash');
  const notice = (
    <>
      {pending?.kind === 'ok' ? <Notice>{pending.text}</Notice> : null}
      {pending?.kind === 'error' ? (
        <div class="error-summary" role="alert">
          <p>{pending.text}</p>
        </div>
      ) : null}
      <ErrorSummary problem={opts.problem} fieldIds={opts.fieldIds ?? {}} />
    </>
  );
  return c.html(
    <Layout title={opts.title} viewer={c.get('viewer')} section={opts.section ?? ''} notice={notice}>
      {body}
    </Layout>,
    (opts.status ?? (opts.problem ? opts.problem.status : 200)) as 200,
  );
}

/** The submitted form as strings (repeated names: the last value; use formAll for lists). */
export async function form(c: UiContext): Promise<Record<string, string>> {
  const body = await c.req.parseBody({ all: true });
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(body)) {
    const last = Array.isArray(v) ? v[v.length - 1] : v;
    if (typeof last === 'string') out[k] = last;
  }
  return out;
}

/** Every value submitted under a name (checkbox groups, repeated rows). */
export async function formAll(c: UiContext, name: string): Promise<string[]> {
  const v = (await c.req.parseBody({ all: true }))[name];
  return (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((x): x is string => typeof x === 'string');
}

/**
 * After an API call from a one-button form: on success flash `done`; on failure flash the API's
 * refusal (a refusal for the key's role is this request's own 403 page: nothing changed, nothing
 * to retry); either way go to `to`.
 */
export function afterAction(c: UiContext, answer: { ok: boolean; problem?: Problem }, done: string, to: string) {
  if (answer.ok) flash(c, done);
  else flashProblem(c, answer.problem);
  return c.redirect(to, 303);
}

export const requireUiRole = (role: Role) =>
  createMiddleware<UiEnv>(async (c, next) => {
    if (!can(c.get('viewer'), role))
      throw new UiProblem({ status: 403, title: 'Not allowed', detail: `this needs the ${role} role; you are signed in as ${c.get('viewer').role}` });
    await next();
  });

const safeDecode = (text: string) => {
  try {
    return decodeURIComponent(text);
  } catch {
    return '';
  }
};

/** A safe place to return to after sign-in: a path of this UI, nothing else. */
const safeNext = (next: string | undefined) => (next && /^\/ui(\/[A-Za-z0-9/_.-]*)?(\?[A-Za-z0-9=&_.%-]*)?$/.test(next) ? next : '/ui');

export function registerUi(app: Hono<AppEnv>, deps: ApiDeps, opts: { failureLimit: number; windowMs: number }): void {
  const sessions = new UiSessions(deps.store);
  const throttle = new FailureThrottle({ limit: opts.failureLimit, windowMs: opts.windowMs });
  const ui = new Hono<UiEnv>();
  registerAssets(ui as unknown as Hono<never>);

  // Pages hold data: never cached. Assets (above) answer before this runs.
  ui.use('*', async (c, next) => {
    await next();
    c.header('Cache-Control', 'no-store');
  });
  ui.use('*', async (c, next) => {
    const pending = getCookie(c, FLASH_COOKIE);
    if (pending) {
      const error = pending.startsWith('error:');
      c.set('flash', { kind: error ? 'error' : 'ok', text: safeDecode(pending.replace(/^(ok|error):/, '')) });
      deleteCookie(c, FLASH_COOKIE, { path: '/ui' });
    }
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD' && !sameOrigin(c)) {
      return c.text('Refused: this form was sent from another site.', 403);
    }
    await next();
  });

  const signInPage = (c: Context<UiEnv>, problem?: Problem, status = 200) =>
    c.html(
      <Layout title="Sign in">
        <ErrorSummary problem={problem} fieldIds={{ apiKey: 'api-key' }} />
        <p>Sign in with a SyncBridge API key. Your key is checked and then forgotten by the browser: a session cookie stands for it until you sign out.</p>
        <form method="post" action={`/ui/sign-in?next=${encodeURIComponent(safeNext(c.req.query('next')))}`}>
          <Field
            id="api-key"
            name="apiKey"
            label="API key"
            type="password"
            required
            autocomplete="current-password"
            hint="Starts with sbk_. An admin creates keys under API keys."
            error={fieldError(problem, 'apiKey')}
          />
          <button type="submit">Sign in</button>
        </form>
      </Layout>,
      status as 200,
    );

  ui.get('/sign-in', (c) => signInPage(c));
  ui.post('/sign-in', async (c) => {
    const key = `address:${clientAddress(c)}`;
    const blocked = throttle.retryAfterSeconds(key);
    if (blocked) {
      c.header('Retry-After', String(blocked));
      return signInPage(c, { status: 429, title: 'Too many failed sign-ins', detail: `Try again in ${blocked} seconds.` }, 429);
    }
    const body = await c.req.parseBody();
    const apiKey = typeof body['apiKey'] === 'string' ? body['apiKey'] : '';
    const principal = apiKey ? await sessions.signIn(c, apiKey) : null;
    if (!principal) {
      if (apiKey) throttle.fail(key);
      return signInPage(
        c,
        { status: 401, title: 'Not signed in', errors: [{ field: 'apiKey', message: apiKey ? 'this key is unknown or revoked' : 'enter an API key' }] },
        401,
      );
    }
    c.get('log').info({ apiKeyId: principal.keyId }, 'ui sign-in');
    return c.redirect(safeNext(c.req.query('next')), 303);
  });

  // Everything below needs a session; changes also need the CSRF token.
  ui.use('*', async (c, next) => {
    const session = await sessions.current(c);
    if (!session) {
      if (c.req.method === 'GET') return c.redirect(`/ui/sign-in?next=${encodeURIComponent(safeNext(c.req.path + new URL(c.req.url).search))}`, 303);
      return c.text('Your session has ended: sign in again.', 401);
    }
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      const presented = c.req.header('x-csrf-token') ?? (await form(c))['_csrf'];
      if (!csrfMatches(session.token, presented))
        return c.text('Refused: the form is stale or was not sent by this site (CSRF token). Reload the page and try again.', 403);
    }
    c.set('session', session);
    c.set('viewer', { name: session.principal.name, role: session.principal.role, csrf: session.csrf });
    c.set('api', new UiApi(app as unknown as Hono<never>, session.principal, c.get('requestId')));
    c.set('log', c.get('log').child({ apiKeyId: session.principal.keyId, via: 'ui' }));
    await next();
  });

  ui.post('/sign-out', async (c) => {
    await sessions.signOut(c, c.get('session'));
    return c.redirect('/ui/sign-in', 303);
  });

  registerDashboard(ui);
  registerDefinitionPages(ui);
  registerRunPages(ui);
  registerSourcePages(ui);
  registerSharePointPages(ui);
  registerWizard(ui);
  registerRepairPages(ui);
  registerApiKeyPages(ui);

  ui.all('*', (c) => page(c, { title: 'Not found', problem: { status: 404, title: 'Not found', detail: `There is no page at ${c.req.path}.` } }, null));
  ui.onError((err, c) => {
    if (err instanceof UiProblem) {
      const viewer = (c as UiContext).get('viewer');
      if (!viewer) return c.text(err.message, err.problem.status as 400);
      return page(
        c as UiContext,
        { title: err.problem.status === 404 ? 'Not found' : 'Something went wrong', problem: err.problem },
        <p>
          <a href="/ui">Back to the dashboard</a>
        </p>,
      );
    }
    c.get('log').error({ err }, 'ui page failed');
    return c.text(`Something went wrong on our side (request ${c.get('requestId')}).`, 500);
  });

  app.route('/ui', ui as unknown as Hono<AppEnv>);
  app.get('/', (c) => c.redirect('/ui', 302));
}
