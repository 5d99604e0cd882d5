// `ekm rotate --key REF --role ARN | --key-name NAME --principal P (--now | --period 365d) …`: starts the
// rotation runbook for an AWS KMS key or a Google Cloud KMS key. Like a revocation it takes the key's lock
// (one run per key), and it may wait for approval when the worker's configuration has a rotate gate.
// `--repoint-alias` exists only to be refused with the runbook's reason.
import type { Command } from 'commander';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { aliasRepointRefusal } from '../../providers/aws/request';
import { keyWorkflowId } from '../../common/workflowIds';
import { rotateKeyInput, type RotateKeyInput } from '../../providers/rotateRequests';
import { specOf } from '../../providers';
import { cliOf, everyCloudCli } from '../../providers/cloudClis';
import { runHeadline, keyOf } from '../../providers/runSubject';
import { EkmKeyId, EkmProvider, EkmStage } from '../../common/searchAttributes';
import type { rotateKey } from '../../workflows';
import { addSigningOptions, signedStart, type SigningFlags } from '../actSigner';
import { withClient } from '../connect';
import { RefusedError, UsageError } from '../errors';
import { addCloudOptions, cloudOfKeyFlags, keyFlagOf, type KeyFlags } from '../keyFlags';
import { print } from '../output';
import { parseProbe } from '../revokeFlags';
import { checkFlags, defaultRequester, runLink } from '../runs';

interface RotateFlags extends KeyFlags {
  now?: boolean;
  period?: string;
  repointAlias?: string;
  externalKey?: string;
  probe?: string[];
  requester?: string;
  reason?: string;
  ticket?: string;
  taskQueue: string;
  json?: boolean;
}

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

const flagOf: Record<string, string> = {
  ...keyFlagOf,
  rotation: '--now / --period',
  probes: '--probe',
  requester: '--requester',
  reason: '--reason',
  changeTicket: '--ticket',
};

/** `365d`, `365` → 365; anything else is a usage error naming the cloud's range. */
function parsePeriod(value: string, range: { min: number; max: number }): number {
  const match = /^(\d+)d?$/.exec(value.trim());
  if (!match)
    throw new UsageError(
      `--period ${value}: must be a number of days such as 365d (${range.min}–${range.max})`,
    );
  return Number(match[1]);
}

export function registerRotate(program: Command, defaultTaskQueue: string): void {
  const command = addCloudOptions(
    program
      .command('rotate')
      .description(
        'rotate a key (now, or automatically with a period) and prove OpenAI still validates and reads old data',
      ),
    (cloud) => [cloud.key, cloud.principal],
  )
    .option(
      '--now',
      `rotate now (${everyCloudCli.map(({ rotation }) => `${rotation.label}: ${rotation.now}`).join('; ')})`,
    )
    .option(
      '--period <days>',
      `turn on or change automatic rotation: every N days, ${everyCloudCli.map(({ rotation }) => `${rotation.label} ${rotation.periodDays.min}–${rotation.periodDays.max}`).join(', ')} (e.g. 365d)`,
    )
    .option('--repoint-alias <alias>', 'refused: switching an alias to another key is a revocation')
    .option('--external-key <id>', 'the OpenAI external key to validate before and after (extkey_…)')
    .option(
      '--probe <spec>',
      'an old object that must stay readable: PROJECT:file|response|model:ID; repeatable',
      collect,
    )
    .option('--requester <who>', 'who asks for the rotation (default: $EKM_USER, else your OS user name)')
    .option('--reason <text>', 'why the key is rotated (goes into the record)')
    .option('--ticket <ref>', 'the change ticket, e.g. CHG-1234')
    .option('--task-queue <name>', 'task queue the worker polls', defaultTaskQueue)
    .option('--json', 'print JSON');
  addSigningOptions(command).action(async (flags: RotateFlags & SigningFlags) => {
    if (flags.repointAlias !== undefined)
      throw new UsageError(`--repoint-alias: is refused: ${aliasRepointRefusal}`);
    if (Boolean(flags.now) === (flags.period !== undefined))
      throw new UsageError(
        '--now / --period: give exactly one: --now rotates at once, --period 365d turns on automatic rotation',
      );
    const cloud = cloudOfKeyFlags(flags, true);
    const keyRef = cloud.keyRefOf(flags);
    const rotation: RotateKeyInput['rotation'] = flags.now
      ? { kind: 'now' }
      : { kind: 'automatic', periodDays: parsePeriod(flags.period!, cloud.rotation.periodDays) };
    const request = (key: string) =>
      ({
        ...cloud.subjectFields(key, flags),
        rotation,
        externalKeyId: flags.externalKey,
        probes: (flags.probe ?? []).map(parseProbe),
        requester: (flags.requester ?? defaultRequester()) as string,
        reason: flags.reason as string,
        changeTicket: flags.ticket as string,
      }) as RotateKeyInput;
    // Every flag is checked before Temporal is contacted; an alias stands in as a key ARN meanwhile.
    checkFlags(rotateKeyInput, request(cloud.standInKey(keyRef, flags)), flagOf);
    const started = await withClient(async ({ client, namespace }) => {
      const key = await cloud.resolveKey(client, flags.taskQueue, keyRef, '`ekm rotate` to resolve --key');
      const input = request(key);
      checkFlags(rotateKeyInput, input, flagOf);
      return startRotation(client, namespace, flags, input);
    });
    printStarted(flags, started);
  });
}

/** Starts the run under the key's lock: a second run for the same key is refused (exit 4). */
async function startRotation(
  client: Client,
  namespace: string,
  flags: RotateFlags & SigningFlags,
  input: RotateKeyInput,
): Promise<{ workflowId: string; runId: string; keyArn?: string; keyName?: string; link: string }> {
  const parsed = rotateKeyInput.parse(input);
  const key = keyOf(parsed);
  const workflowId = keyWorkflowId(key);
  try {
    const handle = await client.workflow.start<typeof rotateKey>('rotateKey', {
      taskQueue: flags.taskQueue,
      workflowId,
      args: [signedStart(flags, workflowId, input)],
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      staticSummary: runHeadline(parsed),
      staticDetails: `Requested by ${input.requester} — ${input.changeTicket}: ${input.reason}. Started by \`ekm rotate\`.`,
      typedSearchAttributes: [
        { key: EkmProvider, value: input.provider },
        { key: EkmKeyId, value: key },
        { key: EkmStage, value: 'started' },
      ],
    });
    const runId = handle.firstExecutionRunId;
    return {
      workflowId,
      runId,
      // `keyArn` is what scripts read today; a Google Cloud run names its key `keyName`.
      [specOf(input).keyField]: key,
      link: runLink(namespace, workflowId, runId),
    };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    throw new RefusedError(
      `${cliOf(input).keyFlag}: ${key} already has a run in progress (${workflowId}); one run per key at a time — follow it with \`ekm status ${workflowId}\``,
    );
  }
}

function printStarted(
  flags: RotateFlags,
  started: { workflowId: string; runId: string; link: string },
): void {
  print(flags, started, () =>
    [
      `started    ${started.workflowId}`,
      `run        ${started.runId}`,
      `Web UI     ${started.link}`,
      `next       ekm status ${started.workflowId} --watch`,
    ].join('\n'),
  );
}
