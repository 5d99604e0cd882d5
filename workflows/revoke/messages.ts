// The messages a revocation run answers: votes (Update, and Signal for tools that only signal), human
// attestations (Update), and the status query. Defined once for the workflow and the CLI.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Attestation, GateView, TaskView, Vote } from '../../common/approvals';
import type { Resolution, StopView } from '../../common/resolution';
import type { RevokeKeyRequest } from '../../providers/requests';
import type { AnyRotateKeyRequest } from '../../providers/rotateRequests';
import type { RotateKeyRequest } from '../../providers/aws/rotateRequest';
import type { RunStatus } from '../../providers/runStatus';

export const voteUpdate = defineUpdate<GateView, [Vote]>('vote');
export const voteSignal = defineSignal<[Vote]>('vote-signal');
export const attestUpdate = defineUpdate<TaskView, [Attestation]>('attest');
/** A person's decision where the run stopped for one (`ekm resolve`). */
export const resolveUpdate = defineUpdate<StopView, [Resolution]>('resolve');
export const statusQuery = defineQuery<RunStatus>('status');
/** The same query on a rotation run (`ekm status` asks every run the same way). */
export const rotationStatusQuery = defineQuery<RunStatus<RotateKeyRequest>>('status');
/** The same query on a revocation of either cloud (`statusQuery` predates Google Cloud and types AWS's). */
export const revocationStatusQuery = defineQuery<RunStatus<RevokeKeyRequest>>('status');
/** The same query on a rotation of either cloud. */
export const anyRotationStatusQuery = defineQuery<RunStatus<AnyRotateKeyRequest>>('status');
