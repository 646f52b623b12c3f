/**
 * Failure types shared by activities and workflows. Activities throw
 * `ApplicationFailure.nonRetryable(message, type)` with one of these for failures
 * that retrying cannot fix; anything else is retried under the activity's policy.
 */
export const FailureType = {
  /** Input that can never succeed: unknown ids, invalid definitions. */
  InvalidInput: 'InvalidInput',
  /** The referenced meta-store row does not exist (deleted while a run was queued). */
  NotFound: 'NotFound',
  /** Authentication against a source database or Graph was refused. */
  AuthenticationFailed: 'AuthenticationFailed',
  /** Graph answered 403: the app lacks a permission on the site or list. */
  PermissionDenied: 'PermissionDenied',
  /** A source schema no longer matches the definition. */
  SchemaMismatch: 'SchemaMismatch',
  /** An eTag precondition failed: someone else changed the item. */
  Conflict: 'Conflict',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];

export const NON_RETRYABLE_FAILURE_TYPES: FailureType[] = Object.values(FailureType);
