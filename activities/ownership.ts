// Proof that a cloud resource was made by this worker for this run. A run's ids are public (every reader
// of the namespace sees them), so a tag or label carrying them proves nothing: anyone who can create a key
// can copy it. The marker is an HMAC of the run and step under a secret only the workers hold, computed
// from the run Temporal says the activity belongs to (never from the activity's input).
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { EkmError } from '../common/errors';

/** Where a sandbox worker without a configured secret keeps its own (made on first use, kept across restarts). */
export const sandboxOwnershipSecretName = '.ownership-secret';

/** Marks and recognises what this worker made; `forRun` names the run and step a marker is for. */
export interface Ownership {
  /** The marker of `step` of the activity's own run (40 hex characters: fits a GCP label value). */
  marker(step: string): string;
  /** True when `marker` is the one this worker would write for `step` of the activity's own run. */
  isOurs(step: string, marker: string | undefined): boolean;
}

export class OwnershipSecretError extends Error {}

/** A secret must be long enough that guessing it is hopeless: 32 bytes, as `openssl rand -base64 32` prints. */
const minimumSecretLength = 32;

/** The run an activity belongs to, as Temporal says (tests that call an activity directly name one). */
export type CurrentRun = () => { workflowId: string; runId: string } | undefined;

const activityRun: CurrentRun = () => Context.current().info.workflowExecution;

export function ownershipFromSecret(secret: string, currentRun: CurrentRun = activityRun): Ownership {
  const markerOf = (step: string) => {
    const run = currentRun();
    if (!run)
      throw ApplicationFailure.create({
        type: EkmError.WorkerMisconfigured,
        nonRetryable: true,
        message: 'a resource can only be marked from an activity of a workflow run',
      });
    return createHmac('sha256', secret)
      .update(`ekm-owner\n${run.workflowId}\n${run.runId}\n${step}`)
      .digest('hex')
      .slice(0, 40);
  };
  return {
    marker: markerOf,
    isOurs(step, marker) {
      if (!marker || !/^[0-9a-f]{40}$/.test(marker)) return false;
      return timingSafeEqual(Buffer.from(markerOf(step)), Buffer.from(marker));
    },
  };
}

/**
 * The worker's ownership secret, read once at start: from the environment variable the configuration names
 * (the same value in the read and the mutating worker), else a sandbox worker's own file in its evidence
 * directory; a production worker without one refuses to start.
 */
export function loadOwnership(
  options: { secretEnv: string; sandbox: boolean; evidenceDirectory: string },
  env: NodeJS.ProcessEnv = process.env,
): Ownership {
  const fromEnv = env[options.secretEnv];
  if (fromEnv !== undefined && fromEnv !== '') {
    if (fromEnv.length < minimumSecretLength)
      throw new OwnershipSecretError(
        `ownership.secretEnv: ${options.secretEnv} holds ${fromEnv.length} characters; it needs at least ${minimumSecretLength} (make one with \`openssl rand -base64 32\`)`,
      );
    return ownershipFromSecret(fromEnv);
  }
  if (!options.sandbox)
    throw new OwnershipSecretError(
      `ownership.secretEnv: ${options.secretEnv} is not set: a production worker marks the keys and roles it creates with a secret only the workers hold (set it to the output of \`openssl rand -base64 32\`, the same value in every worker)`,
    );
  const file = path.join(options.evidenceDirectory, sandboxOwnershipSecretName);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(options.evidenceDirectory, { recursive: true });
    try {
      fs.writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
    } catch (err) {
      // Another worker of the same sandbox made it first: use theirs.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  return ownershipFromSecret(fs.readFileSync(file, 'utf8').trim());
}
