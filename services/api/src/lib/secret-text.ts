/*
 * Error text from a server SyncBridge connected to (a source database, an identity endpoint,
 * Graph) is returned to the caller and stored on the instance or connection, where viewers read
 * it. That server may quote what it was sent, the password included (a hostile or misconfigured
 * one does), so such text goes through scrubSecretText before it is returned, stored or logged.
 */

/** How much of a server's error text is kept: enough to act on, bounded for the row and the response. */
export const MAX_ERROR_TEXT = 2000;

/**
 * `text` without the given secrets (as sent and URL-encoded), NUL characters (PostgreSQL text
 * cannot store them: the update would fail) or more than MAX_ERROR_TEXT characters.
 */
export function scrubSecretText(text: string, secrets: ReadonlyArray<string | null | undefined>): string {
  let out = text;
  for (const secret of secrets) {
    // Very short secrets are not replaced: every "a" in a message is not a leak, and would make it unreadable.
    if (!secret || secret.length < 3) continue;
    for (const form of new Set([secret, encodeURIComponent(secret)])) out = out.split(form).join('***');
  }
  out = out.replaceAll('\u0000', '');
  return out.length > MAX_ERROR_TEXT ? `${out.slice(0, MAX_ERROR_TEXT)}…` : out;
}
