import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '@syncbridge/api';
import { createKey, startTestStack, type TestStack } from '../harness/stack.ts';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: { code?: string; detail?: string };
}

/** GET from a chosen loopback address (all of 127.0.0.0/8 reaches the server on Linux), so each "client" has its own address. */
function getFrom(baseUrl: string, path: string, opts: { key?: string; from?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${baseUrl}${path}`,
      { localAddress: opts.from ?? '127.0.0.1', headers: opts.key ? { authorization: `Bearer ${opts.key}` } : {}, agent: false },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text ? (JSON.parse(text) as Answer['body']) : {} }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const wrongKey = (prefix = 'sbk_') => prefix + randomBytes(24).toString('base64url');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('failed-authentication throttling', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  /** A fresh API (fresh throttles) on the stack's database, with a small budget: `limit` failures per `windowSeconds`. */
  async function withApi(limit: number, windowSeconds: number, run: (baseUrl: string) => Promise<void>) {
    const app = createApp({
      ...stack.apiDeps,
      config: { ...stack.apiDeps.config, API_AUTH_FAILURE_LIMIT: limit, API_AUTH_FAILURE_WINDOW_SECONDS: windowSeconds },
    });
    const server: ServerType = await new Promise((resolve) => {
      const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
    });
    try {
      await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    } finally {
      await new Promise((r) => server.close(r));
    }
  }

  it('answers 429 with Retry-After once an address has failed `limit` times, refuses even a good key from it, and lets it in after the window', async () => {
    await withApi(3, 2, async (api) => {
      for (let i = 0; i < 3; i++) expect((await getFrom(api, '/v1/apps', { key: wrongKey() })).status).toBe(401);
      const blocked = await getFrom(api, '/v1/apps', { key: wrongKey() });
      expect(blocked.status).toBe(429);
      expect(blocked.headers['content-type']).toContain('application/problem+json');
      expect(blocked.body.code).toBe('too_many_requests');
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(blocked.headers['retry-after'])).toBeLessThanOrEqual(2);
      // Not even looked at while blocked: a right guess must look like a wrong one.
      expect((await getFrom(api, '/v1/apps', { key: stack.adminKey })).status).toBe(429);
      // Another client is not affected.
      expect((await getFrom(api, '/v1/apps', { key: stack.adminKey, from: '127.0.0.2' })).status).toBe(200);
      await sleep(2_100);
      expect((await getFrom(api, '/v1/apps', { key: stack.adminKey })).status).toBe(200);
    });
    expect(stack.logs.text()).toContain('failed authentications: address throttled');
  });

  it('counts neither successes nor requests without credentials, and a success does not wipe the count', async () => {
    await withApi(3, 60, async (api) => {
      for (let i = 0; i < 5; i++) expect((await getFrom(api, '/v1/apps', { key: stack.adminKey })).status).toBe(200);
      for (let i = 0; i < 5; i++) expect((await getFrom(api, '/v1/apps')).status).toBe(401);
      expect((await getFrom(api, '/v1/apps', { key: wrongKey() })).status).toBe(401);
      expect((await getFrom(api, '/v1/apps', { key: wrongKey() })).status).toBe(401);
      expect((await getFrom(api, '/v1/apps', { key: stack.adminKey })).status).toBe(200);
      expect((await getFrom(api, '/v1/apps', { key: wrongKey() })).status).toBe(401);
      expect((await getFrom(api, '/v1/apps', { key: wrongKey() })).status).toBe(429);
    });
  });

  it("throttles wrong keys with one prefix across addresses, without locking out the key's holder", async () => {
    const real = await createKey(stack, 'viewer');
    const prefix = real.slice(0, 12);
    await withApi(3, 60, async (api) => {
      // One wrong key per address: no address reaches its limit, the prefix does.
      for (const from of ['127.0.0.11', '127.0.0.12', '127.0.0.13']) expect((await getFrom(api, '/v1/apps', { key: wrongKey(prefix), from })).status).toBe(401);
      const blocked = await getFrom(api, '/v1/apps', { key: wrongKey(prefix), from: '127.0.0.14' });
      expect(blocked.status).toBe(429);
      expect(blocked.headers['retry-after']).toBeTruthy();
      expect((await getFrom(api, '/v1/apps', { key: real, from: '127.0.0.15' })).status).toBe(200);
      expect((await getFrom(api, '/v1/apps', { key: wrongKey('sbk_other_'), from: '127.0.0.16' })).status).toBe(401);
    });
    expect(stack.logs.text()).not.toContain(real);
  });

  it('never throttles with a limit of 0', async () => {
    await withApi(0, 60, async (api) => {
      for (let i = 0; i < 15; i++) expect((await getFrom(api, '/v1/apps', { key: wrongKey() })).status).toBe(401);
    });
  });
});

describe('API key lastUsedAt', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  /** last_used_at in epoch milliseconds, or null. */
  const lastUsed = async (key: string) =>
    (
      await stack.store.sql<
        { ms: number | null }[]
      >`select (extract(epoch from last_used_at) * 1000)::float8 as ms from api_keys where prefix = ${key.slice(0, 12)}`
    )[0]!.ms;

  it('is set when a key is used, written at most once a minute, and listed', async () => {
    const key = await createKey(stack, 'viewer');
    expect(await lastUsed(key)).toBeNull();
    expect((await stack.api('/v1/apps', { key })).status).toBe(200);
    const first = await lastUsed(key);
    expect(first).not.toBeNull();
    expect(Date.now() - first!).toBeLessThan(60_000);

    // Within the minute: no write per request.
    for (let i = 0; i < 3; i++) expect((await stack.api('/v1/apps', { key })).status).toBe(200);
    expect(await lastUsed(key)).toBe(first);

    // A minute later it moves on.
    await stack.store.sql`update api_keys set last_used_at = now() - interval '2 minutes' where prefix = ${key.slice(0, 12)}`;
    expect((await stack.api('/v1/apps', { key })).status).toBe(200);
    expect(await lastUsed(key)).toBeGreaterThan(Date.now() - 60_000);

    const listed = (await (await stack.api('/v1/api-keys')).json()) as { items: Array<{ prefix: string; lastUsedAt: string | null }> };
    expect(listed.items.find((k) => k.prefix === key.slice(0, 12))?.lastUsedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
  });
});
