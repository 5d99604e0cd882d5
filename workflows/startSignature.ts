// A run checks who started it before it changes anything: the requester's signature over the request as
// sent (common/startStatement.ts), verified against the keys in the worker's settings, presented (the run's
// start) before it expired, and valid for at most a day from then. Only a sandbox worker starts runs
// unsigned. Runs whose settings carry no signers (from before signatures) are not checked.
import { workflowInfo } from '@temporalio/workflow';
import { patchedBeforeCheaper } from './revoke/cheaperRuns';
import type { RunSettingsView } from '../common/runStatus';
import { maxSignatureValidityMs, refuseSignature, type Signature } from '../common/signedStatement';
import { startStatement } from '../common/startStatement';
import { refuseRevokedKey } from '../common/revokedKeys';

export function whyStartRefused(
  rawInput: { requester: string; signature?: Signature },
  settings: RunSettingsView,
): string | undefined {
  const { signers, unsignedAccepted, revokedKeys } = settings.approvals;
  if (!signers) return undefined;
  const { workflowId, runStartTime } = workflowInfo();
  // A start signed valid for longer than a day is refused; runs that began before this check keep the
  // decision they made without it.
  const bounded = patchedBeforeCheaper('start-signature-validity-bound');
  const statement = startStatement(workflowId, rawInput);
  return (
    refuseSignature(
      statement,
      rawInput.signature,
      { keys: signers, unsignedAccepted: unsignedAccepted === true },
      runStartTime.getTime(),
      bounded ? maxSignatureValidityMs : Infinity,
    ) ?? refuseRevokedKey(statement, rawInput.signature, revokedKeys, runStartTime.getTime())
  );
}
