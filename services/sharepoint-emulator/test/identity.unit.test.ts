import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { ClientSecretCredential, type ClientSecretCredentialOptions } from '@azure/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_TENANT_ID, requestToken, startHarness, tlsRequest, type Harness } from './helpers.ts';

type PipelinePolicy = NonNullable<ClientSecretCredentialOptions['additionalPolicies']>[number]['policy'];
interface GraphErrorBody {
  error: { code: string; message: string; innerError: Record<string, string> };
}

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

const clientCredentials = (overrides: Record<string, string> = {}) => ({
  grant_type: 'client_credentials',
  client_id: DEFAULT_CLIENT_ID,
  client_secret: DEFAULT_CLIENT_SECRET,
  scope: 'https://graph.microsoft.com/.default',
  ...overrides,
});

describe('identity endpoint', () => {
  it('serves OpenID discovery with the endpoints MSAL requires and an issuer on the authority origin (Microsoft identity platform: OpenID Connect metadata)', async () => {
    const res = await tlsRequest(`${h.emu.authorityHost}/${DEFAULT_TENANT_ID}/v2.0/.well-known/openid-configuration`, h.emu.caCertificatePem);
    expect(res.status).toBe(200);
    const doc = JSON.parse(res.text);
    expect(doc.token_endpoint).toBe(`${h.emu.authorityHost}/${DEFAULT_TENANT_ID}/oauth2/v2.0/token`);
    expect(doc.issuer).toBe(`${h.emu.authorityHost}/${DEFAULT_TENANT_ID}/v2.0`);
    expect(doc.authorization_endpoint).toMatch(/\/oauth2\/v2\.0\/authorize$/);
    expect(doc.jwks_uri).toMatch(/\/discovery\/v2\.0\/keys$/);
  });

  it('issues a Bearer token for the client credentials grant (Microsoft identity platform: OAuth 2.0 client credentials flow)', async () => {
    const res = await requestToken(h.emu, clientCredentials());
    expect(res.status).toBe(200);
    const body = JSON.parse(res.text);
    expect(body.token_type).toBe('Bearer');
    expect(body.expires_in).toBeGreaterThan(3000);
    expect(body.ext_expires_in).toBe(body.expires_in);
    expect(body.access_token.split('.')).toHaveLength(3);
    const claims = JSON.parse(Buffer.from(body.access_token.split('.')[1], 'base64url').toString());
    expect(claims).toMatchObject({ tid: DEFAULT_TENANT_ID, appid: DEFAULT_CLIENT_ID, aud: 'https://graph.microsoft.com' });
  });

  it('accepts the emulator Graph origin as the /.default resource (client credentials: scope is <resource>/.default)', async () => {
    const origin = new URL(h.emu.graphBaseUrl).origin;
    expect((await requestToken(h.emu, clientCredentials({ scope: `${origin}/.default` }))).status).toBe(200);
  });

  it('answers a wrong secret with 401 invalid_client AADSTS7000215 (Microsoft Entra authentication and authorization error codes)', async () => {
    const res = await requestToken(h.emu, clientCredentials({ client_secret: 'not-the-secret' }));
    expect(res.status).toBe(401);
    const body = JSON.parse(res.text);
    expect(body.error).toBe('invalid_client');
    expect(body.error_description).toMatch(/^AADSTS7000215: Invalid client secret provided/);
    expect(body.error_codes).toEqual([7000215]);
  });

  it('answers an unknown tenant with 400 AADSTS90002 (Microsoft Entra error codes: tenant not found)', async () => {
    const res = await requestToken(h.emu, clientCredentials(), '00000000-0000-0000-0000-0000000000aa');
    expect(res.status).toBe(400);
    const body = JSON.parse(res.text);
    expect(body.error).toBe('invalid_request');
    expect(body.error_description).toMatch(/^AADSTS90002: Tenant '00000000-0000-0000-0000-0000000000aa' not found/);
  });

  it('refuses an unknown application (AADSTS700016) and a scope without /.default (AADSTS1002012)', async () => {
    const unknownApp = await requestToken(h.emu, clientCredentials({ client_id: '11111111-2222-3333-4444-555555555555' }));
    expect(unknownApp.status).toBe(400);
    expect(JSON.parse(unknownApp.text).error).toBe('unauthorized_client');
    const badScope = await requestToken(h.emu, clientCredentials({ scope: 'https://graph.microsoft.com/Sites.Read.All' }));
    expect(badScope.status).toBe(400);
    expect(JSON.parse(badScope.text).error_description).toMatch(/^AADSTS1002012/);
  });

  // TLS trust, option 1 (in-process): an @azure/core-rest-pipeline policy that sets
  // `request.agent` to an https.Agent trusting the emulator's CA. This works because
  // @azure/identity sends MSAL's discovery and token requests through its own pipeline.
  it('works with @azure/identity ClientSecretCredential via an https.Agent pipeline policy (MSAL client credentials against a custom authority)', async () => {
    const agent = new Agent({ ca: h.emu.caCertificatePem });
    const trustEmulatorCa: PipelinePolicy = {
      name: 'emulator-ca',
      sendRequest: (request, next) => {
        request.agent = agent;
        return next(request);
      },
    };
    const options: ClientSecretCredentialOptions = {
      authorityHost: h.emu.authorityHost,
      disableInstanceDiscovery: true,
      additionalPolicies: [{ position: 'perCall', policy: trustEmulatorCa }],
    };
    const credential = new ClientSecretCredential(DEFAULT_TENANT_ID, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, options);
    const token = await credential.getToken('https://graph.microsoft.com/.default');
    expect(token.expiresOnTimestamp).toBeGreaterThan(Date.now() + 3000_000);
    const site = await fetch(`${h.emu.graphBaseUrl}/sites/${h.siteId}`, { headers: { authorization: `Bearer ${token.token}` } });
    expect(site.status).toBe(200);

    const wrong = new ClientSecretCredential(DEFAULT_TENANT_ID, DEFAULT_CLIENT_ID, 'wrong-secret', options);
    await expect(wrong.getToken('https://graph.microsoft.com/.default')).rejects.toThrow(/AADSTS7000215/);
  });

  // TLS trust, option 2 (what a separate worker process does): NODE_EXTRA_CA_CERTS pointing
  // at the PEM from `caCertificatePem` (or EMULATOR_CERT_FILE), read by Node at start-up.
  it('works with @azure/identity in a child process that trusts the CA through NODE_EXTRA_CA_CERTS', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spemu-ca-'));
    const caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, h.emu.caCertificatePem);
    const script = join(dir, 'get-token.mjs');
    const identityEntry = import.meta.resolve('@azure/identity');
    writeFileSync(
      script,
      `import { ClientSecretCredential } from ${JSON.stringify(identityEntry)};
const c = new ClientSecretCredential(process.argv[2], process.argv[3], process.argv[4], { authorityHost: process.argv[5], disableInstanceDiscovery: true });
const t = await c.getToken('https://graph.microsoft.com/.default');
process.stdout.write(JSON.stringify({ ok: t.token.split('.').length === 3 }));`,
    );
    const { stdout } = await promisify(execFile)(process.execPath, [script, DEFAULT_TENANT_ID, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, h.emu.authorityHost], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile },
      cwd: resolve(import.meta.dirname, '..'),
      timeout: 30_000,
    });
    expect(JSON.parse(stdout)).toEqual({ ok: true });
  }, 40_000);
});

