import { createHash, randomBytes } from 'node:crypto';
import { and, eq, isNull, lt, or } from 'drizzle-orm';
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { schema, type MetaStore } from '@syncbridge/shared/db';
import { ApiError, ErrorCode } from './problem.ts';
import { INTERNAL_PRINCIPAL, type AppEnv, type InternalEnv, type Role } from './context.ts';
import { clientAddress, type FailureThrottle } from './auth-throttle.ts';

const KEY_PREFIX = 'sbk_';
/** Characters of a key stored (and listed) as its prefix. */
const PREFIX_LENGTH = 12;
const rank: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

export const hashApiKey = (key: string) => createHash('sha256').update(key, 'utf8').digest('hex');

export function generateApiKey(): { key: string; prefix: string; hash: string } {
  const key = KEY_PREFIX + randomBytes(32).toString('base64url');
  return { key, prefix: key.slice(0, PREFIX_LENGTH), hash: hashApiKey(key) };
}

/** How often a key's lastUsedAt is written at most: often enough to tell keys in use from idle ones, without a write per request. */
export const KEY_USE_RECORD_INTERVAL_MS = 60_000;

export interface AuthOptions {
  /** Failed-authentication throttles (auth-throttle.ts); without them nothing is throttled. */
  throttle?: { byAddress: FailureThrottle; byPrefix: FailureThrottle };
}

function tooManyFailures(c: Context<AppEnv>, seconds: number, what: string): ApiError {
  c.header('Retry-After', String(seconds));
  return new ApiError(429, ErrorCode.TooManyRequests, `too many failed authentications from ${what}; retry in ${seconds} s`);
}

/**
 * Resolves `Authorization: Bearer <key>` to a principal; 401 when absent, unknown or revoked.
 *
 * Failed attempts are throttled (429 with Retry-After), per client address and per presented
 * key prefix. A blocked address is refused before its key is looked at, so while blocked it
 * learns nothing, not even that a guess was right. A blocked prefix only turns the 401 of a
 * wrong key into a 429: the right key still works, so someone presenting wrong keys with your
 * key's prefix cannot lock you out. A request without credentials is not counted (it guesses
 * nothing), and successes never reset a count.
 */
export function authenticate(store: MetaStore, opts: AuthOptions = {}) {
  const { throttle } = opts;
  return createMiddleware<AppEnv>(async (c, next) => {
    const internal = (c.env as InternalEnv | undefined)?.[INTERNAL_PRINCIPAL];
    if (internal) {
      // The web UI, calling as its session's key (already checked, and its role read, by the session).
      c.set('principal', internal);
      c.set('log', c.get('log').child({ apiKeyId: internal.keyId, via: 'ui' }));
      return next();
    }
    const address = clientAddress(c);
    const addressKey = `address:${address}`;
    const blockedFor = throttle?.byAddress.retryAfterSeconds(addressKey) ?? 0;
    if (blockedFor) throw tooManyFailures(c, blockedFor, 'this address');

    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) {
      if (header && throttle?.byAddress.fail(addressKey)) c.get('log').warn({ clientAddress: address }, 'failed authentications: address throttled');
      throw new ApiError(401, ErrorCode.Unauthenticated, 'send an API key as "Authorization: Bearer <key>"');
    }
    const presented = match[1];
    const [row] = await store.db
      .select({ id: schema.apiKeys.id, name: schema.apiKeys.name, role: schema.apiKeys.role, lastUsedAt: schema.apiKeys.lastUsedAt })
      .from(schema.apiKeys)
      .where(and(eq(schema.apiKeys.keyHash, hashApiKey(presented)), isNull(schema.apiKeys.revokedAt)))
      .limit(1);
    if (!row) {
      const prefix = presented.slice(0, PREFIX_LENGTH);
      const prefixKey = `prefix:${prefix}`;
      const prefixBlockedFor = throttle?.byPrefix.retryAfterSeconds(prefixKey) ?? 0;
      if (throttle?.byAddress.fail(addressKey)) c.get('log').warn({ clientAddress: address }, 'failed authentications: address throttled');
      // Only our own keys' prefixes are logged: another system's token pasted here is not ours to log.
      if (throttle?.byPrefix.fail(prefixKey))
        c.get('log').warn({ keyPrefix: prefix.startsWith(KEY_PREFIX) ? prefix : '(not sbk_)' }, 'failed authentications: key prefix throttled');
      if (prefixBlockedFor) throw tooManyFailures(c, prefixBlockedFor, 'keys with this prefix');
      throw new ApiError(401, ErrorCode.Unauthenticated, 'the API key is unknown or revoked');
    }
    c.set('principal', { keyId: row.id, name: row.name, role: row.role });
    c.set('log', c.get('log').child({ apiKeyId: row.id }));
    await recordKeyUse(store, row, c);
    await next();
  });
}

/** Sets lastUsedAt when it is older than KEY_USE_RECORD_INTERVAL_MS; the condition in the update keeps concurrent requests (and API processes) to one write. */
async function recordKeyUse(store: MetaStore, key: { id: string; lastUsedAt: Date | null }, c: Context<AppEnv>): Promise<void> {
  const now = Date.now();
  if (key.lastUsedAt && now - key.lastUsedAt.getTime() < KEY_USE_RECORD_INTERVAL_MS) return;
  const t = schema.apiKeys;
  try {
    await store.db
      .update(t)
      .set({ lastUsedAt: new Date(now) })
      .where(and(eq(t.id, key.id), or(isNull(t.lastUsedAt), lt(t.lastUsedAt, new Date(now - KEY_USE_RECORD_INTERVAL_MS)))));
  } catch (err) {
    // Bookkeeping: a failed write must not fail the request it belongs to.
    c.get('log').warn({ err }, 'could not record the API key use');
  }
}

/** The role each requireRole middleware asks for, so the OpenAPI document can state it (openapi-hardening.ts). */
const requiredRoles = new WeakMap<object, Role>();

export function requireRole(role: Role) {
  const middleware = createMiddleware<AppEnv>(async (c, next) => {
    const principal = c.get('principal');
    if (rank[principal.role] < rank[role]) {
      throw new ApiError(403, ErrorCode.Forbidden, `this operation needs the ${role} role; the key "${principal.name}" has ${principal.role}`);
    }
    await next();
  });
  requiredRoles.set(middleware, role);
  return middleware;
}

/** The role a route's middleware requires, or undefined when none of them is a requireRole. */
export function requiredRoleOf(middleware: unknown): Role | undefined {
  const list: unknown[] = Array.isArray(middleware) ? middleware : middleware ? [middleware] : [];
  for (const m of list) {
    const role = typeof m === 'function' ? requiredRoles.get(m) : undefined;
    if (role) return role;
  }
  return undefined;
}

/** Creates the first admin key from the environment once; later starts find it by hash. */
export async function ensureBootstrapAdminKey(store: MetaStore, key: string | undefined): Promise<boolean> {
  if (!key) return false;
  const inserted = await store.db
    .insert(schema.apiKeys)
    .values({ name: 'bootstrap-admin', prefix: key.slice(0, PREFIX_LENGTH), keyHash: hashApiKey(key), role: 'admin' })
    .onConflictDoNothing({ target: schema.apiKeys.keyHash })
    .returning({ id: schema.apiKeys.id });
  return inserted.length > 0;
}
