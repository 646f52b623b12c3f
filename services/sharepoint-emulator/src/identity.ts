import { Hono, type Context } from 'hono';
import type { Settings } from './settings.ts';
import type { Store } from './state.ts';
import { DEFAULT_CLIENT_ROLES } from './permissions.ts';
import { GRAPH_APP_ID, GRAPH_RESOURCE, mintAccessToken } from './tokens.ts';
import { newGuid } from './util.ts';

/**
 * The Microsoft identity platform endpoints MSAL (and so @azure/identity's
 * ClientSecretCredential) uses for the client credentials grant: OpenID discovery
 * (`/{tenant}/v2.0/.well-known/openid-configuration`) and the v2.0 token endpoint.
 * Errors use the OAuth 2.0 shape with AADSTS codes, as Entra ID answers them.
 */
export function createIdentityApp(store: Store, settings: Settings): Hono {
  const app = new Hono();

  const aadError = (c: Context, status: 400 | 401, error: string, aadsts: number, description: string) => {
    const traceId = newGuid();
    const correlationId = c.req.header('client-request-id') ?? newGuid();
    const timestamp = new Date().toISOString().replace('T', ' ').slice(0, 19) + 'Z';
    c.header('x-ms-request-id', traceId);
    c.header('client-request-id', correlationId);
    return c.json(
      {
        error,
        error_description: `AADSTS${aadsts}: ${description} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
        error_codes: [aadsts],
        timestamp,
        trace_id: traceId,
        correlation_id: correlationId,
        error_uri: `${new URL(c.req.url).origin}/error?code=${aadsts}`,
      },
      status,
    );
  };

  const tenantNotFound = (tenant: string) =>
    `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`;

  app.get('/:tenant/v2.0/.well-known/openid-configuration', (c) => {
    const tenant = store.getTenant(c.req.param('tenant'));
    if (!tenant) {
      return c.json({ error: 'invalid_tenant', error_description: `AADSTS90002: ${tenantNotFound(c.req.param('tenant'))}` }, 400);
    }
    const base = `${new URL(c.req.url).origin}/${tenant.tenantId}`;
    // MSAL requires authorization_endpoint, token_endpoint, issuer and jwks_uri, and
    // validates that the issuer shares the authority's scheme, host and port.
    return c.json({
      token_endpoint: `${base}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: `${base}/discovery/v2.0/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer: `${base}/v2.0`,
      request_uri_parameter_supported: false,
      userinfo_endpoint: `${base}/openid/userinfo`,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'nonce', 'tid', 'ver', 'oid'],
      tenant_region_scope: 'EU',
      cloud_instance_name: 'microsoftonline.com',
      cloud_graph_host_name: 'graph.windows.net',
      msgraph_host: 'graph.microsoft.com',
      rbac_url: 'https://pas.windows.net',
    });
  });

  app.get('/:tenant/discovery/v2.0/keys', (c) => c.json({ keys: [] }));

  app.post('/:tenant/oauth2/v2.0/token', async (c) => {
    const tenantParam = c.req.param('tenant');
    const form = new URLSearchParams(await c.req.text());
    const tenant = store.getTenant(tenantParam);
    if (!tenant) return aadError(c, 400, 'invalid_request', 90002, tenantNotFound(tenantParam));

    let clientId = form.get('client_id') ?? undefined;
    let clientSecret = form.get('client_secret') ?? undefined;
    const basic = /^Basic\s+(.+)$/i.exec(c.req.header('authorization') ?? '');
    if (basic) {
      const [id, secret] = Buffer.from(basic[1] as string, 'base64')
        .toString('utf8')
        .split(/:(.*)/s);
      clientId ??= decodeURIComponent(id ?? '');
      clientSecret ??= decodeURIComponent(secret ?? '');
    }
    const grantType = form.get('grant_type');
    if (!grantType) return aadError(c, 400, 'invalid_request', 900144, "The request body must contain the following parameter: 'grant_type'.");
    if (grantType !== 'client_credentials') {
      return aadError(
        c,
        400,
        'unsupported_grant_type',
        70003,
        `The app requested an unsupported grant type '${grantType}'. The emulator only issues app-only tokens (client_credentials).`,
      );
    }
    if (!clientId) return aadError(c, 400, 'invalid_request', 900144, "The request body must contain the following parameter: 'client_id'.");
    const client = store.findClient(tenant.tenantId, clientId);
    if (!client) {
      return aadError(
        c,
        400,
        'unauthorized_client',
        700016,
        `Application with identifier '${clientId}' was not found in the directory '${tenant.tenantId}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
      );
    }
    if (!clientSecret)
      return aadError(c, 401, 'invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
    if (clientSecret !== client.clientSecret) {
      return aadError(
        c,
        401,
        'invalid_client',
        7000215,
        `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${client.clientId}'.`,
      );
    }

    const scopes = (form.get('scope') ?? '').split(/\s+/).filter((s) => s && !['openid', 'profile', 'offline_access'].includes(s));
    if (scopes.length !== 1 || !scopes[0]?.endsWith('/.default')) {
      return aadError(
        c,
        400,
        'invalid_scope',
        1002012,
        `The provided value for scope ${scopes.join(' ') || '(none)'} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
      );
    }
    const resource = (scopes[0] as string).slice(0, -'/.default'.length).replace(/\/$/, '').toLowerCase();
    const accepted = [GRAPH_RESOURCE, GRAPH_APP_ID, ...settings.graphOrigins.map((o) => o.toLowerCase())];
    if (!accepted.includes(resource)) {
      return aadError(
        c,
        400,
        'invalid_resource',
        500011,
        `The resource principal named ${resource} was not found in the tenant named ${tenant.tenantId}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
      );
    }

    const lifetime = settings.tokenLifetimeSeconds;
    // The roles claim lists the application permissions granted (and consented) to the app.
    const { token } = mintAccessToken(store.tokenSigningKey, {
      tenantId: tenant.tenantId,
      clientId: client.clientId,
      lifetimeSeconds: lifetime,
      roles: client.roles ?? DEFAULT_CLIENT_ROLES,
    });
    c.header('cache-control', 'no-store, no-cache');
    c.header('pragma', 'no-cache');
    c.header('x-ms-request-id', newGuid());
    const crid = c.req.header('client-request-id');
    if (crid) c.header('client-request-id', crid);
    return c.json({ token_type: 'Bearer', expires_in: lifetime, ext_expires_in: lifetime, access_token: token });
  });

  return app;
}
