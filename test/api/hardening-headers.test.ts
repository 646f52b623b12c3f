import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey, startTestStack, type TestStack } from '../harness/stack.ts';

interface Problem {
  status: number;
  code: string;
  detail: string;
  errors?: Array<{ field: string; message: string }>;
  omittedErrors?: number;
}

type Operation = {
  'x-required-role'?: string;
  description?: string;
  requestBody?: unknown;
  responses: Record<string, unknown>;
};

const problemOf = async (res: Response, status: number) => {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  return (await res.json()) as Problem;
};

describe('API hardening: headers, body limits, error sizes, docs, OpenAPI', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  const expectSecurityHeaders = (res: Response, what: string) => {
    expect(res.headers.get('x-content-type-options'), what).toBe('nosniff');
    expect(res.headers.get('x-frame-options'), what).toBe('DENY');
    expect(res.headers.get('content-security-policy'), what).toContain("frame-ancestors 'none'");
    expect(res.headers.get('referrer-policy'), what).toBe('no-referrer');
  };

  it('sends security headers on every kind of answer', async () => {
    const answers: Array<[string, Response]> = [
      ['200 /v1', await stack.api('/v1/apps')],
      ['401', await stack.api('/v1/apps', { key: null })],
      ['404', await stack.api('/nowhere', { key: null })],
      ['healthz', await stack.api('/healthz', { key: null })],
      ['openapi', await stack.api('/openapi.json', { key: null })],
      ['docs', await stack.api('/docs', { key: null })],
    ];
    for (const [what, res] of answers) expectSecurityHeaders(res, what);
    // JSON answers allow nothing to load or frame them.
    expect(answers[0]![1].headers.get('content-security-policy')).toContain("default-src 'none'");
  });

  it('never lets /v1 answers be cached, above all the one carrying a new API key', async () => {
    const created = await stack.api('/v1/api-keys', { method: 'POST', json: { name: 'ci', role: 'viewer' } });
    expect(created.status).toBe(201);
    expect(created.headers.get('cache-control')).toBe('no-store');
    expect((await stack.api('/v1/api-keys')).headers.get('cache-control')).toBe('no-store');
    expect((await stack.api('/v1/apps', { key: null })).headers.get('cache-control')).toBe('no-store');
  });

  it('serves the docs page and its script from this server, with nothing from elsewhere', async () => {
    const page = await stack.api('/docs', { key: null });
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-store');
    const html = await page.text();
    expect(html).not.toMatch(/https?:\/\//);
    const scripts = [...html.matchAll(/<script\b([^>]*)>/g)].map((m) => m[1]!);
    const src = scripts.map((attrs) => /\bsrc="([^"]+)"/.exec(attrs)?.[1]).find(Boolean);
    expect(src).toMatch(/^\/docs\/assets\/scalar-api-reference-[\d.]+\.js$/);
    // Only this response's nonce lets the inline start-up script run.
    const csp = page.headers.get('content-security-policy')!;
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeTruthy();
    expect(csp).toMatch(/script-src 'self' 'nonce-/);
    expect(csp).toContain("connect-src 'self'");
    for (const attrs of scripts) expect(attrs).toContain(`nonce="${nonce}"`);
    // A fresh nonce per response.
    const again = (await stack.api('/docs', { key: null })).headers.get('content-security-policy')!;
    expect(again).not.toBe(csp);

    const asset = await stack.api(src!, { key: null, headers: { 'accept-encoding': 'identity' } });
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toContain('javascript');
    expect(asset.headers.get('cache-control')).toContain('immutable');
    const code = await asset.text();
    expect(code.length).toBeGreaterThan(100_000);
    expect(code).toContain('createApiReference');
  });

  it('refuses a body larger than the limit with 413 before reading it, with or without Content-Length', async () => {
    const big = JSON.stringify({ name: 'x', ownerTeam: 'y', description: 'z'.repeat(2 * 1024 * 1024) });
    const declared = await problemOf(await stack.api('/v1/apps', { method: 'POST', headers: { 'content-type': 'application/json' }, body: big }), 413);
    expect(declared.code).toBe('payload_too_large');
    expect(declared.detail).toContain('1048576');

    // Chunked: no Content-Length, counted while it streams.
    const chunks = new TextEncoder().encode(big);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < chunks.length; i += 64 * 1024) controller.enqueue(chunks.subarray(i, i + 64 * 1024));
        controller.close();
      },
    });
    const streamed = await stack.api('/v1/apps', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect((await problemOf(streamed, 413)).code).toBe('payload_too_large');
    // The 413s closed their connections (their bodies were never read): the next request is not sent on one.
    expect((await stack.api('/v1/apps')).status).toBe(200);
  });

  it('keeps connections usable after refusing a request whose body it never read', async () => {
    const body = JSON.stringify({ name: 'x', ownerTeam: 'y', description: 'z'.repeat(300_000) });
    for (const contentType of ['application/json', 'text/plain']) {
      // 401: refused before anything reads the body; the next request goes on the same keep-alive connection.
      expect((await stack.api('/v1/apps', { key: null, method: 'POST', headers: { 'content-type': contentType }, body })).status).toBe(401);
      expect((await stack.api('/v1/apps')).status).toBe(200);
    }
  });

  it('answers 415 problem+json for a JSON operation called with another content type', async () => {
    const res = await stack.api('/v1/apps', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ name: 'x', ownerTeam: 'y' }) });
    const body = await problemOf(res, 415);
    expect(body.code).toBe('unsupported_media_type');
    expect(body.detail).toContain('application/json');
    expect(body.detail).toContain('text/plain');
  });

  it('keeps error answers small: unknown keys are named up to a few, field errors up to 20 with a count of the rest', async () => {
    const unknown = Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`k${i}`, 1]));
    const res = await stack.api('/v1/apps', { method: 'POST', json: { name: 'x', ownerTeam: 'y', ...unknown } });
    const text = await res.clone().text();
    const body = await problemOf(res, 400);
    expect(text.length).toBeLessThan(10_000);
    expect(body.errors?.[0]?.message).toMatch(/unknown fields "k0", .* and 49990 more/);

    // Every mapping here misses its three required fields: 1,500 errors, 20 listed.
    const many = await stack.api('/v1/sync-definitions/00000000-0000-4000-8000-000000000000/field-mappings', {
      method: 'PUT',
      json: { mappings: Array.from({ length: 500 }, () => ({})) },
    });
    const manyText = await many.clone().text();
    const manyBody = await problemOf(many, 400);
    expect(manyBody.errors).toHaveLength(20);
    expect(manyBody.omittedErrors).toBe(1500 - 20);
    expect(manyBody.detail).toMatch(/and \d+ more$/);
    expect(manyText.length).toBeLessThan(10_000);
  });

  it('documents the role, 413, 415, 429 and 503 of every /v1 operation', async () => {
    const doc = (await (await stack.api('/openapi.json', { key: null })).json()) as { paths: Record<string, Record<string, Operation>> };
    const ops = Object.entries(doc.paths)
      .filter(([p]) => p.startsWith('/v1/'))
      .flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ id: `${method.toUpperCase()} ${path}`, op })));
    expect(ops.length).toBeGreaterThan(50);
    for (const { id, op } of ops) {
      expect(['viewer', 'operator', 'admin'], id).toContain(op['x-required-role']);
      expect(op.description, id).toContain(`Requires the ${op['x-required-role']} role`);
      expect(Object.keys(op.responses), id).toContain('429');
      if (op.requestBody) expect(Object.keys(op.responses), id).toEqual(expect.arrayContaining(['413', '415']));
    }
    const role = (id: string) => ops.find((o) => o.id === id)?.op['x-required-role'];
    expect(role('POST /v1/api-keys')).toBe('admin');
    expect(role('GET /v1/apps')).toBe('viewer');
    expect(role('POST /v1/sync-definitions')).toBe('operator');
    expect(role('POST /v1/apps')).toBe('admin');
    for (const id of [
      'POST /v1/sync-definitions/{id}/runs',
      'POST /v1/sync-definitions/{id}/provision',
      'POST /v1/sync-definitions/{id}/operations/{kind}',
      'PUT /v1/sync-definitions/{id}/schedules/{kind}',
      'DELETE /v1/sync-definitions/{id}',
      'GET /v1/sharepoint-connections/{id}/sites',
      'POST /v1/diagnostics/health-workflow',
      'GET /v1/database-instances/{id}/schema',
    ]) {
      expect(Object.keys(ops.find((o) => o.id === id)!.op.responses), id).toContain('503');
    }
    // The roles documented are the ones enforced.
    const viewer = await createKey(stack, 'viewer');
    expect((await stack.api('/v1/api-keys', { key: viewer })).status).toBe(403);
    expect((await stack.api('/v1/apps', { key: viewer })).status).toBe(200);
  });
});
