// The messages a revocation run answers: votes (Update, and Signal for tools that only signal), human
// attestations (Update), and the status query. Defined once for the workflow and the CLI.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Attestation, GateView, TaskView, Vote } from '../../common/approvals';
import type { Resolution, StopView } from '../../common/resolution';
import type { RunStatus } from '../../providers/runStatus';
import type { RunSubject } from '../../providers/runSubject';

export const voteUpdate = defineUpdate<GateView, [Vote]>('vote');
export const voteSignal = defineSignal<[Vote]>('vote-signal');
export const attestUpdate = defineUpdate<TaskView, [Attestation]>('attest');
/** A person's decision where the run stopped for one (`ekm resolve`). */
export const resolveUpdate = defineUpdate<StopView, [Resolution]>('resolve');
/**
 * Every run on a key answers the same status query — its whole record, whatever it does to the key — so
 * `ekm status` asks every run the same way. A caller that knows the run's kind narrows `request` itself.
 */
export const statusQuery = defineQuery<RunStatus<RunSubject>>('status');
