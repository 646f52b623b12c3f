import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_TENANT_ID, startHarness, type Harness } from './helpers.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

/**
 * Runs the production client stack (@microsoft/microsoft-graph-client with
 * @azure/identity's ClientSecretCredential) in a child process that trusts the emulator CA
 * through NODE_EXTRA_CA_CERTS: the Graph client uses Node's global fetch, which honours that
 * variable but not an https.Agent.
 */
const SCRIPT = `
import { createRequire } from 'node:module';
const require = createRequire(process.env.EMULATOR_PACKAGE_JSON);
const { Client, PageIterator } = require('@microsoft/microsoft-graph-client');
const { TokenCredentialAuthenticationProvider } = require('@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials');
const { ClientSecretCredential } = require('@azure/identity');
const [tenantId, clientId, secret, authorityHost, httpBase] = process.argv.slice(2);
const credential = new ClientSecretCredential(tenantId, clientId, secret, { authorityHost, disableInstanceDiscovery: true });
const authProvider = new TokenCredentialAuthenticationProvider(credential, { scopes: ['https://graph.microsoft.com/.default'] });
const out = {};
// The client only attaches tokens to https:// URLs, so the plain-HTTP base gets 401...
const overHttp = Client.initWithMiddleware({ authProvider, baseUrl: httpBase, customHosts: new Set(['127.0.0.1']) });
try { await overHttp.api('/sites/contoso.sharepoint.com:/sites/syncbridge').get(); out.http = 'ok'; } catch (e) { out.http = e.statusCode; }
// ...while the same Graph app served over TLS at <authorityHost>/v1.0 works unchanged.
const client = Client.initWithMiddleware({ authProvider, baseUrl: authorityHost + '/', customHosts: new Set(['127.0.0.1']) });
const site = await client.api('/sites/contoso.sharepoint.com:/sites/syncbridge').get();
const list = await client.api('/sites/' + site.id + '/lists').post({ displayName: 'Client ' + Date.now(), columns: [{ name: 'N', number: {} }] });
const requests = Array.from({ length: 20 }, (_, i) => ({ id: String(i), method: 'POST', url: '/sites/' + site.id + '/lists/' + list.id + '/items', headers: { 'Content-Type': 'application/json' }, body: { fields: { Title: 't' + i, N: i } } }));
for (let k = 0; k < 12; k++) await client.api('/$batch').post({ requests });
const first = await client.api('/sites/' + site.id + '/lists/' + list.id + '/items').expand('fields').get();
let seen = 0;
await new PageIterator(client, first, () => { seen++; return true; }).iterate();
out.items = seen;
try { await client.api('/sites/' + site.id + '/lists/' + list.id + '/items/9999').get(); } catch (e) { out.missing = [e.statusCode, e.code]; }
const delta = await client.api('/sites/' + site.id + '/lists/' + list.id + '/items/delta').get();
out.deltaNext = typeof delta['@odata.nextLink'];
process.stdout.write(JSON.stringify(out));
`;

describe('production Graph client interop', () => {
  it('@microsoft/microsoft-graph-client + ClientSecretCredential page, batch and read errors against the HTTPS Graph endpoint', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spemu-client-'));
    const caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, h.emu.caCertificatePem);
    const script = join(dir, 'client.mjs');
    writeFileSync(script, SCRIPT);
    const httpBase = `${new URL(h.emu.graphBaseUrl).origin}/`;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [script, DEFAULT_TENANT_ID, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, h.emu.authorityHost, httpBase],
      {
        env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile, EMULATOR_PACKAGE_JSON: resolve(import.meta.dirname, '../package.json') },
        timeout: 30_000,
      },
    );
    expect(JSON.parse(stdout)).toEqual({ http: 401, items: 240, missing: [404, 'itemNotFound'], deltaNext: 'string' });
  }, 40_000);
});
