import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { schema } from '@syncbridge/shared/db';
import { freePort } from '../harness/temporal-server.ts';
import { startTestStack, type TestStack } from '../harness/stack.ts';

describe('health and the end-to-end health workflow', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ worker: true });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('answers /healthz without a key', async () => {
    const res = await stack.api('/healthz', { key: null });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('answers /readyz 200 when the meta-store and Temporal are reachable', async () => {
    const res = await stack.api('/readyz', { key: null });
    const body = (await res.json()) as { status: string; checks: Record<string, { ok: boolean }> };
    expect(res.status).toBe(200);
    expect(body.status).toBe('ready');
    expect(body.checks.metaStore?.ok).toBe(true);
    expect(body.checks.temporal?.ok).toBe(true);
  });

  it('runs API -> Temporal -> worker -> activity -> PostgreSQL, carrying the request id', async () => {
    const requestId = `req-health-${Date.now()}`;
    const res = await stack.api('/v1/diagnostics/health-workflow', { method: 'POST', headers: { 'x-request-id': requestId } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe(requestId);
    const body = (await res.json()) as { workflowId: string; runId: string; databaseTime: string; temporalUiUrl: string };
    expect(body.workflowId).toBe(`health-check/${requestId}`);
    expect(body.temporalUiUrl).toContain(encodeURIComponent(body.workflowId));

    // The row was written by the activity in the worker, with the API's request id.
    const [run] = await stack.store.db.select().from(schema.syncRuns).where(eq(schema.syncRuns.id, body.runId));
    expect(run).toMatchObject({ kind: 'health', status: 'succeeded', workflowId: body.workflowId, requestId });

    // The activity's log line carries the same request id.
    const activityLine = stack.logs.lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'health probe recorded');
    expect(activityLine).toMatchObject({ requestId, workflowId: body.workflowId, activity: 'recordHealthProbe' });
  });

  it('answers /readyz 503 naming Temporal when Temporal is unreachable', async () => {
    const port = await freePort();
    const broken = await startTestStack({ temporalAddress: `127.0.0.1:${port}` });
    try {
      const res = await broken.api('/readyz', { key: null });
      expect(res.status).toBe(503);
      const body = (await res.json()) as { status: string; checks: { metaStore: { ok: boolean }; temporal: { ok: boolean; error?: string } } };
      expect(body.status).toBe('not_ready');
      expect(body.checks.metaStore.ok).toBe(true);
      expect(body.checks.temporal.ok).toBe(false);
      expect(body.checks.temporal.error).toBeTruthy();
    } finally {
      await broken.close();
    }
  });
});
