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
  /** No instance of the source database may be used now (all unhealthy, or the pinned one is gone). */
  NoSourceInstance: 'NoSourceInstance',
  /** The operation is not available in this version. */
  NotAvailable: 'NotAvailable',
  /** An eTag precondition failed: someone else changed the item (retrying re-reads it). */
  Conflict: 'Conflict',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];

/** What every workflow's retry policy refuses to retry: the same attempt could only fail the same way. */
export const NON_RETRYABLE_FAILURE_TYPES: FailureType[] = [
  FailureType.InvalidInput,
  FailureType.NotFound,
  FailureType.AuthenticationFailed,
  FailureType.PermissionDenied,
  FailureType.SchemaMismatch,
  FailureType.NoSourceInstance,
  FailureType.NotAvailable,
];
