import { randomUUID } from 'node:crypto';

export const newGuid = (): string => randomUUID();

/**
 * Graph/SharePoint timestamps are UTC with second precision and a `Z` suffix
 * (e.g. `2024-05-01T10:00:00Z`), not JavaScript's millisecond ISO form.
 */
export function graphTimestamp(ms: number = Date.now()): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export function base64UrlEncode(input: string | Buffer): string {
  return Buffer.from(input).toString('base64url');
}

export function base64UrlDecode(input: string): string {
  return Buffer.from(input, 'base64url').toString('utf8');
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Strips an optional weak prefix and surrounding quotes so `W/"a,1"`, `"a,1"` and `a,1` compare equal. */
export function normalizeEtag(value: string): string {
  let v = value.trim();
  if (v.startsWith('W/')) v = v.slice(2);
  if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) v = v.slice(1, -1);
  return v.toLowerCase();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
