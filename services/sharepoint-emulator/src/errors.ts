import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { GraphEnv } from './graph/env.ts';

/**
 * Microsoft Graph error responses ("Microsoft Graph error responses and resource
 * types"): a single `error` object with `code`, `message` and an `innerError`
 * carrying `request-id`, `date` and `client-request-id`. SharePoint-backed
 * endpoints use lower camelCase codes (`itemNotFound`, `invalidRequest`, ...).
 */
export class GraphError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
    readonly innerCode?: string,
  ) {
    super(message);
  }
}

export const badRequest = (message: string, code = 'invalidRequest') => new GraphError(400, code, message);
export const notFound = (message: string, code = 'itemNotFound') => new GraphError(404, code, message);
export const conflict = (message: string, code = 'nameAlreadyExists') => new GraphError(409, code, message);

/** OData's wording for a property that the entity type does not define. */
export const unknownProperty = (property: string, type: string) =>
  badRequest(
    `The property '${property}' does not exist on type 'microsoft.graph.${type}'. Make sure to only use property names that are defined by the type.`,
    'BadRequest',
  );

/** Graph's `innerError.date` has second precision and no zone suffix. */
export const innerErrorDate = (): string => new Date().toISOString().slice(0, 19);

export function errorBody(
  code: string,
  message: string,
  requestId: string,
  clientRequestId: string,
  innerCode?: string,
): { error: { code: string; message: string; innerError: Record<string, string> } } {
  const innerError: Record<string, string> = {};
  if (innerCode) innerError.code = innerCode;
  innerError.date = innerErrorDate();
  innerError['request-id'] = requestId;
  innerError['client-request-id'] = clientRequestId;
  return { error: { code, message, innerError } };
}

export const GRAPH_JSON_CONTENT_TYPE = 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';

/** Renders any GraphError as Graph does, reusing the request's correlation ids. */
export function renderGraphError(c: Context<GraphEnv>, err: GraphError): Response {
  const requestId = c.get('requestId') ?? '';
  const clientRequestId = c.get('clientRequestId') ?? requestId;
  const body = errorBody(err.code, err.message, requestId, clientRequestId, err.innerCode);
  const res = new Response(JSON.stringify(body), {
    status: err.status,
    headers: { 'content-type': GRAPH_JSON_CONTENT_TYPE },
  });
  for (const [k, v] of Object.entries(err.headers)) res.headers.set(k, v);
  return res;
}
