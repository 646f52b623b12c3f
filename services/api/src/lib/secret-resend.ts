import { ApiError, ErrorCode, type FieldError } from './problem.ts';

/*
 * Passwords and client secrets are write-only, so an admin who may write an instance or a
 * connection cannot read them. Without this rule they could still obtain them: change where the
 * stored secret is sent (a host, an authority, the CA that decides whom TLS trusts) and let the
 * next /test, /schema or read send it there. A PATCH that changes such a field therefore needs
 * the secret in the same request; whoever sends it knows it already.
 */

export interface SecretTarget<R> {
  /** The request body as validated. */
  body: Record<string, unknown>;
  existing: R;
  /** Fields that decide where the secret goes (same names in the body and on the row). */
  fields: ReadonlyArray<keyof R & string>;
  /** The body field that carries the secret, e.g. `password`. */
  secretField: string;
  /** Whether a secret is stored; without one there is nothing to send anywhere. */
  hasStoredSecret: boolean;
}

const unchanged = (a: unknown, b: unknown) => (a ?? null) === (b ?? null);

/** The fields a PATCH moves without re-sending the stored secret. */
export function movedWithoutSecret<R>(t: SecretTarget<R>): FieldError[] {
  // A secret in the request (or null, which removes the stored one) means nothing stored goes anywhere new.
  if (!t.hasStoredSecret || t.body[t.secretField] !== undefined) return [];
  return t.fields
    .filter((f) => t.body[f] !== undefined && !unchanged(t.body[f], t.existing[f]))
    .map((f) => ({
      field: `body.${f}`,
      message: `changing ${f} changes where the stored ${t.secretField} is sent: send ${t.secretField} again in the same request`,
    }));
}

/** Throws a 422 naming every such field. */
export function requireSecretWhenMoved<R>(t: SecretTarget<R>): void {
  const errors = movedWithoutSecret(t);
  if (errors.length) {
    const fields = errors.map((e) => e.field.slice('body.'.length)).join(', ');
    throw new ApiError(
      422,
      ErrorCode.ValidationFailed,
      `${fields} decide${errors.length === 1 ? 's' : ''} where the stored ${t.secretField} is sent; send ${t.secretField} again in the same request to change ${errors.length === 1 ? 'it' : 'them'}`,
      errors,
    );
  }
}

/** For the OpenAPI description of an update schema. */
export const secretResendNote = (fields: readonly string[], secretField: string) =>
  `Changing ${fields.slice(0, -1).join(', ')} or ${fields.at(-1)} (to a value other than the stored one) requires \`${secretField}\` in the same request: ` +
  `they decide where the stored ${secretField} is sent, and a request without it is refused with a 422 naming each such field.`;
