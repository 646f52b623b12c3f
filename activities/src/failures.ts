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
  // A failure travels through Temporal whole: one that quotes a statement of 100,000 parameters exceeds the
  // payload limit and hides the cause. Its message (and its cause's) is cut; the full text stays in the worker's log.
  if (err instanceof Error && err.message.length > MAX_MESSAGE) {
    const cut = new Error(`${err.message.slice(0, MAX_MESSAGE)}… (cut: ${err.message.length} characters)`);
    cut.name = err.name;
    if (err.cause instanceof Error) cut.cause = new Error(err.cause.message.slice(0, MAX_MESSAGE));
    return cut;
  }
  return err;
}

/** The longest failure message sent through Temporal. */
const MAX_MESSAGE = 4_000;

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
