import { isIP } from 'node:net';
import { z } from '@hono/zod-openapi';

export const timestamps = {
  createdAt: z.string().datetime(),
  updatedAt: z.string().datetime(),
};

/**
 * Control characters (C0 but tab, CR and LF; DEL; C1), bidirectional overrides and isolates
 * (U+202A-U+202E, U+2066-U+2069: "\u202egnp.exe" shows as "exe.png"), lone surrogates and
 * U+FFFD (what an invalid byte sequence in a body decodes to): none has a use in a name a person
 * reads, and each can hide what a name really is in a list, a log line or a terminal.
 */
function unreadable(v: string, allowLineBreaks: boolean): boolean {
  // for..of walks code points: a surrogate pair is one (an emoji), a lone surrogate stays in D800-DFFF.
  for (const ch of v) {
    const c = ch.codePointAt(0)!;
    if (c === 0x09 || c === 0x0a || c === 0x0d) {
      if (!allowLineBreaks) return true;
    } else if (
      c < 0x20 ||
      (c >= 0x7f && c <= 0x9f) ||
      (c >= 0x202a && c <= 0x202e) ||
      (c >= 0x2066 && c <= 0x2069) ||
      (c >= 0xd800 && c <= 0xdfff) ||
      c === 0xfffd
    ) {
      return true;
    }
  }
  return false;
}
const UNREADABLE_MESSAGE = 'must not contain control characters, bidirectional overrides or invalid characters (U+FFFD, lone surrogates)';

/** Text a person reads on one line: no control or bidi characters, no line breaks. */
export const plainText = (schema: z.ZodString) => schema.refine((v) => !unreadable(v, false), UNREADABLE_MESSAGE + ' or line breaks');

/** Text of several lines (descriptions, notes): line breaks and tabs allowed, other control or bidi characters not. */
export const freeText = (schema: z.ZodString) => schema.refine((v) => !unreadable(v, true), UNREADABLE_MESSAGE);

export const name = (description: string) =>
  plainText(z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters')).openapi({ description });

/** A database host: a DNS name (labels of letters, digits, hyphens and underscores) or an IPv4 or IPv6 address. */
export const hostName = (description: string) =>
  z
    .string()
    .trim()
    .min(1)
    .max(253)
    .refine(
      (v) =>
        isIP(v.replace(/^\[(.*)\]$/, '$1')) !== 0 ||
        /^(?=.{1,253}\.?$)([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/.test(v),
      'must be a host name (e.g. db1.internal) or an IP address, without a scheme, port or path',
    )
    .openapi({ description, example: 'db1.internal' });

/** A Graph id kept in a URL path segment (site id `host,guid,guid`, list id): no separators, no dot segments. */
export const graphId = (schema: z.ZodString) =>
  schema.refine((v) => /^[A-Za-z0-9._,:-]+$/.test(v) && !/^\.+$/.test(v), 'must be a Graph id (letters, digits and . _ , : -), as Graph returns it');

export const uuidRef = (description: string) => z.string().uuid('must be a UUID').openapi({ description });

export const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** Filter on a parent id in list queries. */
export const uuidFilter = (description: string) => z.string().uuid('must be a UUID').optional().openapi({ description });
