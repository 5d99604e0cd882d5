// One revocation run as its steps (steps/) see it: what was asked, the key's cloud, the run's record and
// gates, where the run stands for cancellation, and — from preflight on — the worker's settings for it.
// What a step finds (baseline, plan, snapshot) it returns; the runbook (revokeKey.ts) hands it on.
import type { RunSettingsView } from '../../common/runStatus';
import type { CloudOperations } from '../../providers/operations';
import type { RevokeKeyInput, RevokeKeyRequest } from '../../providers/requests';
import type { Gatekeeper } from '../approvals/gatekeeper';
import type { RunRecord } from './runRecord';

/** Where the run stands, for cancellation. */
export type Zone = 'before-change' | 'revoking' | 'revoked' | 'irreversible';

export interface RunState {
  zone: Zone;
  /** Validate and probes (or a person) proved the revocation. */
  verified: boolean;
  /** Releases what the run locked beside the key (AWS: the role). */
  release?: () => Promise<void>;
  /** The turn on the role ends once the revocation is validated, not at the run's end. */
  releaseAfterValidate?: boolean;
}

export interface RevocationStart {
  rawInput: RevokeKeyInput;
  request: RevokeKeyRequest;
  cloud: CloudOperations;
  record: RunRecord<RevokeKeyRequest>;
  gates: Gatekeeper;
  state: RunState;
}

export interface Revocation extends RevocationStart {
  settings: RunSettingsView;
}
