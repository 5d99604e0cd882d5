// The sweep's activity: lists, through visibility, the ekm runs of this worker's task queue that were
// terminated or timed out, keeps those with no closing evidence and no record of their end yet, reads from
// each one's history who ended it, why and where it stood, and writes a signed record of that through the
// worker's evidence store. Once per run: a run already recorded is skipped, and the record's bytes depend
// on the history alone, so a retried write is accepted by the write-once store.
import { Context } from '@temporalio/activity';
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { canonicalJson } from '../../common/canonicalJson';
import { EkmAwaiting, EkmStage } from '../../common/searchAttributes';
import {
  defaultSweepLookbackSeconds,
  endedRecordFile,
  endedRecordFormat,
  sweptWorkflowTypes,
  type EndedRecord,
  type EndedRecordFile,
  type SweepInput,
  type SweepResult,
} from '../../common/sweep';
import type { EvidenceStore } from '../evidence/store';
import { needTemporal } from './lockHolder';

const terminatedNote =
  'terminated: the run stopped where it stood, with no clean-up and no restore; what it had changed stays changed (see lastStep) — `ekm status` and the cloud show the state, `ekm restore` undoes a revocation';
const timedOutNote =
  'timed out: the run stopped where it stood, with no clean-up and no restore; what it had changed stays changed (see lastStep)';

export function sweepActivities(deps: { temporal?: Client; evidence: EvidenceStore; taskQueue: string }) {
  return {
    async recordEndedRuns(input: SweepInput = {}): Promise<SweepResult> {
      const temporal = needTemporal(deps.temporal, 'recordEndedRuns');
      const since = new Date(Date.now() - (input.lookbackSeconds ?? defaultSweepLookbackSeconds) * 1000);
      const types = sweptWorkflowTypes.map((t) => `WorkflowType = '${t}'`).join(' OR ');
      const query = `TaskQueue = '${deps.taskQueue}' AND (${types}) AND (ExecutionStatus = 'Terminated' OR ExecutionStatus = 'TimedOut') AND CloseTime > '${since.toISOString()}'`;
      const result: SweepResult = { checked: 0, recorded: [] };
      for await (const run of temporal.workflow.list({ query })) {
        result.checked++;
        Context.current().heartbeat(result.checked);
        const { workflowId, runId } = run;
        // Closing evidence (a run terminated after its record was written) or a record of its end: done.
        if (await deps.evidence.read(workflowId, runId, 'evidence.json')) continue;
        if (await deps.evidence.read(workflowId, runId, endedRecordFile)) continue;
        const record = await endedRecord(temporal, run);
        await deps.evidence.write(workflowId, runId, endedRecordFile, signed(record, deps.evidence));
        Context.current().log.warn(
          `ekm worker: recorded that ${record.workflowType} ${workflowId} (${runId}) ${record.status === 'terminated' ? `was terminated by ${record.identity ?? 'an unknown identity'}: ${record.reason ?? 'no reason given'}` : 'timed out'}, at ${record.lastStep ?? 'an unknown step'}`,
        );
        result.recorded.push({ workflowId, runId, status: record.status });
      }
      return result;
    },
  };
}

async function endedRecord(temporal: Client, run: WorkflowExecutionInfo): Promise<EndedRecord> {
  const history = await temporal.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
  const events = history.events ?? [];
  const last = events[events.length - 1];
  const terminated = last?.workflowExecutionTerminatedEventAttributes;
  const lastActivity = [...events].reverse().find((e) => e.activityTaskScheduledEventAttributes)
    ?.activityTaskScheduledEventAttributes?.activityType?.name;
  const awaiting = run.typedSearchAttributes.get(EkmAwaiting);
  return {
    workflowId: run.workflowId,
    runId: run.runId,
    workflowType: run.type,
    taskQueue: run.taskQueue,
    status: terminated ? 'terminated' : 'timed-out',
    reason: terminated ? terminated.reason || undefined : 'the run’s execution or run timeout passed',
    identity: terminated?.identity || undefined,
    startedAt: run.startTime.toISOString(),
    closedAt: run.closeTime?.toISOString(),
    lastStep: run.typedSearchAttributes.get(EkmStage),
    lastActivity: lastActivity ?? undefined,
    openGate: awaiting && awaiting.length ? [...awaiting] : undefined,
    note: terminated ? terminatedNote : timedOutNote,
  };
}

/** Signed as the chains are, by the worker's evidence key (deterministic: the same record, the same bytes). */
function signed(record: EndedRecord, store: EvidenceStore): string {
  const signer = store.signer;
  const file: EndedRecordFile = {
    format: endedRecordFormat,
    record,
    signature: signer
      ? {
          algorithm: signer.algorithm,
          fingerprint: signer.fingerprint,
          publicKey: signer.publicKey,
          value: signer.sign(canonicalJson(record)),
        }
      : null,
  };
  return `${JSON.stringify(file, null, 2)}\n`;
}
