import { Hono } from 'hono';
import { GraphError, renderGraphError } from '../errors.ts';
import { registerBatch } from './batch.ts';
import { registerColumns } from './columns.ts';
import { registerDelta } from './delta.ts';
import type { GraphDeps, GraphEnv } from './env.ts';
import { registerItems } from './items.ts';
import { registerLists } from './lists.ts';
import { authenticate, authorize, correlation, limits } from './middleware.ts';
import { registerSites } from './sites.ts';

/** The Microsoft Graph v1.0 subset SyncBridge uses, mounted under `/v1.0`. */
export function createGraphApp(deps: GraphDeps): Hono<GraphEnv> {
  const app = new Hono<GraphEnv>();
  app.onError((err, c) => {
    if (err instanceof GraphError) return renderGraphError(c, err);
    deps.logger.warn('sharepoint-emulator: unhandled error', err);
    return renderGraphError(c, new GraphError(500, 'generalException', 'An unexpected error occurred while processing the request.'));
  });
  app.use('*', correlation);
  app.use('*', authenticate(deps));
  app.use('*', authorize);
  app.use('*', limits(deps));
  registerSites(app);
  registerLists(app, deps);
  registerColumns(app, deps);
  // Delta before items so `/items/delta` is not taken for an item id.
  registerDelta(app, deps);
  registerItems(app, deps);
  registerBatch(app, deps);
  // Graph answers unknown path segments with 400 BadRequest, not 404.
  app.all('*', (c) => {
    const segment = c.req.path.split('/').filter(Boolean).pop() ?? '';
    throw new GraphError(400, 'BadRequest', `Resource not found for the segment '${segment}'.`);
  });
  return app;
}

/**
 * `GET /sites/{hostname}:/{server-relative-path}[:/rest]` addresses a site by path. The
 * router sees one segment instead: `{hostname}:{percent-encoded path}`.
 */
export function graphPath(request: Request): string {
  const url = new URL(request.url);
  const path = url.pathname.replace(/%3A/gi, ':');
  const m = /^(\/v1\.0\/sites\/)([^/:,]+):(\/[^:]*)(?::(\/.*)?)?$/.exec(path);
  if (!m) return url.pathname;
  const sitePath = (m[3] as string).replace(/\/+$/, '') || '/';
  return `${m[1]}${encodeURIComponent(`${m[2]}:${sitePath}`)}${m[4] ?? ''}`;
}
