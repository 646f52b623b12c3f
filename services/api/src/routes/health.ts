import { createRoute, z } from '@hono/zod-openapi';
import type { App, ApiDeps } from '../lib/context.ts';

const Check = z.object({ ok: z.boolean(), latencyMs: z.number().int(), error: z.string().optional() });
const Readiness = z.object({ status: z.enum(['ready', 'not_ready']), checks: z.object({ metaStore: Check, temporal: Check }) }).openapi('Readiness');

async function timed(fn: () => Promise<unknown>, timeoutMs: number): Promise<z.infer<typeof Check>> {
  const started = performance.now();
  try {
    await Promise.race([fn(), new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs).unref())]);
    return { ok: true, latencyMs: Math.round(performance.now() - started) };
  } catch (err) {
    return { ok: false, latencyMs: Math.round(performance.now() - started), error: (err as Error).message };
  }
}

export function registerHealthRoutes(app: App, deps: ApiDeps) {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/healthz',
      tags: ['Health'],
      summary: 'Liveness: the process is up',
      responses: { 200: { description: 'Alive', content: { 'application/json': { schema: z.object({ status: z.literal('ok') }) } } } },
    }),
    (c) => c.json({ status: 'ok' as const }, 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/readyz',
      tags: ['Health'],
      summary: 'Readiness: meta-store and Temporal reachable',
      responses: {
        200: { description: 'Ready', content: { 'application/json': { schema: Readiness } } },
        503: { description: 'A dependency is unreachable', content: { 'application/json': { schema: Readiness } } },
      },
    }),
    async (c) => {
      const [metaStore, temporal] = await Promise.all([
        timed(() => deps.store.sql`select 1`, 2000),
        timed(() => deps.temporal.probe.withDeadline(Date.now() + 1500, () => deps.temporal.probe.workflowService.getSystemInfo({})), 2000),
      ]);
      const ready = metaStore.ok && temporal.ok;
      return c.json({ status: ready ? ('ready' as const) : ('not_ready' as const), checks: { metaStore, temporal } }, ready ? 200 : 503);
    },
  );
}
