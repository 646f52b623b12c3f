import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_TENANT_ID } from '@syncbridge/sharepoint-emulator';
import { pause, startProbeServer, type ProbeServer } from '../harness/probe-servers.ts';
import { startTestStack, type TestStack } from '../harness/stack.ts';
import { apiJson } from '../harness/sync.ts';

/*
 * Issue 8, defect 1: every call that reaches a source or Graph has an overall deadline and a
 * bounded number of connection attempts, and stops connecting once it has answered.
 * The documented bounds: POST …/test answers within 15 s; GET …/schema and discovery within 35 s.
 */

const TEST_BOUND_MS = 15_000;
const READ_BOUND_MS = 35_000;
/** A fetch that gives up well after the documented bound, so a hang fails the test instead of the whole file. */
const GIVE_UP_MS = 45_000;

interface TestResult {
  ok: boolean;
  errorClass?: string;
  error?: string;
  latencyMs: number;
  instance: { status: string; lastHealthError: string | null };
}
interface Problem {
  status: number;
  code: string;
  detail: string;
}

describe('connection deadlines and bounded attempts (issue 8, defect 1)', () => {
  let stack: TestStack;
  let closing: ProbeServer;
  let silent: ProbeServer;
  let databaseId: string;
  let appId: string;

  beforeAll(async () => {
    stack = await startTestStack({ emulator: true });
    closing = await startProbeServer('closing');
    silent = await startProbeServer('silent');
    appId = (await apiJson(stack, '/v1/apps', { method: 'POST', json: { name: 'deadlines', ownerTeam: 't' } }, 201)).id;
    databaseId = (await apiJson(stack, '/v1/databases', { method: 'POST', json: { appId, name: 'deadlines-db', engine: 'postgres', environment: 'dev' } }, 201))
      .id;
  });
  afterEach(async () => {
    await fetch(`${stack.emulator!.adminUrl}/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' });
  });
  afterAll(async () => {
    await closing?.close();
    await silent?.close();
    await stack?.close();
  });

  const timed = async (path: string, init: Parameters<TestStack['api']>[1] = {}) => {
    const started = Date.now();
    const res = await stack.api(path, { ...init, signal: AbortSignal.timeout(GIVE_UP_MS) });
    const text = await res.text();
    return { res, text, ms: Date.now() - started };
  };

  let instanceCount = 0;
  const instanceAt = async (server: { host: string; port: number }, sslMode = 'disable') =>
    (
      await apiJson(
        stack,
        '/v1/database-instances',
        {
          method: 'POST',
          json: {
            databaseId,
            name: `probe-${++instanceCount}`,
            host: server.host,
            port: server.port,
            databaseName: 'db',
            username: 'syncbridge',
            password: 'pw-never-sent-anywhere-else',
            sslMode,
            role: 'replica',
          },
        },
        201,
      )
    ).id;

  /** Connections the server received while `call` ran, and none after it answered. */
  async function attemptsOf<T>(server: ProbeServer, call: () => Promise<T>): Promise<{ result: T; attempts: number }> {
    const before = server.connections;
    const result = await call();
    const attempts = server.connections - before;
    await pause(1_500);
    expect(server.connections - before, 'connections after the answer').toBe(attempts);
    return { result, attempts };
  }

  it.each(['disable', 'prefer'])(
    'POST /database-instances/{id}/test against a server that accepts and closes connections (sslMode %s): a quick answer, a few attempts',
    async (sslMode) => {
      const id = await instanceAt(closing, sslMode);
      const { result, attempts } = await attemptsOf(closing, () => timed(`/v1/database-instances/${id}/test`, { method: 'POST' }));
      expect(result.res.status, result.text).toBe(200);
      expect(result.ms).toBeLessThan(TEST_BOUND_MS);
      const body = JSON.parse(result.text) as TestResult;
      expect(body).toMatchObject({ ok: false, errorClass: 'protocol', instance: { status: 'unhealthy' } });
      expect(body.error).toMatch(/closed it without answering|keeps closing the connection/);
      expect(body.instance.lastHealthError).toBe(body.error);
      expect(attempts).toBeGreaterThanOrEqual(1);
      expect(attempts).toBeLessThanOrEqual(3);
    },
  );

  it('POST /database-instances/{id}/test against a server that never answers: a timeout within the bound', async () => {
    const id = await instanceAt(silent);
    const { result, attempts } = await attemptsOf(silent, () => timed(`/v1/database-instances/${id}/test`, { method: 'POST' }));
    expect(result.res.status, result.text).toBe(200);
    expect(result.ms).toBeLessThan(TEST_BOUND_MS);
    expect(JSON.parse(result.text)).toMatchObject({ ok: false, errorClass: 'timeout', instance: { status: 'unhealthy' } });
    expect(attempts).toBeLessThanOrEqual(3);
  });

  it('GET /database-instances/{id}/schema answers 503 problem+json within the bound on either server', async () => {
    for (const server of [closing, silent]) {
      const id = await instanceAt(server);
      const { result, attempts } = await attemptsOf(server, () => timed(`/v1/database-instances/${id}/schema`));
      expect(result.res.status, result.text).toBe(503);
      expect(result.res.headers.get('content-type')).toContain('application/problem+json');
      expect(result.ms).toBeLessThan(READ_BOUND_MS);
      const problem = JSON.parse(result.text) as Problem;
      expect(problem.detail).toMatch(server === closing ? /protocol/ : /timeout/);
      expect(attempts).toBeLessThanOrEqual(3);
    }
  });

  const connectionTo = async (name: string, overrides: Record<string, unknown>) =>
    (
      await apiJson(
        stack,
        '/v1/sharepoint-connections',
        {
          method: 'POST',
          json: {
            appId,
            name,
            tenantId: DEFAULT_TENANT_ID,
            clientId: DEFAULT_CLIENT_ID,
            clientSecret: DEFAULT_CLIENT_SECRET,
            graphBaseUrl: stack.emulator!.graphBaseUrl,
            authorityHost: stack.emulator!.authorityHost,
            caCertificatePem: stack.emulator!.caCertificatePem,
            ...overrides,
          },
        },
        201,
      )
    ).id;

  it('POST /sharepoint-connections/{id}/test with an authorityHost that closes or never answers: the token stage fails within the bound', async () => {
    for (const server of [closing, silent]) {
      const id = await connectionTo(`authority-${server === closing ? 'closing' : 'silent'}`, { authorityHost: `https://${server.host}:${server.port}` });
      const { result, attempts } = await attemptsOf(server, () => timed(`/v1/sharepoint-connections/${id}/test`, { method: 'POST' }));
      expect(result.res.status, result.text).toBe(200);
      expect(result.ms).toBeLessThan(TEST_BOUND_MS);
      const body = JSON.parse(result.text) as { ok: boolean; stage: string; errorClass: string; connection: { status: string } };
      expect(body).toMatchObject({ ok: false, stage: 'token', connection: { status: 'unhealthy' } });
      expect(body.errorClass).toBe(server === closing ? 'protocol' : 'timeout');
      // The identity library's request and its one resend, then our own diagnosis of the authority.
      expect(attempts).toBeLessThanOrEqual(4);
    }
  });

  it('discovery with an authorityHost that never answers: 503 within the bound', async () => {
    const id = await connectionTo('discovery-silent-authority', { authorityHost: `https://${silent.host}:${silent.port}` });
    const { result } = await attemptsOf(silent, () => timed(`/v1/sharepoint-connections/${id}/sites`));
    expect(result.res.status, result.text).toBe(503);
    expect(result.res.headers.get('content-type')).toContain('application/problem+json');
    expect(result.ms).toBeLessThan(READ_BOUND_MS);
  });

  const setFaults = (faults: Record<string, unknown>) =>
    fetch(`${stack.emulator!.adminUrl}/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(faults) });
  const graphRequests = async () => {
    const counters = (await (await fetch(`${stack.emulator!.adminUrl}/counters`)).json()) as { totals: { requests: number } };
    return counters.totals.requests;
  };

  it('a Graph that never answers: the connection test and discovery give up within their bounds', async () => {
    const id = await connectionTo('graph-hangs', {});
    await setFaults({ latencyMs: 60_000 });
    const test = await timed(`/v1/sharepoint-connections/${id}/test`, { method: 'POST' });
    expect(test.res.status, test.text).toBe(200);
    expect(test.ms).toBeLessThan(TEST_BOUND_MS);
    expect(JSON.parse(test.text)).toMatchObject({ ok: false, stage: 'graph', errorClass: 'timeout' });
    const sites = await timed(`/v1/sharepoint-connections/${id}/sites`);
    expect(sites.res.status, sites.text).toBe(503);
    expect(sites.ms).toBeLessThan(READ_BOUND_MS);
  });

  it('a Graph that asks to retry after an hour: discovery answers 503 within its bound with a few attempts', async () => {
    const id = await connectionTo('graph-throttles', {});
    await setFaults({ unavailableProbability: 1, retryAfterSeconds: 3600 });
    const before = await graphRequests();
    const sites = await timed(`/v1/sharepoint-connections/${id}/sites`);
    expect(sites.res.status, sites.text).toBe(503);
    expect(sites.ms).toBeLessThan(READ_BOUND_MS);
    expect((JSON.parse(sites.text) as Problem).detail).toMatch(/throttled|unavailable/i);
    expect((await graphRequests()) - before).toBeLessThanOrEqual(3);
  });
});
