// The revocation's activities, each with the timeout and retry policy its kind of call needs. Final
// failure types (bad input, missing key, refused credentials, misconfiguration) are never retried.
import { ActivityCancellationType, proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { EkmActivities } from '../../activities';
import { finalErrorTypes } from '../../common/errors';

/** Reads: safe to repeat, so retried patiently. */
export const readOptions: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '1m',
    maximumAttempts: 10,
    nonRetryableErrorTypes: finalErrorTypes,
  },
};

/**
 * Several reads made at once in one activity (readTogether). Through a quota shared with other runs they
 * may queue for minutes: the activity heartbeats, so a lost worker is found in 30 s, and start-to-close
 * only bounds a read that never ends. At 30 s, 50 fleet children reading an organisation of 400
 * registrations timed out attempt after attempt, each attempt reading everything again (bench (a)).
 */
export const readManyOptions: ActivityOptions = {
  ...readOptions,
  startToCloseTimeout: '10m',
  heartbeatTimeout: '30s',
};

/**
 * Validate and probes: 429/5xx are retried (after Retry-After) for a few seconds; what still fails is an
 * *unknown* answer, and the caller's loop — which has its own window and a person behind it — decides.
 */
export const answerOptions: ActivityOptions = {
  startToCloseTimeout: '60s',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '30s',
    maximumAttempts: 5,
    nonRetryableErrorTypes: finalErrorTypes,
  },
};

/**
 * Changes to a cloud or to OpenAI that are idempotent (they read, then change only what differs): retried
 * until they succeed or fail finally, and never abandoned half-way — a cancellation waits for them.
 */
export const changeOptions: ActivityOptions = {
  startToCloseTimeout: '60s',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: {
    initialInterval: '2s',
    backoffCoefficient: 2,
    maximumInterval: '2m',
    maximumAttempts: 20,
    nonRetryableErrorTypes: finalErrorTypes,
  },
};

/** Creates that cannot be repeated blindly: one attempt, then a reconcile that lists what it made. */
export const onceOptions: ActivityOptions = {
  startToCloseTimeout: '60s',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { maximumAttempts: 1 },
};

export const reads = proxyActivities<EkmActivities>(readOptions);
export const readsMany = proxyActivities<EkmActivities>(readManyOptions);
export const answers = proxyActivities<EkmActivities>(answerOptions);
export const changes = proxyActivities<EkmActivities>(changeOptions);
export const once = proxyActivities<EkmActivities>(onceOptions);
