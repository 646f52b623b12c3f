import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { GRAPH_JSON_CONTENT_TYPE, GraphError } from '../errors.ts';
import type { GraphEnv } from './env.ts';

/** Absolute base of Graph links (`@odata.nextLink`, `@odata.deltaLink`), taken from the request's own origin. */
export const graphBase = (c: Context<GraphEnv>): string => `${new URL(c.req.url).origin}/v1.0`;

export function graphJson(c: Context<GraphEnv>, body: unknown, status: ContentfulStatusCode = 200): Response {
  const headers = { 'content-type': GRAPH_JSON_CONTENT_TYPE, 'OData-Version': '4.0' };
  // Inside a $batch the answer is embedded in the batch's own: it stays a value (written out once, with the batch).
  const subRequest = c.env?.subRequest;
  if (subRequest) {
    subRequest.answer = { value: body };
    return c.body(null, status, headers);
  }
  return c.body(JSON.stringify(body), status, headers);
}

const JSON_MEDIA_TYPE = /^application\/json\s*(;|$)/i;

/**
 * The JSON body of a write. Every write Graph documents lists `Content-Type:
 * application/json. Required.`: a body sent without it is refused with Graph's "Unable to
 * read JSON request payload" 400, one of another media type with 415 Unsupported Media Type
 * ("Microsoft Graph error responses and resource types"). Parameters such as
 * `; charset=utf-8` or `;odata.metadata=minimal` are fine.
 */
export async function readJsonBody(c: Context<GraphEnv>): Promise<unknown> {
  const handed = c.env?.subRequest?.body;
  const text = handed ? undefined : await c.req.text();
  if (text !== undefined && !text.trim()) return undefined;
  const contentType = c.req.header('content-type');
  if (contentType === undefined || contentType.trim() === '') {
    throw new GraphError(
      400,
      'BadRequest',
      'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
    );
  }
  if (!JSON_MEDIA_TYPE.test(contentType.trim())) {
    throw new GraphError(
      415,
      'UnsupportedMediaType',
      `The content type of the request is a format that is not supported by the service: '${contentType}'. Send JSON with Content-Type: application/json.`,
    );
  }
  if (handed) return handed.value;
  try {
    return JSON.parse(text!) as unknown;
  } catch {
    throw new GraphError(
      400,
      'BadRequest',
      'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
    );
  }
}

/**
 * Builds an absolute link keeping OData's `$` option names readable (Graph's links look
 * like `...items?$expand=fields&$skiptoken=...`), with values percent-encoded.
 */
export function buildLink(base: string, params: Array<[string, string | undefined]>): string {
  const query = params
    .filter((p): p is [string, string] => p[1] !== undefined)
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
    .join('&');
  return query ? `${base}?${query}` : base;
}

/** Carries the caller's query options other than the ones a link replaces. */
export function carriedParams(url: URL, drop: string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [k, v] of url.searchParams) if (!drop.includes(k.replace(/^\$/, ''))) out.push([k, v]);
  return out;
}

export function preferences(c: Context<GraphEnv>): string[] {
  return (c.req.header('prefer') ?? '')
    .split(',')
    .map((p) => p.trim().toLowerCase())
    .filter(Boolean);
}
