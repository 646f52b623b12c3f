import { request as httpsRequest, type Agent } from 'node:https';
import { ClientSecretCredential, type AccessToken, type ClientSecretCredentialOptions, type TokenCredential } from '@azure/identity';
import { isMicrosoftAuthority, type ResolvedGraphConfig } from './config.ts';
import { markIdentityFailure } from './classify.ts';
import { GraphAuthError } from './errors.ts';

/**
 * App-only authentication (client credentials) with `@azure/identity`.
 *
 * - One `ClientSecretCredential` per connection: MSAL caches the token inside it, so
 *   a credential per request would fetch a token per request.
 * - Scope `<graph origin>/.default`: the app's granted application permissions for
 *   that resource (Microsoft identity platform, client credentials flow).
 * - `disableInstanceDiscovery` only for authorities outside the Microsoft clouds: MSAL
 *   asks Microsoft's discovery endpoint about the authority unless told not to, and an
 *   emulated authority is unknown there. For Microsoft authorities discovery stays on.
 * - An extra CA (corporate TLS proxy, the emulator's self-signed certificate) is
 *   trusted through a pipeline policy that gives each identity request an
 *   `https.Agent` with that CA (`PipelineRequest.agent`, honoured by the Node HTTP
 *   client of @azure/core-rest-pipeline). No process-wide NODE_EXTRA_CA_CERTS needed.
 */

const CA_POLICY_NAME = 'syncbridgeExtraCaPolicy';

/** @azure/core-rest-pipeline's PipelinePolicy, reached through identity's own options type. */
type PipelinePolicy = NonNullable<ClientSecretCredentialOptions['additionalPolicies']>[number]['policy'];

/**
 * Each identity request may take this long; @azure/identity sets no limit of its own, so a
 * server that accepts and never answers held a token request (and a connection test) forever.
 */
export const IDENTITY_REQUEST_TIMEOUT_MS = 10_000;
/** Resends of a failed identity request (the pipeline's default is 3, each after a growing pause). */
export const IDENTITY_MAX_RETRIES = 1;

/**
 * Gives identity requests our agent (egress policy, extra CA), unless a proxy policy already
 * chose one, and a time limit.
 */
export function extraCaPolicy(agent: Agent): PipelinePolicy {
  return {
    name: CA_POLICY_NAME,
    sendRequest(request, next) {
      request.agent ??= agent;
      if (!request.timeout || request.timeout > IDENTITY_REQUEST_TIMEOUT_MS) request.timeout = IDENTITY_REQUEST_TIMEOUT_MS;
      return next(request);
    },
  };
}

export interface GraphTokenProvider {
  /** A bearer token for Graph; throws `GraphAuthError` (never exposing the secret). */
  getAccessToken(signal?: AbortSignal): Promise<string>;
  /**
   * Drops the cached token (Graph answered 401 to it: revoked, or an emulator restarted
   * with new keys). MSAL offers no forced refresh through @azure/identity, so the
   * credential is recreated, which starts with an empty token cache.
   */
  invalidate(): void;
  readonly scope: string;
}

export function createCredential(config: ResolvedGraphConfig, userAgent: string, httpsAgent: Agent | undefined): ClientSecretCredential {
  return new ClientSecretCredential(config.tenantId, config.clientId, config.clientSecret, {
    authorityHost: config.authorityHost,
    disableInstanceDiscovery: !isMicrosoftAuthority(config.authorityHost),
    userAgentOptions: { userAgentPrefix: userAgent },
    retryOptions: { maxRetries: IDENTITY_MAX_RETRIES, retryDelayInMs: 500, maxRetryDelayInMs: 2_000 },
    additionalPolicies: httpsAgent ? [{ policy: extraCaPolicy(httpsAgent), position: 'perCall' }] : [],
  });
}

/**
 * A token is reused without asking the credential again until this long before it expires (or until
 * the refresh time MSAL gives): MSAL's own cache lookup costs more per request than the request's
 * other client-side work at a few thousand requests a second.
 */
export const TOKEN_REUSE_MARGIN_MS = 5 * 60_000;

export function createTokenProvider(config: ResolvedGraphConfig, makeCredential: () => TokenCredential, httpsAgent?: Agent): GraphTokenProvider {
  const scope = `${config.graphOrigin}/.default`;
  let credential = makeCredential();
  let held: { token: string; until: number } | undefined;
  return {
    scope,
    invalidate() {
      held = undefined;
      credential = makeCredential();
    },
    async getAccessToken(signal?: AbortSignal): Promise<string> {
      if (held && Date.now() < held.until) return held.token;
      const from = credential;
      let token: AccessToken | null;
      try {
        token = await credential.getToken(scope, signal ? { abortSignal: signal } : {});
      } catch (error) {
        const mapped = markIdentityFailure(authErrorFromIdentity(error, config.clientSecret, config.clientId));
        // MSAL reports any failure to read the tenant's OpenID configuration as
        // `endpoints_resolution_error`, hiding whether the tenant is unknown, the TLS
        // certificate untrusted or the host unreachable. Ask the endpoint ourselves
        // (not when the caller gave up: that would be one more connection after its answer).
        if (/endpoints_resolution_error/.test(mapped.message) && !signal?.aborted) {
          const diagnosis = await diagnoseAuthority(config, httpsAgent);
          if (diagnosis)
            throw markIdentityFailure(
              new GraphAuthError({ ...diagnosis, status: mapped.status, message: `${mapped.message} — ${diagnosis.message}`, cause: mapped }),
            );
        }
        throw mapped;
      }
      if (!token?.token) {
        throw markIdentityFailure(new GraphAuthError({ status: 401, code: 'noToken', message: 'The identity endpoint returned no access token' }));
      }
      // Not when the credential was replaced meanwhile (a 401 invalidated the token this call was getting).
      if (from === credential)
        held = { token: token.token, until: Math.min(token.refreshAfterTimestamp ?? Infinity, token.expiresOnTimestamp - TOKEN_REUSE_MARGIN_MS) };
      return token.token;
    },
  };
}

