import type { Hono } from 'hono';
import type { Principal } from '../lib/context.ts';
import { INTERNAL_PRINCIPAL } from '../lib/context.ts';

/** A problem+json answer of the API, as the UI shows it. */
export interface Problem {
  status: number;
  title?: string;
  detail?: string;
  code?: string;
  errors?: Array<{ field: string; message: string }>;
}

export type ApiAnswer<T> = { ok: true; status: number; body: T } | { ok: false; status: number; problem: Problem };

/**
 * The UI's way to the API: every read and every change goes through the same routes, validation
 * and role checks as an API client's request, in-process (no socket), as the session's key.
 */
export class UiApi {
  constructor(
    private readonly app: Hono<never>,
    private readonly principal: Principal,
    private readonly requestId: string,
  ) {}

  async call<T>(method: string, path: string, body?: unknown): Promise<ApiAnswer<T>> {
    // Ids from the page's URL are put into API paths: a decoded "../" must not reach another route.
    const route = path.split('?')[0]!;
    if (!route.startsWith('/v1/') || route.split('/').some((segment) => segment === '..' || segment === '.')) {
      return { ok: false, status: 400, problem: { status: 400, title: 'Bad request', detail: 'the address names no resource of this API' } };
    }
    const headers: Record<string, string> = { accept: 'application/json', 'x-request-id': this.requestId };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await this.app.request(
      path,
      { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) },
      { [INTERNAL_PRINCIPAL]: this.principal },
    );
    const text = await res.text();
    const parsed: unknown = text ? JSON.parse(text) : undefined;
    if (res.ok) return { ok: true, status: res.status, body: parsed as T };
    const problem = (parsed && typeof parsed === 'object' ? parsed : {}) as Problem;
    return { ok: false, status: res.status, problem: { ...problem, status: res.status } };
  }

  get<T>(path: string) {
    return this.call<T>('GET', path);
  }
  post<T>(path: string, body?: unknown) {
    return this.call<T>('POST', path, body ?? {});
  }
  patch<T>(path: string, body: unknown) {
    return this.call<T>('PATCH', path, body);
  }
  put<T>(path: string, body: unknown) {
    return this.call<T>('PUT', path, body);
  }
  delete<T>(path: string) {
    return this.call<T>('DELETE', path);
  }

  /** A read the page cannot do without: a failure becomes the page's error (UiProblem). */
  async need<T>(path: string): Promise<T> {
    const answer = await this.get<T>(path);
    if (!answer.ok) throw new UiProblem(answer.problem);
    return answer.body;
  }
}

/** Thrown by a page whose essential read failed; rendered as an error page with the API's status and message. */
export class UiProblem extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title ?? `error ${problem.status}`);
  }
}

/** Query string from the defined, non-empty values. */
export function qs(params: Record<string, string | number | boolean | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') search.set(k, String(v));
  const s = search.toString();
  return s ? `?${s}` : '';
}
