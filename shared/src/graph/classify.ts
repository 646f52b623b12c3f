import { classifyNetworkError, type ClassifiedError } from '../net/error-class.ts';
import { EgressDeniedError } from '../net/egress.ts';
import type { ResolvedGraphConfig } from './config.ts';
import { GraphAuthError, GraphError } from './errors.ts';

/**
 * A Graph or identity failure as a class and a message of our own (shared/src/net/error-class.ts):
 * the identity platform's and Graph's texts (AADSTS descriptions with trace ids, a hostile
 * endpoint's banner) stay in the logs. Graph's error code is kept when it looks like one.
 */

const safeCode = (code: string | undefined) => (code && /^[A-Za-z][A-Za-z0-9_.]{0,63}$/.test(code) ? code : undefined);
const withCode = (text: string, code: string | undefined) => (safeCode(code) ? `${text} (${code})` : text);

function findEgressDenied(error: unknown, depth = 0): EgressDeniedError | undefined {
  if (!error || typeof error !== 'object' || depth > 5) return undefined;
  if (error instanceof EgressDeniedError) return error;
  const nested = (error as { errors?: unknown }).errors;
  if (Array.isArray(nested)) for (const e of nested) if (findEgressDenied(e, depth + 1)) return findEgressDenied(e, depth + 1);
  return findEgressDenied((error as { cause?: unknown }).cause, depth + 1);
}

const IDENTITY = Symbol('syncbridge.identityFailure');

/** Marks an error as the identity platform's (token acquisition), not Graph's: both are GraphAuthErrors. */
export function markIdentityFailure<T extends Error>(error: T): T {
  Object.defineProperty(error, IDENTITY, { value: true });
  return error;
}
const isIdentityFailure = (error: unknown) => typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[IDENTITY] === true;

/** The egress refusal behind a Graph or identity failure, if that is what it was. */
export const egressDeniedIn = (error: unknown): EgressDeniedError | undefined => findEgressDenied(error);

export function classifyGraphError(error: unknown, config: Pick<ResolvedGraphConfig, 'graphOrigin' | 'authorityHost'>): ClassifiedError {
  const authority = config.authorityHost;
  const graph = config.graphOrigin;
  const denied = findEgressDenied(error);
  if (denied) return { errorClass: 'unreachable', message: denied.message };
  if (error instanceof GraphAuthError && isIdentityFailure(error)) {
    switch (error.code) {
      case 'tlsUntrusted':
        return {
          errorClass: 'tls',
          message: `the TLS certificate of ${authority} is not trusted; set caCertificatePem when a private CA or a TLS-inspecting proxy signs it`,
        };
      case 'invalid_client':
        return { errorClass: 'authentication_failed', message: 'the identity platform refused the client secret (invalid_client)' };
      case 'unauthorized_client':
        return { errorClass: 'authentication_failed', message: 'the identity platform does not know this client id in the tenant (unauthorized_client)' };
      case 'invalid_tenant':
        return { errorClass: 'authentication_failed', message: 'the identity platform does not know this tenant (invalid_tenant)' };
      case 'invalid_resource':
      case 'invalid_scope':
        return { errorClass: 'invalid_request', message: withCode(`the identity platform issues no token for ${graph}`, error.code) };
      default: {
        const network = classifyNetworkError(error, authority);
        if (network) return network;
        if (error.code === 'identityUnreachable') return { errorClass: 'unreachable', message: `${authority} cannot be reached` };
        if (/abort/i.test(error.message)) return { errorClass: 'timeout', message: `${authority} did not answer in time` };
        return { errorClass: 'authentication_failed', message: withCode('the identity platform refused the token request', error.code) };
      }
    }
  }
  if (error instanceof GraphError) {
    if (error.status === 0) {
      return classifyNetworkError(error, graph) ?? { errorClass: 'protocol', message: `${graph} gave no usable answer` };
    }
    if (error.status === 401) return { errorClass: 'authentication_failed', message: withCode(`${graph} refused the access token (401)`, error.code) };
    if (error.status === 403)
      return { errorClass: 'permission_denied', message: withCode(`the app lacks a permission for this on ${graph} (403)`, error.code) };
    if (error.status === 404) return { errorClass: 'not_found', message: withCode(`${graph} has no such site, list or item (404)`, error.code) };
    if (error.status === 429 || error.status === 503) {
      return { errorClass: 'throttled', message: withCode(`${graph} is throttling or unavailable (${error.status}); retry later`, error.code) };
    }
    if (error.status >= 500) return { errorClass: 'server_error', message: withCode(`${graph} answered ${error.status}`, error.code) };
    return { errorClass: 'invalid_request', message: withCode(`${graph} refused the request (${error.status})`, error.code) };
  }
  return classifyNetworkError(error, graph) ?? { errorClass: 'protocol', message: `${graph} gave no usable answer` };
}
