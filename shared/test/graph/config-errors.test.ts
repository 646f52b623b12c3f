import { describe, expect, it } from 'vitest';
import { ResourceUnitBudget } from '../../src/graph/budget.ts';
import { GraphTransport } from '../../src/graph/client.ts';
import { connectionKey, isMicrosoftAuthority, resolveGraphConfig, userAgent } from '../../src/graph/config.ts';
import { authErrorFromIdentity } from '../../src/graph/auth.ts';
import {
  DeltaTokenExpiredError,
  GraphAuthError,
  GraphConflictError,
  GraphError,
  GraphPermissionError,
  GraphThrottledError,
  graphErrorFromResponse,
} from '../../src/graph/errors.ts';
import { createLogger } from '../../src/observability/logger.ts';

const base = { connectionId: 'c1', tenantId: 'T', clientId: 'C', clientSecret: 's3cr3t-value' };

describe('connection config', () => {
  it('applies defaults and splits the Graph base URL into host and version', () => {
    const config = resolveGraphConfig({ ...base, graphBaseUrl: '', authorityHost: '' });
    expect(config).toMatchObject({
      graphOrigin: 'https://graph.microsoft.com',
      graphHost: 'https://graph.microsoft.com/',
      graphVersion: 'v1.0',
      ruPerMinute: 1250,
    });
    const emulator = resolveGraphConfig({ ...base, graphBaseUrl: 'http://127.0.0.1:8123/v1.0/', authorityHost: 'https://127.0.0.1:8124', ruPerMinute: 300 });
    expect(emulator).toMatchObject({
      graphOrigin: 'http://127.0.0.1:8123',
      graphHost: 'http://127.0.0.1:8123/',
      graphBaseUrl: 'http://127.0.0.1:8123/v1.0',
      ruPerMinute: 300,
    });
    expect(() => resolveGraphConfig({ ...base, graphBaseUrl: '', authorityHost: 'http://127.0.0.1:1' })).toThrow(/https/);
  });

  it('keys budgets by tenant and client, and knows Microsoft authorities', () => {
    expect(connectionKey({ tenantId: 'Tenant', clientId: 'App' })).toBe(connectionKey({ tenantId: 'tenant', clientId: 'app' }));
    expect(isMicrosoftAuthority('https://login.microsoftonline.com')).toBe(true);
    expect(isMicrosoftAuthority('https://login.microsoftonline.us/')).toBe(true);
    expect(isMicrosoftAuthority('https://127.0.0.1:9443')).toBe(false);
    expect(userAgent('1.2.3')).toBe('NONISV|SyncBridge|SyncBridge/1.2.3');
  });

  it('turns nextLinks into client paths and refuses links to another origin', () => {
    const config = resolveGraphConfig({ ...base, graphBaseUrl: 'http://127.0.0.1:8123/v1.0', authorityHost: 'https://127.0.0.1:1' });
    const transport = new GraphTransport(config, {} as never, new ResourceUnitBudget('k', 10), createLogger({ service: 't', level: 'silent' }), {
      maxAttempts: 1,
      defaultThrottleMs: 1,
      backoffBaseMs: 1,
    });
    expect(transport.toClientPath('http://127.0.0.1:8123/v1.0/sites/s/lists/l/items?$skiptoken=x')).toEqual({
      path: '/sites/s/lists/l/items?$skiptoken=x',
      version: 'v1.0',
    });
    expect(transport.toClientPath('/sites/root')).toEqual({ path: '/sites/root', version: 'v1.0' });
    expect(() => transport.toClientPath('https://evil.example/v1.0/sites')).toThrow(/outside/);
  });
});

describe('error classification', () => {
  const headers = { 'request-id': 'req-1', 'Retry-After': '0.249', Location: 'http://x/v1.0/sites/s/lists/l/items/delta' };
  it('maps statuses to typed errors with code, retryable and request id', () => {
    const e401 = graphErrorFromResponse(401, { error: { code: 'InvalidAuthenticationToken', message: 'expired' } }, headers, 'GET /x');
    expect(e401).toBeInstanceOf(GraphAuthError);
    expect(e401).toMatchObject({ status: 401, code: 'InvalidAuthenticationToken', retryable: false, requestId: 'req-1', failureType: 'AuthenticationFailed' });
    expect(graphErrorFromResponse(403, undefined, headers, 'x')).toBeInstanceOf(GraphPermissionError);
    const conflict = graphErrorFromResponse(412, { error: { code: 'preconditionFailed', message: 'etag' } }, headers, 'x');
    expect(conflict).toBeInstanceOf(GraphConflictError);
    expect(conflict.failureType).toBe('Conflict');
    const throttled = graphErrorFromResponse(429, undefined, headers, 'x');
    expect(throttled).toBeInstanceOf(GraphThrottledError);
    expect(throttled).toMatchObject({ retryable: true, retryAfterMs: 249 });
    const gone = graphErrorFromResponse(410, { error: { code: 'resyncRequired', message: 'gone' } }, headers, 'x');
    expect(gone).toBeInstanceOf(DeltaTokenExpiredError);
    expect((gone as DeltaTokenExpiredError).location).toBe(headers.Location);
    const e504 = graphErrorFromResponse(504, 'upstream timeout', {}, 'x');
    expect(e504).toBeInstanceOf(GraphError);
    expect(e504).toMatchObject({ code: 'gatewayTimeout', retryable: true });
    expect(graphErrorFromResponse(400, undefined, {}, 'x').retryable).toBe(false);
  });

  it('scrubs the client secret from identity errors', () => {
    const error = authErrorFromIdentity(new Error('AADSTS7000215: Invalid client secret provided: s3cr3t-value'), 's3cr3t-value', 'C');
    expect(error).toBeInstanceOf(GraphAuthError);
    expect(error.code).toBe('invalid_client');
    expect(error.message).not.toContain('s3cr3t-value');
    expect(JSON.stringify(error)).not.toContain('s3cr3t-value');
  });
});
