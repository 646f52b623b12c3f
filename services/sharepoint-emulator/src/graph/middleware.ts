import type { Context, MiddlewareHandler } from 'hono';
import { GraphError } from '../errors.ts';
import { grants, requiredAccess } from '../permissions.ts';
import { resourceUnitCost } from '../throttle.ts';
import { verifyAccessToken, type AccessTokenClaims, type VerifyResult } from '../tokens.ts';
import { newGuid, sleep } from '../util.ts';
import type { GraphDeps, GraphEnv } from './env.ts';

/** Graph echoes `client-request-id` and stamps every response with its own `request-id`. */
export const correlation: MiddlewareHandler<GraphEnv> = async (c, next) => {
  const requestId = newGuid();
  c.set('requestId', requestId);
  c.set('clientRequestId', c.req.header('client-request-id') ?? requestId);
  await next();
  c.res.headers.set('request-id', requestId);
  c.res.headers.set('client-request-id', c.get('clientRequestId'));
};

const WWW_AUTHENTICATE =
  'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"';

const unauthenticated = (message: string) => new GraphError(401, 'InvalidAuthenticationToken', message, { 'WWW-Authenticate': WWW_AUTHENTICATE });

/** Tokens whose signature checked out, by token and signing key (a $batch's requests share one); bounded. */
const VERIFIED_MAX = 1_000;

/** Every Graph call needs `Authorization: Bearer <token>` issued by the emulator's identity endpoint. */
export function authenticate(deps: GraphDeps): MiddlewareHandler<GraphEnv> {
  const verified = new Map<string, AccessTokenClaims>();
  const verify = (token: string): VerifyResult => {
    const key = `${deps.store.tokenSigningKey}\n${token}`;
    const known = verified.get(key);
    // The signature was checked once; the lifetime is checked on every use.
    if (known) return known.exp * 1000 <= Date.now() ? { ok: false, reason: 'expired' } : { ok: true, claims: known };
    const result = verifyAccessToken(deps.store.tokenSigningKey, token);
    if (result.ok) {
      if (verified.size >= VERIFIED_MAX) verified.delete(verified.keys().next().value!);
      verified.set(key, result.claims);
    }
    return result;
  };
  return async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw unauthenticated('Access token is empty.');
    const result = verify(match[1] as string);
    if (!result.ok) {
      if (result.reason === 'expired') throw unauthenticated('Lifetime validation failed, the token is expired.');
      if (result.reason === 'malformed') throw unauthenticated('IDX14100: JWT is not well formed, there are no dots (.).');
      throw unauthenticated('Access token validation failure.');
    }
    const { tid, appid, roles } = result.claims;
    const tenant = deps.store.getTenant(tid);
    if (!tenant || !deps.store.findClient(tid, appid)) throw unauthenticated('Access token validation failure. Invalid audience.');
    // An app-only token for an app granted no application permission has no roles claim.
    if (!Array.isArray(roles) || roles.length === 0) throw unauthenticated('Either scp or roles claim need to be present in the token.');
    c.set('auth', { tenantId: tenant.tenantId, clientId: appid, roles });
    c.set('tenant', tenant);
    await next();
  };
}

/**
 * Application permissions: the token's roles must grant the access the operation needs
 * (see permissions.ts); otherwise SharePoint answers 403 `accessDenied`, "Access denied".
 * `$batch` sub-requests are checked one by one.
 */
export const authorize: MiddlewareHandler<GraphEnv> = async (c, next) => {
  const level = requiredAccess(c.req.method, new URL(c.req.url).pathname.replace(/^\/v1\.0/, ''));
  if (level && !grants(c.get('auth').roles, level)) throw new GraphError(403, 'accessDenied', 'Access denied');
  await next();
};

const WRITE_METHODS = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);

/**
 * "Applied but response lost": the write already happened; the client sees the connection
 * reset (or, in `hang` mode, no answer until the connection is reset later).
 */
export async function loseResponse(c: Context<GraphEnv>, deps: GraphDeps): Promise<void> {
  const socket = c.env?.incoming?.socket;
  if (!socket) return;
  if (deps.faults.config.lostResponseMode === 'hang') {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, deps.faults.config.hangMs);
      deps.trackTimer(timer);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
  socket.destroy();
}

/**
 * Resource-unit accounting, throttling and fault injection. Runs for every top-level
 * request and for every `$batch` sub-request; the batch envelope itself only gets latency,
 * because Graph evaluates batched requests individually against throttling limits.
 */
export function limits(deps: GraphDeps): MiddlewareHandler<GraphEnv> {
  return async (c, next) => {
    const url = new URL(c.req.url);
    const graphPath = url.pathname.replace(/^\/v1\.0/, '');
    const { tenantId, clientId } = c.get('auth');
    const latency = deps.faults.latency();
    if (latency > 0) await sleep(latency);
    if (graphPath === '/$batch') {
      deps.counters.add(tenantId, clientId, 'batches');
      await next();
      return;
    }
    const cost = resourceUnitCost(c.req.method, graphPath, url);
    deps.counters.add(tenantId, clientId, 'requests');
    deps.counters.add(tenantId, clientId, 'ruSpent', cost);
    const charge = deps.throttle.charge(`${tenantId}/${clientId}`.toLowerCase(), cost);
    const rateHeaders: Record<string, string> = charge?.nearLimit
      ? { 'RateLimit-Limit': String(charge.limit), 'RateLimit-Remaining': String(charge.remaining), 'RateLimit-Reset': String(charge.resetSeconds) }
      : {};
    if (charge?.throttled) {
      deps.counters.add(tenantId, clientId, 'throttled');
      throw new GraphError(
        429,
        'activityLimitReached',
        'The request has been throttled',
        { 'Retry-After': String(charge.resetSeconds), ...rateHeaders },
        'throttledRequest',
      );
    }
    const retryAfter = String(deps.faults.config.retryAfterSeconds);
    if (deps.faults.roll(deps.faults.config.unavailableProbability)) {
      deps.counters.add(tenantId, clientId, 'injected503');
      throw new GraphError(503, 'serviceNotAvailable', 'The service is temporarily unavailable. Please retry later.', {
        'Retry-After': retryAfter,
        ...rateHeaders,
      });
    }
    if (deps.faults.roll(deps.faults.config.throttleProbability)) {
      deps.counters.add(tenantId, clientId, 'injected429');
      throw new GraphError(429, 'activityLimitReached', 'The request has been throttled', { 'Retry-After': retryAfter, ...rateHeaders }, 'throttledRequest');
    }
    await next();
    for (const [k, v] of Object.entries(rateHeaders)) c.res.headers.set(k, v);
    if (WRITE_METHODS.has(c.req.method) && c.res.status < 300 && deps.faults.roll(deps.faults.config.lostResponseProbability)) {
      deps.counters.add(tenantId, clientId, 'lostResponses');
      const sub = c.env?.subRequest;
      if (sub) sub.lostResponse = true;
      else await loseResponse(c, deps);
    }
  };
}
