import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TokenCredential } from '@azure/identity';
import { trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GraphError, GraphGateway, GraphUsageError, resetBudgetRegistry } from '../../src/graph/index.ts';
import { createLogger } from '../../src/observability/logger.ts';

/**
 * The transport against a scripted local "Graph" (plain HTTP): decoration headers,
 * top-level retry rules, RateLimit reaction and tracing. Tokens come from a fake
 * credential; authentication itself is covered by the emulator contract tests.
 */

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
}

type Handler = (req: IncomingMessage, res: ServerResponse, hit: number) => void;

const seen: Seen[] = [];
const handlers = new Map<string, Handler>();
const hits = new Map<string, number>();
let server: Server;
let base: string;
const exporter = new InMemorySpanExporter();

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(body === undefined ? undefined : JSON.stringify(body));
}

beforeAll(async () => {
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
  server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    const key = `${req.method} ${(req.url ?? '').split('?')[0]}`;
    const hit = (hits.get(key) ?? 0) + 1;
    hits.set(key, hit);
    req.resume();
    req.on('end', () => (handlers.get(key) ?? ((_q, r) => json(r, 404, { error: { code: 'itemNotFound', message: 'nope' } })))(req, res, hit));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  trace.disable();
});
beforeEach(() => {
  seen.length = 0;
  handlers.clear();
  hits.clear();
  exporter.reset();
  resetBudgetRegistry();
});

function gateway(credentialFactory?: () => TokenCredential): GraphGateway {
  return GraphGateway.create(
    {
      connectionId: 'fake',
      tenantId: 'tenant',
      clientId: 'client',
      clientSecret: 'never-used-secret',
      graphBaseUrl: `${base}/v1.0`,
      authorityHost: 'https://login.microsoftonline.com',
    },
    {
      logger: createLogger({ service: 'graph-test', level: 'silent' }),
      credential: credentialFactory ?? (() => ({ getToken: async () => ({ token: 'fake-token', expiresOnTimestamp: Date.now() + 3_600_000 }) })),
      backoffBaseMs: 5,
      maxAttempts: 4,
      appVersion: '9.9.9',
    },
  );
}

