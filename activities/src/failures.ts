import { ApplicationFailure } from '@temporalio/activity';
import { NON_RETRYABLE_FAILURE_TYPES } from '@syncbridge/shared/errors';
import { GraphError } from '@syncbridge/shared/graph';

/**
 * A Graph failure that retrying cannot fix (the app's credentials refused, a permission
 * missing, the list gone) ends the activity at once as a typed, non-retryable failure, so
 * the run fails with the reason instead of retrying it for minutes. Everything else is
 * left to the activity's retry policy.
 */
export function toActivityFailure(err: unknown): unknown {
  if (err instanceof GraphError && err.failureType && NON_RETRYABLE_FAILURE_TYPES.includes(err.failureType)) {
    return ApplicationFailure.nonRetryable(`Microsoft Graph answered ${err.status} ${err.code}: ${err.message}`, err.failureType);
  }
  return err;
}

/** Wraps every activity of a set with toActivityFailure (one place for all of them). */
export function typedFailures<T extends Record<string, (...args: never[]) => Promise<unknown>>>(activities: T): T {
  return Object.fromEntries(
    Object.entries(activities).map(([name, fn]) => [
      name,
      async (...args: never[]) => {
        try {
          return await fn(...args);
        } catch (err) {
          throw toActivityFailure(err);
        }
      },
    ]),
  ) as T;
}
