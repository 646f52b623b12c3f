import { request as httpsRequest } from 'node:https';
import { DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_TENANT_ID, startEmulator, type EmulatorOptions, type RunningEmulator } from '../src/index.ts';

export { DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_TENANT_ID };

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** HTTPS request that trusts only the emulator's self-signed certificate. */
export function tlsRequest(url: string, ca: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { method: init.method ?? 'GET', headers: init.headers, ca }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

export function requestToken(emu: RunningEmulator, form: Record<string, string>, tenantId = DEFAULT_TENANT_ID): Promise<RawResponse> {
  return tlsRequest(`${emu.authorityHost}/${tenantId}/oauth2/v2.0/token`, emu.caCertificatePem, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
}

export async function fetchToken(
  emu: RunningEmulator,
  tenantId = DEFAULT_TENANT_ID,
  clientId = DEFAULT_CLIENT_ID,
  clientSecret = DEFAULT_CLIENT_SECRET,
): Promise<string> {
  const res = await requestToken(
    emu,
    { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, scope: 'https://graph.microsoft.com/.default' },
    tenantId,
  );
  if (res.status !== 200) throw new Error(`token request failed: ${res.status} ${res.text}`);
  return (JSON.parse(res.text) as { access_token: string }).access_token;
}

export interface GraphResponse {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- test assertions walk arbitrary Graph JSON
  body: any;
}

export interface Harness {
  emu: RunningEmulator;
  token: string;
  siteId: string;
  graph(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<GraphResponse>;
  admin(method: string, path: string, body?: unknown): Promise<GraphResponse>;
  createList(displayName: string, columns?: unknown[]): Promise<{ id: string }>;
  close(): Promise<void>;
}

async function toGraphResponse(res: Response): Promise<GraphResponse> {
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as unknown) : undefined };
}

let listCounter = 0;

export async function startHarness(options: EmulatorOptions = {}): Promise<Harness> {
  const emu = await startEmulator(options);
  const token = await fetchToken(emu);
  const graph: Harness['graph'] = async (method, path, body, headers = {}) => {
    const url = path.startsWith('http') ? path : `${emu.graphBaseUrl}${path}`;
    const res = await fetch(url, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return toGraphResponse(res);
  };
  const admin: Harness['admin'] = async (method, path, body) => {
    const res = await fetch(`${emu.adminUrl}${path}`, {
      method,
      headers: body !== undefined ? { 'content-type': 'application/json' } : {},
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return toGraphResponse(res);
  };
  const site = await graph('GET', '/sites/contoso.sharepoint.com:/sites/syncbridge');
  const siteId = site.body.id as string;
  return {
    emu,
    token,
    siteId,
    graph,
    admin,
    async createList(displayName, columns = []) {
      const res = await graph('POST', `/sites/${siteId}/lists`, { displayName: `${displayName} ${++listCounter}`, columns, list: { template: 'genericList' } });
      if (res.status !== 201) throw new Error(`createList failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body as { id: string };
    },
    close: () => emu.close(),
  };
}

/** A Graph request with full control of headers and body (no default Content-Type), for content negotiation and permission tests. */
export async function rawGraph(
  emu: RunningEmulator,
  token: string,
  method: string,
  path: string,
  init: { body?: string | Uint8Array; headers?: Record<string, string> } = {},
): Promise<GraphResponse> {
  const url = path.startsWith('http') ? path : `${emu.graphBaseUrl}${path}`;
  const res = await fetch(url, { method, headers: { authorization: `Bearer ${token}`, ...init.headers }, body: init.body });
  return toGraphResponse(res);
}

/** Registers an app in the default tenant with the given application permissions (`roles`) and returns a token for it. */
export async function tokenWithRoles(h: Harness, clientId: string, roles: string[]): Promise<string> {
  const clientSecret = `${clientId}-secret`;
  const res = await h.admin('POST', '/tenants', { tenantId: DEFAULT_TENANT_ID, clients: [{ clientId, clientSecret, roles }], seedDefaultSite: false });
  if (res.status !== 201) throw new Error(`registering ${clientId} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return fetchToken(h.emu, DEFAULT_TENANT_ID, clientId, clientSecret);
}

/** The claims of an access token (the emulator's tokens are JWTs, as Entra ID's are). */
export function tokenClaims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** Restores default faults and settings between tests that change them. */
export async function restoreDefaults(h: Harness): Promise<void> {
  await h.admin('PUT', '/faults', {});
  await h.admin('PUT', '/settings', {
    ruPerMinute: 1250,
    throttleWindowMs: 60_000,
    deltaTokenTtlMs: 7 * 24 * 3600 * 1000,
    tokenLifetimeSeconds: 3599,
    strict: false,
    listViewThreshold: 5000,
  });
  await h.admin('POST', '/counters/reset');
}