describe('Graph authentication', () => {
  it('answers a request without a token with 401 InvalidAuthenticationToken (Microsoft Graph error responses)', async () => {
    const res = await fetch(`${h.emu.graphBaseUrl}/sites/${h.siteId}`, { headers: { 'client-request-id': 'abc-123' } });
    expect(res.status).toBe(401);
    const body = (await res.json()) as GraphErrorBody;
    expect(body.error.code).toBe('InvalidAuthenticationToken');
    expect(body.error.message).toBe('Access token is empty.');
    expect(body.error.innerError['client-request-id']).toBe('abc-123');
    expect(body.error.innerError['request-id']).toBe(res.headers.get('request-id'));
    expect(body.error.innerError.date).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
    expect(res.headers.get('client-request-id')).toBe('abc-123');
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
  });

  it('rejects forged and expired tokens with 401 (access tokens are validated for signature and lifetime)', async () => {
    const [header, payload] = h.token.split('.');
    const forged = await fetch(`${h.emu.graphBaseUrl}/sites/${h.siteId}`, { headers: { authorization: `Bearer ${header}.${payload}.AAAA` } });
    expect(forged.status).toBe(401);
    await h.admin('PUT', '/settings', { tokenLifetimeSeconds: 2 });
    try {
      const res = await requestToken(h.emu, clientCredentials());
      const shortLived = JSON.parse(res.text).access_token as string;
      // Accepted while it lives (1-2 s: lifetimes are whole seconds); its signature is then known, its lifetime still checked on every use.
      const fresh = await fetch(`${h.emu.graphBaseUrl}/sites/${h.siteId}`, { headers: { authorization: `Bearer ${shortLived}` } });
      expect(fresh.status).toBe(200);
      await new Promise((r) => setTimeout(r, 2100));
      const expired = await fetch(`${h.emu.graphBaseUrl}/sites/${h.siteId}`, { headers: { authorization: `Bearer ${shortLived}` } });
      expect(expired.status).toBe(401);
      expect(((await expired.json()) as GraphErrorBody).error.message).toMatch(/token is expired/);
    } finally {
      await h.admin('PUT', '/settings', { tokenLifetimeSeconds: 3599 });
    }
  });

  it('sets request-id and echoes client-request-id on success (Graph: request-id and client-request-id headers)', async () => {
    const res = await h.graph('GET', `/sites/${h.siteId}`, undefined, { 'client-request-id': 'corr-42' });
    expect(res.status).toBe(200);
    expect(res.headers.get('client-request-id')).toBe('corr-42');
    expect(res.headers.get('request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('scopes data to the tenant of the token: another tenant sees its own sites only', async () => {
    const tenantId = 'aaaaaaaa-0000-0000-0000-00000000000b';
    const created = await h.admin('POST', '/tenants', { tenantId, clients: [{ clientId: 'other-app', clientSecret: 's3cret' }] });
    expect(created.status).toBe(201);
    const res = await requestToken(
      h.emu,
      { grant_type: 'client_credentials', client_id: 'other-app', client_secret: 's3cret', scope: 'https://graph.microsoft.com/.default' },
      tenantId,
    );
    const token = JSON.parse(res.text).access_token as string;
    const otherSite = await fetch(`${h.emu.graphBaseUrl}/sites/${h.siteId}`, { headers: { authorization: `Bearer ${token}` } });
    expect(otherSite.status).toBe(404);
    const own = await fetch(`${h.emu.graphBaseUrl}/sites/contoso.sharepoint.com:/sites/syncbridge`, { headers: { authorization: `Bearer ${token}` } });
    expect(own.status).toBe(200);
    expect(((await own.json()) as { id: string }).id).not.toBe(h.siteId);
  });
});
