// `ekm rotate --key REF --role ARN (--now | --period 365d) …`: starts the rotation runbook for a key. Like a
// revocation it takes the key's lock (one run per key), and it may wait for approval when the worker's
// configuration has a rotate gate. `--repoint-alias` exists only to be refused with the runbook's reason.
import type { Command } from 'commander';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { inspectKeyInput, describeIssues } from '../../common/keys';
import { aliasRepointRefusal, keyWorkflowId } from '../../common/revoke';
import { rotateKeyInput, rotationPeriodDays, type RotateKeyInput } from '../../common/rotate';
import { runHeadline } from '../../common/runSubject';
import { EkmKeyId, EkmProvider, EkmStage } from '../../common/searchAttributes';
import type { rotateKey } from '../../workflows';
import { addSigningOptions, signedStart, type SigningFlags } from '../actSigner';
import { withClient } from '../connect';
import { RefusedError, UsageError } from '../errors';
import { keyArnOrStandIn, resolveKeyArn } from '../inspectKeyRun';
import { print } from '../output';
import { parseProbe } from '../revokeFlags';
import { checkFlags, defaultRequester, runLink } from '../runs';

interface RotateFlags {
  key?: string;
  role?: string;
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
  keyArn: '--key',
  roleArn: '--role',
  rotation: '--now / --period',
  externalKeyId: '--external-key',
  probes: '--probe',
  requester: '--requester',
  reason: '--reason',
  changeTicket: '--ticket',
};

/** `365d`, `365` → 365; anything else is a usage error naming the range. */
function parsePeriod(value: string): number {
  const match = /^(\d+)d?$/.exec(value.trim());
  if (!match)
    throw new UsageError(
      `--period ${value}: must be a number of days such as 365d (${rotationPeriodDays.min}–${rotationPeriodDays.max})`,
    );
  return Number(match[1]);
}

export function registerRotate(program: Command, defaultTaskQueue: string): void {
  const command = program
    .command('rotate')
    .description(
      'rotate a key (now, or automatically with a period) and prove OpenAI still validates and reads old data',
    )
    .option('--key <ref>', 'the AWS KMS key: key ARN, alias (alias/NAME), alias ARN or key id')
    .option('--role <arn>', 'the customer role OpenAI assumes (arn:aws:iam::ACCOUNT:role/NAME)')
    .option('--now', 'rotate now (KMS RotateKeyOnDemand)')
    .option(
      '--period <days>',
      `turn on or change automatic rotation: every N days, ${rotationPeriodDays.min}–${rotationPeriodDays.max} (e.g. 365d)`,
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
    if (!flags.key)
      throw new UsageError('--key: is required: give the key ARN, an alias (alias/NAME) or a key id');
    const ref = inspectKeyInput.safeParse({ provider: 'aws', key: flags.key });
    if (!ref.success) throw new UsageError(`--${describeIssues(ref.error)}`);
    const keyRef = ref.data.key;
    const rotation: RotateKeyInput['rotation'] = flags.now
      ? { kind: 'now' }
      : { kind: 'automatic', periodDays: parsePeriod(flags.period!) };
    const request = (keyArn: string): RotateKeyInput => ({
      provider: 'aws',
      keyArn,
      roleArn: flags.role as string,
      rotation,
      externalKeyId: flags.externalKey,
      probes: (flags.probe ?? []).map(parseProbe),
      requester: (flags.requester ?? defaultRequester()) as string,
      reason: flags.reason as string,
      changeTicket: flags.ticket as string,
    });
    // Every flag is checked before Temporal is contacted; an alias stands in as a key ARN meanwhile.
    checkFlags(rotateKeyInput, request(keyArnOrStandIn(keyRef, flags.role)), flagOf);
    const started = await withClient(async ({ client, namespace }) => {
      const keyArn = await resolveKeyArn(client, flags.taskQueue, keyRef, '`ekm rotate` to resolve --key');
      const input = request(keyArn);
      checkFlags(rotateKeyInput, input, flagOf);
      const workflowId = keyWorkflowId(keyArn);
      try {
        const handle = await client.workflow.start<typeof rotateKey>('rotateKey', {
          taskQueue: flags.taskQueue,
          workflowId,
          args: [signedStart(flags, workflowId, input)],
          workflowIdConflictPolicy: 'FAIL',
          workflowIdReusePolicy: 'ALLOW_DUPLICATE',
          staticSummary: runHeadline({
            ...input,
            projectIds: [],
            rotation: rotateKeyInput.parse(input).rotation,
          }),
          staticDetails: `Requested by ${input.requester} — ${input.changeTicket}: ${input.reason}. Started by \`ekm rotate\`.`,
          typedSearchAttributes: [
            { key: EkmProvider, value: 'aws' },
            { key: EkmKeyId, value: keyArn },
            { key: EkmStage, value: 'started' },
          ],
        });
        const runId = handle.firstExecutionRunId;
        return { workflowId, runId, keyArn, link: runLink(namespace, workflowId, runId) };
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        throw new RefusedError(
          `--key: ${keyArn} already has a run in progress (${workflowId}); one run per key at a time — follow it with \`ekm status ${workflowId}\``,
        );
      }
    });
    print(flags, started, () =>
      [
        `started    ${started.workflowId}`,
        `run        ${started.runId}`,
        `Web UI     ${started.link}`,
        `next       ekm status ${started.workflowId} --watch`,
      ].join('\n'),
    );
  });
}
