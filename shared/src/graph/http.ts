import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import type { Context, FetchOptions, Middleware } from '@microsoft/microsoft-graph-client';
import type { EgressPolicy } from '../net/egress.ts';
import { GuardedHttpAgent, GuardedHttpsAgent } from './agents.ts';
import type { GraphTokenProvider } from './auth.ts';
import { GraphUsageError } from './errors.ts';

/**
 * The Graph client's middleware chain, rebuilt for a server-side app:
 *
 *   AuthMiddleware -> DecorationMiddleware -> NodeHttpHandler
 *
 * Why not the default chain (`Client.init({ authProvider })`)?
 * - Its AuthenticationHandler and TelemetryHandler only act on `https://` URLs whose
 *   host is a Microsoft Graph host or in `customHosts` (GraphRequestUtil.isValidEndpoint):
 *   the plain-http emulator would get requests without a token.
 * - Its RetryHandler retries 429/503/504 on its own clock, invisible to our
 *   resource-unit budget and to `$batch` sub-responses; retries live in client.ts.
 * - Its HTTPMessageHandler calls global `fetch`, which has no per-connection way to
 *   trust an extra CA; node:http(s) with an Agent does.
 */

/** Per-call state shared between the transport and the middleware. */
export interface CallState {
  /** The error a middleware raised; the Graph client wraps thrown errors, losing their type. */
  error?: unknown;
  clientRequestId?: string;
}

export type CallFetchOptions = FetchOptions & { syncbridgeCall?: CallState };

export interface HttpAgents {
  http: http.Agent;
  https: https.Agent;
  destroy(): void;
}

/**
 * Keep-alive agents for one connection, guarded by the egress policy (agents.ts). With an
 * extra CA, trust it *in addition to* the public roots: `ca` replaces Node's default list,
 * and behind a corporate proxy the same process may still reach hosts signed by public CAs.
 */
export function createAgents(caCertificatePem: string | undefined, maxSockets = 32, egress?: EgressPolicy): HttpAgents {
  const httpAgent = new GuardedHttpAgent({ keepAlive: true, maxSockets }, egress);
  const httpsAgent = new GuardedHttpsAgent(
    {
      keepAlive: true,
      maxSockets,
      ...(caCertificatePem ? { ca: [...tls.rootCertificates, caCertificatePem] } : {}),
    },
    egress,
  );
  return {
    http: httpAgent,
    https: httpsAgent,
    destroy() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

export class AuthMiddleware implements Middleware {
  private next: Middleware | undefined;

  constructor(
    private readonly tokens: GraphTokenProvider,
    private readonly graphOrigin: string,
  ) {}

  async execute(context: Context): Promise<void> {
    const options = (context.options ?? {}) as CallFetchOptions;
    const url = requestUrl(context);
    // Tokens only ever go to the configured Graph origin: a nextLink or Location that
    // pointed elsewhere must not receive our bearer token.
    if (new URL(url).origin.toLowerCase() !== this.graphOrigin.toLowerCase()) {
      const error = new GraphUsageError(`Refusing to send a Graph token to ${new URL(url).origin}`, 'foreignOrigin');
      if (options.syncbridgeCall) options.syncbridgeCall.error = error;
      throw error;
    }
    try {
      const token = await this.tokens.getAccessToken(options.signal ?? undefined);
      setHeader(options, 'Authorization', `Bearer ${token}`);
    } catch (error) {
      if (options.syncbridgeCall) options.syncbridgeCall.error = error;
      throw error;
    }
    context.options = options;
    await (this.next as Middleware).execute(context);
  }

  setNext(next: Middleware): void {
    this.next = next;
  }
}

/**
 * Decorates traffic as Microsoft asks ("Avoid getting throttled or blocked in SharePoint
 * Online": User-Agent `NONISV|Company|App/Version`) and tags each request with a
 * `client-request-id` so a failed call can be found in Microsoft's logs.
 */
export class DecorationMiddleware implements Middleware {
  private next: Middleware | undefined;

  constructor(private readonly userAgent: string) {}

  async execute(context: Context): Promise<void> {
    const options = (context.options ?? {}) as CallFetchOptions;
    setHeader(options, 'User-Agent', this.userAgent);
    const id = getHeaderValue(options, 'client-request-id') ?? options.syncbridgeCall?.clientRequestId ?? randomUUID();
    setHeader(options, 'client-request-id', id);
    if (options.syncbridgeCall) options.syncbridgeCall.clientRequestId = id;
    context.options = options;
    await (this.next as Middleware).execute(context);
  }

  setNext(next: Middleware): void {
    this.next = next;
  }
}

/** Last link: sends the request with node:http(s) and the connection's agents. */
export class NodeHttpHandler implements Middleware {
  constructor(
    private readonly agents: HttpAgents,
    private readonly timeoutMs: number,
  ) {}

  async execute(context: Context): Promise<void> {
    const options = (context.options ?? {}) as CallFetchOptions;
    try {
      context.response = await this.send(requestUrl(context), options);
    } catch (error) {
      if (options.syncbridgeCall) options.syncbridgeCall.error = error;
      throw error;
    }
  }

  private send(url: string, options: CallFetchOptions): Promise<Response> {
    const target = new URL(url);
    const isHttps = target.protocol === 'https:';
    const headers = headerRecord(options);
    const body = options.body === undefined || options.body === null ? undefined : toBuffer(options.body);
    if (body) headers['content-length'] = String(body.byteLength);
    const signal = options.signal ?? undefined;
    return new Promise<Response>((resolve, reject) => {
      const request = (isHttps ? https : http).request(
        target,
        { method: options.method ?? 'GET', headers, agent: isHttps ? this.agents.https : this.agents.http, signal },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            const responseHeaders = new Headers();
            for (const [name, value] of Object.entries(res.headers)) {
              if (value === undefined) continue;
              for (const v of Array.isArray(value) ? value : [value]) responseHeaders.append(name, v);
            }
            const nullBody = status === 204 || status === 205 || status === 304;
            try {
              resolve(new Response(nullBody ? null : Buffer.concat(chunks), { status, statusText: res.statusMessage ?? '', headers: responseHeaders }));
            } catch (error) {
              reject(error instanceof Error ? error : new Error(String(error)));
            }
          });
        },
      );
      request.setTimeout(this.timeoutMs, () => {
        request.destroy(Object.assign(new Error(`No response within ${this.timeoutMs} ms`), { code: 'ETIMEDOUT' }));
      });
      request.on('error', reject);
      request.end(body);
    });
  }
}

type HeadersInitLike = ConstructorParameters<typeof Headers>[0];

function requestUrl(context: Context): string {
  return typeof context.request === 'string' ? context.request : context.request.url;
}

function headerRecord(options: FetchOptions): Record<string, string> {
  const out: Record<string, string> = {};
  new Headers(options.headers as HeadersInitLike).forEach((value, key) => {
    out[key] = value;
  });
  return out;
}

function getHeaderValue(options: FetchOptions, name: string): string | undefined {
  return new Headers(options.headers as HeadersInitLike).get(name) ?? undefined;
}

/** Replaces the header whatever the casing it was set with, keeping a plain record. */
function setHeader(options: FetchOptions, name: string, value: string): void {
  const record = headerRecord(options);
  record[name.toLowerCase()] = value;
  options.headers = record;
}

function toBuffer(body: unknown): Buffer {
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (Buffer.isBuffer(body)) return body;
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return Buffer.from(JSON.stringify(body), 'utf8');
}
