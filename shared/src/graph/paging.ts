import type { GraphTransport } from './client.ts';

/**
 * Collections come in pages: follow `@odata.nextLink` verbatim until it is absent
 * (Microsoft Graph "Paging Microsoft Graph data in your app": the link carries the
 * skip token and the original query options; do not build it yourself). Pages are
 * yielded one at a time so a large list never sits in memory.
 */

export interface ODataCollection<T> {
  value?: T[];
  '@odata.nextLink'?: string;
  '@odata.deltaLink'?: string;
}

export interface PageOptions {
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** Largest `$top` SharePoint honours for list items; the default page is 200. */
export const MAX_PAGE_SIZE = 5000;

export async function* iteratePages<T>(
  transport: GraphTransport,
  firstPath: string,
  template: string,
  options: PageOptions = {},
): AsyncGenerator<T[], void, undefined> {
  let next: string | undefined = firstPath;
  while (next) {
    const response: { body: ODataCollection<T> | undefined } = await transport.send<ODataCollection<T>>({
      method: 'GET',
      path: next,
      template,
      ...(options.headers ? { headers: options.headers } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    yield response.body?.value ?? [];
    next = response.body?.['@odata.nextLink'];
  }
}

export async function collectPages<T>(pages: AsyncIterable<T[]>): Promise<T[]> {
  const all: T[] = [];
  for await (const page of pages) all.push(...page);
  return all;
}

/** Percent-encodes one path segment, keeping `,` (site ids are `host,guid,guid`) and `:` (path addressing). */
export function segment(value: string): string {
  return encodeURIComponent(value).replace(/%2C/gi, ',').replace(/%3A/gi, ':');
}

/** Builds `?a=b&c=d` from defined values, percent-encoding each value. */
export function queryString(params: Record<string, string | number | undefined>): string {
  const parts = Object.entries(params)
    .filter(([, value]) => value !== undefined && value !== '')
    .map(([key, value]) => `${key}=${encodeURIComponent(String(value))}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

export function clampTop(top: number | undefined): number | undefined {
  if (top === undefined) return undefined;
  return Math.max(1, Math.min(MAX_PAGE_SIZE, Math.floor(top)));
}
