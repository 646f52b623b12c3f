import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../harness/stack.ts';
import { apiJson } from '../harness/sync.ts';
import { UiClient } from '../harness/ui.ts';
import { SESSION_IDLE_MS } from '../../services/api/src/ui/session.ts';

describe('web UI sessions', () => {
  let stack: TestStack;
  let viewerKey: string;
  let viewerKeyId: string;

  beforeAll(async () => {
    stack = await startTestStack();
    const created = await apiJson<{ id: string; key: string }>(stack, '/v1/api-keys', { method: 'POST', json: { name: 'ui viewer', role: 'viewer' } }, 201);
    viewerKey = created.key;
    viewerKeyId = created.id;
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('redirects / and unauthenticated pages to the sign-in form, and comes back after signing in', async () => {
    const root = await fetch(new URL('/', stack.baseUrl), { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/ui');
    const ui = new UiClient(stack);
    const signIn = await ui.page('/ui/runs?status=failed');
    expect(signIn.path).toMatch(/^\/ui\/sign-in\?next=/);
    expect(signIn.doc.querySelector('label[for="api-key"]')?.textContent).toContain('API key');
    const res = await ui.raw(`/ui/sign-in?next=${encodeURIComponent('/ui/runs?status=failed')}`, {
      method: 'POST',
      body: new URLSearchParams({ apiKey: stack.adminKey }),
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ui.origin },
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/ui/runs?status=failed');
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('sb_session='))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Max-Age=\d+/);
    // Plain http here: no Secure flag (browsers would drop it); over https see below.
    expect(cookie).not.toMatch(/Secure/);
    const dashboard = await ui.page('/ui');
    expect(dashboard.status).toBe(200);
    expect(dashboard.title).toBe('Dashboard');
    expect(dashboard.headers.get('cache-control')).toBe('no-store');
    const csp = dashboard.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
  });

  it('marks the cookie Secure (and __Host-) when the request came over https', async () => {
    const res = await fetch(new URL('/ui/sign-in', stack.baseUrl), {
      method: 'POST',
      body: new URLSearchParams({ apiKey: stack.adminKey }),
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-proto': 'https', origin: `https://${new URL(stack.baseUrl).host}` },
      redirect: 'manual',
    });
    expect(res.status).toBe(303);
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('__Host-sb_session='));
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/Path=\//);
  });

  it('refuses a wrong key with the field named, and never sets a session', async () => {
    const ui = new UiClient(stack);
    const page = await ui.signIn('sbk_wrong');
    expect(page.status).toBe(401);
    expect(page.doc.querySelector('[role="alert"]')?.textContent).toContain('unknown or revoked');
    expect((await ui.page('/ui')).path).toMatch(/^\/ui\/sign-in/);
  });

  it('refuses changes without the CSRF token or from another origin, and signs out', async () => {
    const ui = new UiClient(stack);
    await ui.signIn();
    await ui.page('/ui');
    expect(ui.csrf).toMatch(/^[A-Za-z0-9_-]{30,}$/);
    expect((await ui.submit('/ui/sign-out', {}, { csrf: null })).status).toBe(403);
    expect((await ui.submit('/ui/sign-out', {}, { csrf: 'x'.repeat(43) })).status).toBe(403);
    expect((await ui.submit('/ui/sign-out', {}, { origin: 'https://evil.example' })).status).toBe(403);
    // A cross-site sign-in (login CSRF) is refused too.
    const other = new UiClient(stack);
    expect((await other.submit('/ui/sign-in', { apiKey: stack.adminKey }, { csrf: null, origin: 'https://evil.example' })).status).toBe(403);
    // Still signed in after the refusals; then out.
    expect((await ui.page('/ui')).title).toBe('Dashboard');
    const out = await ui.submit('/ui/sign-out');
    expect(out.path).toBe('/ui/sign-in');
    expect((await ui.page('/ui')).path).toMatch(/^\/ui\/sign-in/);
  });

  it("ends a session when its key is revoked, and a viewer's session has the viewer's rights", async () => {
    const ui = new UiClient(stack);
    await ui.signIn(viewerKey);
    const dash = await ui.page('/ui');
    expect(dash.title).toBe('Dashboard');
    expect(dash.doc.querySelector('.who')?.textContent).toContain('ui viewer');
    expect(dash.link('API keys')).toBeUndefined();
    expect(dash.link('New sync')).toBeUndefined();
    await apiJson(stack, `/v1/api-keys/${viewerKeyId}`, { method: 'DELETE' }, 204);
    expect((await ui.page('/ui')).path).toMatch(/^\/ui\/sign-in/);
  });

  it('ends a session idle for longer than the idle limit, and one past its absolute lifetime', async () => {
    const idle = new UiClient(stack);
    await idle.signIn();
    expect((await idle.page('/ui')).title).toBe('Dashboard');
    const before = await stack.store.sql<{ id: string }[]>`select id from ui_sessions order by created_at desc limit 1`;
    await stack.store.sql`update ui_sessions set last_seen_at = now() - make_interval(secs => ${SESSION_IDLE_MS / 1000 + 5}) where id = ${before[0]!.id}`;
    expect((await idle.page('/ui')).path).toMatch(/^\/ui\/sign-in/);

    const old = new UiClient(stack);
    await old.signIn();
    const [latest] = await stack.store.sql<{ id: string }[]>`select id from ui_sessions order by created_at desc limit 1`;
    await stack.store.sql`update ui_sessions set expires_at = now() - interval '1 second' where id = ${latest!.id}`;
    expect((await old.page('/ui')).path).toMatch(/^\/ui\/sign-in/);
    // Ended sessions are swept at the next sign-in.
    await new UiClient(stack).signIn();
    const [swept] = await stack.store.sql<{ n: number }[]>`select count(*)::int as n from ui_sessions where expires_at < now()`;
    expect(swept!.n).toBe(0);
  });

  it('keeps ids from the address inside their API route (no "../" to another one)', async () => {
    const ui = new UiClient(stack);
    await ui.signIn();
    const page = await ui.page('/ui/conflicts/..%2F..%2Fapi-keys');
    expect(page.status).toBe(400);
    expect(page.html).not.toContain('bootstrap-admin</td>');
  });

  it('serves its scripts and styles from this server, versioned and cacheable', async () => {
    const ui = new UiClient(stack);
    const page = await ui.page('/ui/sign-in');
    const assets = [
      ...page.doc.querySelectorAll('script[src]').map((s) => s.getAttribute('src')!),
      ...page.doc.querySelectorAll('link[rel="stylesheet"], link[rel="icon"]').map((l) => l.getAttribute('href')!),
    ];
    expect(assets.length).toBe(4);
    for (const src of assets) {
      expect(src).toMatch(/^\/ui\/assets\/[a-z.]+-[0-9a-f]{12}\.(js|css|svg)$/);
      const res = await fetch(new URL(src, stack.baseUrl));
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toContain('immutable');
      expect((await res.text()).length).toBeGreaterThan(100);
    }
  });
});
