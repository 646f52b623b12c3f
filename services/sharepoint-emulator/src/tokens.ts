import { createHmac, timingSafeEqual } from 'node:crypto';
import { base64UrlDecode, base64UrlEncode, newGuid } from './util.ts';

/** Graph's well-known application id; also accepted as a token audience. */
export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
export const GRAPH_RESOURCE = 'https://graph.microsoft.com';

export interface AccessTokenClaims {
  aud: string;
  iss: string;
  iat: number;
  nbf: number;
  exp: number;
  appid: string;
  idtyp: 'app';
  oid: string;
  /** Application permissions granted to the app; Entra ID leaves the claim out when there are none. */
  roles?: string[];
  sub: string;
  tid: string;
  uti: string;
  ver: '1.0';
}

export type VerifyResult = { ok: true; claims: AccessTokenClaims } | { ok: false; reason: 'malformed' | 'signature' | 'expired' };

const sign = (key: string, data: string): string => createHmac('sha256', key).update(data).digest('base64url');

/**
 * App-only access tokens shaped like Entra ID v1 tokens for Graph (JWT with `aud`, `tid`,
 * `appid`, `roles`). Clients treat access tokens as opaque, so the emulator signs them
 * with an HMAC key of its own; only the emulator validates them.
 */
export function mintAccessToken(
  key: string,
  input: { tenantId: string; clientId: string; lifetimeSeconds: number; roles: readonly string[]; now?: number },
): { token: string; claims: AccessTokenClaims } {
  const now = Math.floor((input.now ?? Date.now()) / 1000);
  const claims: AccessTokenClaims = {
    aud: GRAPH_RESOURCE,
    iss: `https://sts.windows.net/${input.tenantId}/`,
    iat: now,
    nbf: now,
    exp: now + input.lifetimeSeconds,
    appid: input.clientId,
    idtyp: 'app',
    oid: input.clientId,
    ...(input.roles.length > 0 ? { roles: [...input.roles] } : {}),
    sub: input.clientId,
    tid: input.tenantId,
    uti: newGuid().replace(/-/g, '').slice(0, 22),
    ver: '1.0',
  };
  const header = base64UrlEncode(JSON.stringify({ typ: 'JWT', alg: 'HS256', kid: 'syncbridge-emulator' }));
  const payload = base64UrlEncode(JSON.stringify(claims));
  return { token: `${header}.${payload}.${sign(key, `${header}.${payload}`)}`, claims };
}

export function verifyAccessToken(key: string, token: string, now = Date.now()): VerifyResult {
  const parts = token.split('.');
  if (parts.length !== 3) return { ok: false, reason: 'malformed' };
  const [header, payload, signature] = parts as [string, string, string];
  const expected = Buffer.from(sign(key, `${header}.${payload}`));
  const actual = Buffer.from(signature);
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return { ok: false, reason: 'signature' };
  let claims: AccessTokenClaims;
  try {
    claims = JSON.parse(base64UrlDecode(payload)) as AccessTokenClaims;
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (typeof claims.exp !== 'number' || claims.exp * 1000 <= now) return { ok: false, reason: 'expired' };
  return { ok: true, claims };
}