describe('request decoration', () => {
  it('sends the bearer token, the decorated User-Agent and a fresh client-request-id on every request', async () => {
    handlers.set('GET /v1.0/sites/s1', (_q, r) => json(r, 200, { id: 's1' }));
    const gw = gateway();
    await gw.getSite('s1');
    await gw.getSite('s1');
    gw.close();
    expect(seen).toHaveLength(2);
    for (const request of seen) {
      expect(request.headers['authorization']).toBe('Bearer fake-token');
      expect(request.headers['user-agent']).toBe('NONISV|SyncBridge|SyncBridge/9.9.9');
      expect(request.headers['client-request-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
    expect(seen[0]?.headers['client-request-id']).not.toBe(seen[1]?.headers['client-request-id']);
  });
});

describe('top-level retries', () => {
  it('honours a decimal Retry-After on 429 and pauses the connection, then succeeds', async () => {
    handlers.set('GET /v1.0/sites/busy', (_q, r, hit) =>
      hit === 1 ? json(r, 429, { error: { code: 'activityLimitReached', message: 'slow down' } }, { 'Retry-After': '0.249' }) : json(r, 200, { id: 'busy' }),
    );
    const gw = gateway();
    const response = await gw.request({ method: 'GET', path: '/sites/busy', template: '/sites/{site-id}' });
    gw.close();
    expect(response).toMatchObject({ status: 200, attempts: 2, body: { id: 'busy' } });
    const span = exporter.getFinishedSpans().find((s) => s.name === 'graph GET /sites/{site-id}');
    expect(span?.attributes).toMatchObject({
      'http.request.method': 'GET',
      'url.template': '/sites/{site-id}',
      'http.response.status_code': 200,
      'syncbridge.graph.retry_count': 1,
      'syncbridge.graph.ru_cost': 2,
      'syncbridge.graph.connection_id': 'fake',
    });
    expect(span?.events.map((e) => e.name)).toContain('retry');
    // Both attempts carry the same client-request-id, recorded on the span too.
    expect(seen[0]?.headers['client-request-id']).toBe(seen[1]?.headers['client-request-id']);
    expect(span?.attributes['syncbridge.graph.client_request_id']).toBe(seen[0]?.headers['client-request-id']);
  });

  it('retries 503/504 and dropped connections for GET', async () => {
    handlers.set('GET /v1.0/sites/flaky', (q, r, hit) => {
      if (hit === 1) return json(r, 503, undefined, { 'Retry-After': '0.01' });
      if (hit === 2) return json(r, 504, { error: { code: 'gatewayTimeout', message: 'late' } });
      if (hit === 3) return q.socket.destroy();
      return json(r, 200, { id: 'flaky' });
    });
    const gw = gateway();
    const response = await gw.request({ method: 'GET', path: '/sites/flaky', template: '/sites/{site-id}' });
    gw.close();
    expect(response).toMatchObject({ status: 200, attempts: 4 });
  });

  it('does not resend a POST after a 504 or a dropped connection: outcome unknown', async () => {
    handlers.set('POST /v1.0/sites/s/lists/l/items', (_q, r) => json(r, 504, { error: { code: 'gatewayTimeout', message: 'late' } }));
    handlers.set('POST /v1.0/sites/s/lists/drop/items', (q) => q.socket.destroy());
    const gw = gateway();
    const timeout = await gw.request({ method: 'POST', path: '/sites/s/lists/l/items', template: 'items', body: { fields: {} } }).catch((e: unknown) => e);
    const dropped = await gw.request({ method: 'POST', path: '/sites/s/lists/drop/items', template: 'items', body: { fields: {} } }).catch((e: unknown) => e);
    gw.close();
    expect(timeout).toBeInstanceOf(GraphError);
    expect(timeout).toMatchObject({ status: 504, code: 'outcomeUnknown', retryable: true });
    expect(dropped).toMatchObject({ status: 0, code: 'outcomeUnknown', retryable: true });
    expect(hits.get('POST /v1.0/sites/s/lists/l/items')).toBe(1);
    expect(hits.get('POST /v1.0/sites/s/lists/drop/items')).toBe(1);
  });

  it('gives up after maxAttempts with a typed, retryable throttling error', async () => {
    handlers.set('GET /v1.0/sites/always', (_q, r) => json(r, 429, { error: { code: 'activityLimitReached', message: 'no' } }, { 'Retry-After': '0.001' }));
    const gw = gateway();
    const error = await gw.getSite('always').catch((e: unknown) => e);
    gw.close();
    expect(error).toMatchObject({ name: 'GraphThrottledError', status: 429, retryable: true, code: 'activityLimitReached' });
    expect(hits.get('GET /v1.0/sites/always')).toBe(4);
  });
});

describe('expired or revoked tokens', () => {
  it('answers a 401 by fetching a new token and retrying once, then gives up with GraphAuthError', async () => {
    handlers.set('GET /v1.0/sites/once', (_q, r, hit) =>
      hit === 1 ? json(r, 401, { error: { code: 'InvalidAuthenticationToken', message: 'expired' } }) : json(r, 200, { id: 'once' }),
    );
    handlers.set('GET /v1.0/sites/never', (_q, r) => json(r, 401, { error: { code: 'InvalidAuthenticationToken', message: 'bad' } }));
    let tokensIssued = 0;
    const gw = gateway(() => {
      tokensIssued++;
      return { getToken: async () => ({ token: `token-${tokensIssued}`, expiresOnTimestamp: Date.now() + 3_600_000 }) };
    });
    expect(await gw.getSite('once')).toMatchObject({ id: 'once' });
    const error = await gw.getSite('never').catch((e: unknown) => e);
    gw.close();
    expect(error).toMatchObject({ name: 'GraphAuthError', status: 401, code: 'InvalidAuthenticationToken', retryable: false });
    expect(hits.get('GET /v1.0/sites/never')).toBe(2);
    expect(seen.map((s) => s.headers['authorization'])).toEqual(['Bearer token-1', 'Bearer token-2', 'Bearer token-2', 'Bearer token-3']);
  });
});

describe('token reuse', () => {
  it('asks the credential once while its token has more than five minutes left, and each time once it has less', async () => {
    handlers.set('GET /v1.0/sites/t', (_q, r) => json(r, 200, { id: 't' }));
    let lifetimeMs = 3_600_000;
    let asked = 0;
    const gw = gateway(() => ({
      getToken: async () => ({ token: `token-${++asked}`, expiresOnTimestamp: Date.now() + lifetimeMs }),
    }));
    for (let i = 0; i < 3; i++) await gw.getSite('t');
    expect(asked).toBe(1);
    gw.close();
    lifetimeMs = 4 * 60_000;
    asked = 0;
    const nearExpiry = gateway(() => ({
      getToken: async () => ({ token: `token-${++asked}`, expiresOnTimestamp: Date.now() + lifetimeMs }),
    }));
    for (let i = 0; i < 3; i++) await nearExpiry.getSite('t');
    nearExpiry.close();
    expect(asked).toBe(3);
  });
});

describe('throttling signals and safety', () => {
  it('pauses the connection when RateLimit-Remaining reaches 0', async () => {
    handlers.set('GET /v1.0/sites/near', (_q, r) =>
      json(r, 200, { id: 'near' }, { 'RateLimit-Limit': '1250', 'RateLimit-Remaining': '0', 'RateLimit-Reset': '30' }),
    );
    const gw = gateway();
    await gw.getSite('near');
    const snapshot = gw.budgetSnapshot();
    gw.close();
    expect(snapshot.limit).toBe(1250);
    expect(snapshot.pausedForMs).toBeGreaterThan(25_000);
  });

  it('follows nextLinks on its own origin and refuses links to another one', async () => {
    handlers.set('GET /v1.0/sites/s/lists', (q, r) =>
      (q.url ?? '').includes('skiptoken')
        ? json(r, 200, { value: [{ id: 'l2' }], '@odata.nextLink': 'https://elsewhere.example/v1.0/sites/s/lists?$skiptoken=3' })
        : json(r, 200, { value: [{ id: 'l1' }], '@odata.nextLink': `${base}/v1.0/sites/s/lists?$skiptoken=2` }),
    );
    const gw = gateway();
    const error = await gw.listLists('s').catch((e: unknown) => e);
    gw.close();
    expect(error).toBeInstanceOf(GraphUsageError);
    expect(seen.map((s) => s.url)).toEqual(['/v1.0/sites/s/lists', '/v1.0/sites/s/lists?$skiptoken=2']);
  });

  it('returns null for a missing list or item and throws typed errors otherwise', async () => {
    const gw = gateway();
    expect(await gw.getList('s', 'Missing')).toBeNull();
    const error = await gw.getSite('missing').catch((e: unknown) => e);
    gw.close();
    expect(error).toMatchObject({ name: 'GraphNotFoundError', status: 404, code: 'itemNotFound', retryable: false });
  });
});
