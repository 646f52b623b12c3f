import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { and, eq, gt, isNull, lt, sql } from 'drizzle-orm';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { schema, type MetaStore } from '@syncbridge/shared/db';
import type { Principal } from '../lib/context.ts';
import { hashApiKey } from '../lib/auth.ts';

/*
 * Web UI sessions. Signing in with an API key creates a session: a random token in an HttpOnly,
 * SameSite=Strict cookie (Secure, and the __Host- name, when the request came over https), its
 * SHA-256 in ui_sessions. A session ends at sign-out, after SESSION_IDLE_MS without a request,
 * SESSION_MAX_MS after sign-in, or when its key is revoked. It acts with its key's current role.
 *
 * Every state-changing request carries a CSRF token: an HMAC of the session token, so it needs no
 * storage and a page of another origin cannot compute it (it cannot read the HttpOnly cookie).
 * Requests whose Origin (or Sec-Fetch-Site) says another site sent them are refused before that.
 */

export const SESSION_IDLE_MS = 60 * 60_000;
export const SESSION_MAX_MS = 12 * 60 * 60_000;
/** lastSeenAt is written at most this often per session. */
const TOUCH_INTERVAL_MS = 60_000;

const hashToken = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

export interface UiSession {
  id: string;
  token: string;
  principal: Principal;
  csrf: string;
}

/** Whether the request reached us over https (directly or, as the proxy says, before it). */
export function isHttps(c: Context): boolean {
  const forwarded = c.req.header('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase();
  return forwarded ? forwarded === 'https' : new URL(c.req.url).protocol === 'https:';
}

const cookieName = (secure: boolean) => (secure ? '__Host-sb_session' : 'sb_session');

export function csrfTokenOf(sessionToken: string): string {
  return createHmac('sha256', sessionToken).update('syncbridge-ui-csrf').digest('base64url');
}

export function csrfMatches(sessionToken: string, presented: string | undefined): boolean {
  if (!presented) return false;
  const expected = Buffer.from(csrfTokenOf(sessionToken));
  const given = Buffer.from(presented);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/**
 * Whether a state-changing request came from one of our own pages: a browser sends Origin on
 * every POST (and Sec-Fetch-Site); either naming another site refuses it. Requests without
 * both (curl, old browsers) still need the CSRF token to do anything.
 */
export function sameOrigin(c: Context): boolean {
  // Sec-Fetch-Site is set by the browser itself (no page script can forge it): trust it when present.
  const site = c.req.header('sec-fetch-site');
  if (site) return site === 'same-origin' || site === 'none';
  const origin = c.req.header('origin');
  if (!origin) return true;
  if (origin === 'null') return false;
  const url = new URL(c.req.url);
  const host = c.req.header('x-forwarded-host') ?? c.req.header('host') ?? url.host;
  const proto = isHttps(c) ? 'https:' : 'http:';
  return origin === `${proto}//${host}`;
}

export class UiSessions {
  constructor(private readonly store: MetaStore) {}

  /** Checks an API key; on success opens a session and sets its cookie. Null when the key is unknown or revoked. */
  async signIn(c: Context, apiKey: string): Promise<Principal | null> {
    const k = schema.apiKeys;
    const [key] = await this.store.db
      .select({ id: k.id, name: k.name, role: k.role })
      .from(k)
      .where(and(eq(k.keyHash, hashApiKey(apiKey.trim())), isNull(k.revokedAt)))
      .limit(1);
    if (!key) return null;
    const token = randomBytes(32).toString('base64url');
    const now = Date.now();
    await this.store.db.insert(schema.uiSessions).values({ tokenHash: hashToken(token), apiKeyId: key.id, expiresAt: new Date(now + SESSION_MAX_MS) });
    // Expired sessions of anyone are swept on sign-in: no separate job, and the table stays small.
    await this.store.db.delete(schema.uiSessions).where(lt(schema.uiSessions.expiresAt, new Date(now)));
    const secure = isHttps(c);
    setCookie(c, cookieName(secure), token, { httpOnly: true, sameSite: 'Strict', secure, path: '/', maxAge: SESSION_MAX_MS / 1000 });
    return { keyId: key.id, name: key.name, role: key.role };
  }

  /** The request's live session, or null (no cookie, unknown, expired, idle too long, or its key revoked). */
  async current(c: Context): Promise<UiSession | null> {
    const token = getCookie(c, cookieName(isHttps(c)));
    if (!token) return null;
    const s = schema.uiSessions;
    const k = schema.apiKeys;
    const now = new Date();
    const [row] = await this.store.db
      .select({ id: s.id, lastSeenAt: s.lastSeenAt, keyId: k.id, name: k.name, role: k.role })
      .from(s)
      .innerJoin(k, eq(k.id, s.apiKeyId))
      .where(and(eq(s.tokenHash, hashToken(token)), gt(s.expiresAt, now), gt(s.lastSeenAt, new Date(now.getTime() - SESSION_IDLE_MS)), isNull(k.revokedAt)))
      .limit(1);
    if (!row) return null;
    if (now.getTime() - row.lastSeenAt.getTime() > TOUCH_INTERVAL_MS) {
      await this.store.db
        .update(s)
        .set({ lastSeenAt: sql`now()` })
        .where(and(eq(s.id, row.id), lt(s.lastSeenAt, new Date(now.getTime() - TOUCH_INTERVAL_MS))));
    }
    return { id: row.id, token, principal: { keyId: row.keyId, name: row.name, role: row.role }, csrf: csrfTokenOf(token) };
  }

  async signOut(c: Context, session: UiSession | null): Promise<void> {
    if (session) await this.store.db.delete(schema.uiSessions).where(eq(schema.uiSessions.id, session.id));
    const secure = isHttps(c);
    deleteCookie(c, cookieName(secure), { path: '/', secure, httpOnly: true, sameSite: 'Strict' });
  }
}
