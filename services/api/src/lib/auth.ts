import { createHash, randomBytes } from 'node:crypto';
import { and, eq, isNull } from 'drizzle-orm';
import { createMiddleware } from 'hono/factory';
import { schema, type MetaStore } from '@syncbridge/shared/db';
import { ApiError, ErrorCode } from './problem.ts';
import type { AppEnv, Role } from './context.ts';

const KEY_PREFIX = 'sbk_';
const rank: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

export const hashApiKey = (key: string) => createHash('sha256').update(key, 'utf8').digest('hex');

export function generateApiKey(): { key: string; prefix: string; hash: string } {
  const key = KEY_PREFIX + randomBytes(32).toString('base64url');
  return { key, prefix: key.slice(0, 12), hash: hashApiKey(key) };
}

/** Resolves `Authorization: Bearer <key>` to a principal; 401 when absent, unknown or revoked. */
export function authenticate(store: MetaStore) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) {
      throw new ApiError(401, ErrorCode.Unauthenticated, 'send an API key as "Authorization: Bearer <key>"');
    }
    const [row] = await store.db
      .select({ id: schema.apiKeys.id, name: schema.apiKeys.name, role: schema.apiKeys.role })
      .from(schema.apiKeys)
      .where(and(eq(schema.apiKeys.keyHash, hashApiKey(match[1])), isNull(schema.apiKeys.revokedAt)))
      .limit(1);
    if (!row) throw new ApiError(401, ErrorCode.Unauthenticated, 'the API key is unknown or revoked');
    c.set('principal', { keyId: row.id, name: row.name, role: row.role });
    c.set('log', c.get('log').child({ apiKeyId: row.id }));
    await next();
  });
}

export function requireRole(role: Role) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const principal = c.get('principal');
    if (rank[principal.role] < rank[role]) {
      throw new ApiError(403, ErrorCode.Forbidden, `this operation needs the ${role} role; the key "${principal.name}" has ${principal.role}`);
    }
    await next();
  });
}

/** Creates the first admin key from the environment once; later starts find it by hash. */
export async function ensureBootstrapAdminKey(store: MetaStore, key: string | undefined): Promise<boolean> {
  if (!key) return false;
  const inserted = await store.db
    .insert(schema.apiKeys)
    .values({ name: 'bootstrap-admin', prefix: key.slice(0, 12), keyHash: hashApiKey(key), role: 'admin' })
    .onConflictDoNothing({ target: schema.apiKeys.keyHash })
    .returning({ id: schema.apiKeys.id });
  return inserted.length > 0;
}
