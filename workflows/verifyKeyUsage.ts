// The runbook's "How to verify that your KMS key is being used": the cloud's audit trail for the calls
// OpenAI's role made on the key in a window, and — when the external key is named — OpenAI's validate,
// which says whether OpenAI can use the key now. Read-only: it takes no lock and may run beside anything.
import {
  ActivityFailure,
  setCurrentDetails,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { validationView } from '../common/openaiViews';
import { stoppedAtCapNote } from '../common/usage';
import { EkmKeyId, EkmProvider, EkmStage } from '../common/searchAttributes';
import type { RunStatus } from '../providers/runStatus';
import { keyOf, principalOf, subjectPrincipal, type RunSubject } from '../providers/runSubject';
import { specOf } from '../providers';
import { operationsOf } from '../providers/operations';
import {
  verifyKeyUsageInput,
  type VerifyKeyUsageRequest,
  type VerifyKeyUsageInput,
  type VerifyKeyUsageResult,
} from '../providers/usageRequests';
import { call } from './revoke/call';
import { trailReadOptions } from './revoke/usage';
import { scheduledStart } from './scheduledStart';
import { parseInput } from './parseInput';

function usageLine(u: VerifyKeyUsageResult['usage']): string {
  const last = u.lastSuccessfulUse ? `, last successful use ${u.lastSuccessfulUse}` : '';
  return `${u.successful} successful and ${u.refused} refused calls by OpenAI${last}${stoppedAtCapNote(u)}`;
}

/** The key and who OpenAI is at it, as every run record names them. */
function subjectOf(input: VerifyKeyUsageRequest): RunSubject {
  const common = {
    requester: input.requester ?? 'unknown',
    reason: 'is the key being used?',
    changeTicket: '',
    projectIds: [],
    check: 'usage check',
  };
  const spec = specOf(input);
  // The request's own key and principal fields, named as its cloud names them (keyArn/roleArn, keyName/principal).
  return {
    provider: input.provider,
    [spec.keyField]: keyOf(input),
    [spec.principalField]: principalOf(input),
    ...common,
  } as unknown as RunSubject;
}

export async function verifyKeyUsage(rawInput: VerifyKeyUsageInput): Promise<VerifyKeyUsageResult> {
  const input = parseInput(verifyKeyUsageInput, rawInput);
  // "Until now" is fixed once, from the workflow's clock, so a retried read asks for the same window; a
  // scheduled run's "now" is when its schedule meant it to start, so windows meet whatever the jitter.
  const startedAt = scheduledStart() ?? workflowInfo().runStartTime.getTime();
  const until = input.until ?? new Date(startedAt).toISOString();
  const since = input.since ?? new Date(startedAt - input.lookbackSeconds! * 1000).toISOString();
  const window = `${since} → ${until}`;
  const subject = subjectOf(input);
  const key = keyOf(subject);
  const trail = specOf(input).trailLog;
  upsertSearchAttributes([
    { key: EkmProvider, value: input.provider },
    { key: EkmKeyId, value: key },
    { key: EkmStage, value: 'reading-usage' },
  ]);
  const validateStep = input.externalKeyId ? [`- [ ] ask OpenAI to validate ${input.externalKeyId}`] : [];
  setCurrentDetails(
    [`- [ ] read ${trail} for ${subjectPrincipal(subject)} on ${key}, ${window}`, ...validateStep].join('\n'),
  );

  // 1. The audit trail: what the role did with the key in the window.
  const readOptions = {
    ...trailReadOptions,
    summary: `read ${trail}: ${subjectPrincipal(subject)} on ${key}`,
  };
  const usage = await operationsOf(input).readUsage(input, since, until, readOptions);
  const done = [`- [x] ${trail}, ${window}: ${usageLine(usage)}`];
  if (!input.externalKeyId) {
    upsertSearchAttributes([{ key: EkmStage, value: 'done' }]);
    setCurrentDetails(done.join('\n'));
    await record(subject, { usage }, done);
    return { usage };
  }

  // 2. Validate: the trail shows the past, validate whether OpenAI can use the key now.
  upsertSearchAttributes([{ key: EkmStage, value: 'validating' }]);
  setCurrentDetails([...done, ...validateStep].join('\n'));
  let result: VerifyKeyUsageResult;
  try {
    const v = await call(
      'answer',
      'validateExternalKey',
      `validate ${input.externalKeyId}`,
      input.externalKeyId,
    );
    const validation = validationView(v);
    done.push(`- [x] validate ${input.externalKeyId}: **${v.outcome}** (${v.why})`);
    result = { usage, validation };
  } catch (err) {
    // The usage already read is worth reporting: say validate could not answer rather than fail the run.
    if (!(err instanceof ActivityFailure)) throw err;
    const why = err.cause?.message ?? err.message;
    done.push(`- [ ] validate ${input.externalKeyId}: could not ask (${why})`);
    result = { usage, validationError: why };
  }
  upsertSearchAttributes([{ key: EkmStage, value: 'done' }]);
  setCurrentDetails(done.join('\n'));
  await record(subject, result, done);
  return result;
}

/** The check's evidence record, in the same store and chain as every run's. */
async function record(subject: RunSubject, result: VerifyKeyUsageResult, lines: string[]): Promise<void> {
  const { workflowId, runId } = workflowInfo();
  const at = new Date().toISOString();
  const status: RunStatus<RunSubject> = {
    workflowId,
    runId,
    request: subject,
    stage: 'done',
    steps: lines.map((line, i) => ({
      step: i === 0 ? 'trail' : 'validate',
      title: i === 0 ? 'Read the audit trail' : 'Ask OpenAI to validate',
      state: line.startsWith('- [x]') ? 'done' : 'failed',
      summary: line.replace(/^- \[.\] /, ''),
      endedAt: at,
    })),
    gates: [],
    tasks: [],
    refusedVotes: [],
    refusedVoteCount: 0,
    usage: {
      window: {
        report: result.usage,
        validation: result.validation,
        validationError: result.validationError,
      },
    },
    endState: 'checked',
    endReason: `${result.usage.successful} successful and ${result.usage.refused} refused call(s) in the window${stoppedAtCapNote(result.usage)}`,
  };
  await call('change', 'recordEvidence', 'write the evidence record', status);
}