/**
 * Maps what @azure/identity throws to a `GraphAuthError` with a code a human can act
 * on. Identity's messages do not contain the secret, but they quote server text, so
 * the secret is scrubbed from the message anyway before it can reach a log line.
 */
export function authErrorFromIdentity(error: unknown, secret: string, clientId = 'unknown'): GraphAuthError {
  const raw = error instanceof Error ? error.message : String(error);
  const message = scrub(raw, secret);
  const statusCode = (error as { statusCode?: unknown })?.statusCode;
  const errorCode = (error as { errorResponse?: { error?: unknown } })?.errorResponse?.error;
  const nested = findNetworkCode(error);
  let code = typeof errorCode === 'string' && errorCode ? errorCode : 'authenticationFailed';
  let retryable = false;
  if (/AADSTS7000215|invalid client secret|invalid_client/i.test(raw)) code = 'invalid_client';
  else if (/AADSTS700016|unauthorized_client/i.test(raw)) code = 'unauthorized_client';
  else if (/AADSTS90002|tenant .* not found|invalid_tenant/i.test(raw)) code = 'invalid_tenant';
  if (/certificate|self[- ]signed|UNABLE_TO_VERIFY|CERT_/i.test(raw) || (nested && /CERT|SELF_SIGNED/.test(nested))) {
    code = 'tlsUntrusted';
  } else if (nested && /ECONNREFUSED|ENOTFOUND|ETIMEDOUT|ECONNRESET|EAI_AGAIN/.test(nested)) {
    code = 'identityUnreachable';
    retryable = true;
  }
  return new GraphAuthError({
    status: typeof statusCode === 'number' ? statusCode : 401,
    code,
    message: `Token request for client ${clientId} failed (${code}): ${message}`,
    retryable,
    cause: error instanceof Error ? scrubError(error, secret) : undefined,
  });
}

/** Why the tenant's OpenID configuration cannot be read, if it cannot. */
export function diagnoseAuthority(
  config: Pick<ResolvedGraphConfig, 'authorityHost' | 'tenantId'>,
  agent: Agent | undefined,
  timeoutMs = 10_000,
): Promise<{ code: string; message: string; retryable: boolean } | undefined> {
  const url = `${config.authorityHost}/${encodeURIComponent(config.tenantId)}/v2.0/.well-known/openid-configuration`;
  return new Promise((resolve) => {
    const req = httpsRequest(url, { agent, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        if ((res.statusCode ?? 0) < 400) return resolve(undefined);
        let body: { error?: string; error_description?: string } = {};
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
        } catch {
          // not JSON: fall through with the status only
        }
        resolve({
          code: body.error === 'invalid_tenant' || /AADSTS90002/.test(body.error_description ?? '') ? 'invalid_tenant' : body.error || 'authorityError',
          message: `${url} answered ${res.statusCode}: ${(body.error_description ?? '').split(' Trace ID:')[0] || 'no description'}`,
          retryable: (res.statusCode ?? 0) >= 500,
        });
      });
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', (error: Error & { code?: string }) => {
      const code = error.code ?? '';
      if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code) || /certificate/i.test(error.message)) {
        resolve({
          code: 'tlsUntrusted',
          message: `TLS certificate of ${config.authorityHost} is not trusted (${code || error.message}); configure caCertificatePem`,
          retryable: false,
        });
      } else {
        resolve({ code: 'identityUnreachable', message: `${config.authorityHost} is unreachable (${code || error.message})`, retryable: true });
      }
    });
    req.end();
  });
}

function scrub(text: string, secret: string): string {
  return secret && secret.length >= 4 ? text.split(secret).join('[REDACTED]') : text;
}

function scrubError(error: Error, secret: string): Error {
  const copy = new Error(scrub(error.message, secret));
  copy.name = error.name;
  return copy;
}

function findNetworkCode(error: unknown, depth = 0): string | undefined {
  if (!error || typeof error !== 'object' || depth > 4) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && /^[A-Z_]+$/.test(code)) return code;
  const cause = (error as { cause?: unknown }).cause;
  if (cause) return findNetworkCode(cause, depth + 1);
  const errors = (error as { errors?: unknown[] }).errors;
  if (Array.isArray(errors))
    for (const inner of errors) {
      const found = findNetworkCode(inner, depth + 1);
      if (found) return found;
    }
  return undefined;
}
