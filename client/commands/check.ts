// `ekm check`: is this CLI connected to a Temporal that can run ekm? Server reachable, the ekm search
// attributes registered in the namespace, and a worker polling the task queue. `--fix` registers the
// missing search attributes on a self-hosted server; on Temporal Cloud it prints the `tcld` command.
import type { Command } from 'commander';
import { sweepScheduleId } from '../../common/sweep';
import { withClient } from '../connect';
import { sweepScheduled } from '../sweepSchedule';
import { workflowPollers } from '../workflowPollers';
import { CliError } from '../errors';
import { print } from '../output';
import { addEkmSearchAttributes, ekmSearchAttributeState, tcldAddCommand } from '../searchAttributeRegistry';

/** What `--fix` did: registered attributes through the operator API, or (Temporal Cloud) only printed tcld. */
type CheckFix =
  | { action: 'none' }
  | { action: 'registered'; added: string[] }
  | { action: 'tcld'; reason: string; command: string };

interface CheckResult {
  address: string;
  namespace: string;
  serverVersion: string;
  /** Set when the target is Temporal Cloud: why the CLI thinks so. */
  temporalCloud?: string;
  searchAttributes: { registered: string[]; missing: string[] };
  /** Only with `--fix`. */
  fix?: CheckFix;
  taskQueue: string;
  workerPollers: number;
  /** The sweep of terminated and timed-out runs is scheduled for this queue (`ekm schedule sweep`). */
  sweepScheduled: boolean;
  ok: boolean;
}

function fixLine(fix: CheckFix | undefined): string[] {
  if (!fix) return [];
  if (fix.action === 'none') return ['fix              nothing to register'];
  if (fix.action === 'registered') return [`fix              registered ${fix.added.join(', ')}`];
  return [`fix              Temporal Cloud (${fix.reason}): run\n                 ${fix.command}`];
}

export function registerCheck(program: Command, defaultTaskQueue: string): void {
  program
    .command('check')
    .description('check the connection to Temporal, the ekm search attributes and the worker')
    .option('--task-queue <name>', 'task queue the worker polls', defaultTaskQueue)
    .option(
      '--fix',
      'register missing search attributes (self-hosted); on Temporal Cloud print the tcld command instead',
    )
    .option('--json', 'print JSON')
    .action(async (opts: { taskQueue: string; fix?: boolean; json?: boolean }) => {
      const result = await withClient(
        async ({ client, address, namespace, temporalCloud }): Promise<CheckResult> => {
          const service = client.connection.workflowService;
          const { serverVersion } = await service.getClusterInfo({});
          let searchAttributes = await ekmSearchAttributeState(client.connection, namespace);
          let fix: CheckFix | undefined;
          if (opts.fix) {
            const { missing } = searchAttributes;
            if (missing.length === 0) fix = { action: 'none' };
            else if (temporalCloud)
              // Cloud namespaces change through the control plane only: never call the operator API there.
              fix = { action: 'tcld', reason: temporalCloud, command: tcldAddCommand(namespace, missing) };
            else {
              await addEkmSearchAttributes(client.connection, namespace, missing);
              searchAttributes = await ekmSearchAttributeState(client.connection, namespace);
              fix = {
                action: 'registered',
                added: missing.filter((n) => searchAttributes.registered.includes(n)),
              };
            }
          }
          const pollers = await workflowPollers(client.connection, namespace, opts.taskQueue);
          const sweep = await sweepScheduled(client, opts.taskQueue);
          return {
            address,
            namespace,
            serverVersion: serverVersion ?? 'unknown',
            ...(temporalCloud ? { temporalCloud } : {}),
            searchAttributes,
            ...(fix ? { fix } : {}),
            taskQueue: opts.taskQueue,
            workerPollers: pollers,
            sweepScheduled: sweep,
            // A missing sweep is reported, not fatal: runs still run, only a terminated one goes unrecorded.
            ok: searchAttributes.missing.length === 0 && pollers > 0,
          };
        },
      );
      print(opts, result, () =>
        [
          `Temporal         ${result.address}, namespace ${result.namespace}, server ${result.serverVersion}${result.temporalCloud ? ' (Temporal Cloud)' : ''}`,
          `search attrs     ${result.searchAttributes.missing.length ? `MISSING ${result.searchAttributes.missing.join(', ')}` : `all ${result.searchAttributes.registered.length} registered`}`,
          ...fixLine(result.fix),
          `worker           ${result.workerPollers ? `${result.workerPollers} poller(s) on ${result.taskQueue}` : `none polling ${result.taskQueue}`}`,
          `sweep            ${result.sweepScheduled ? `scheduled (${sweepScheduleId(result.taskQueue)})` : `MISSING: terminated or timed-out runs go unrecorded — \`ekm schedule sweep --task-queue ${result.taskQueue}\``}`,
        ].join('\n'),
      );
      if (!result.ok) {
        const { missing } = result.searchAttributes;
        const fixes = [
          missing.length
            ? result.temporalCloud
              ? `register the search attributes on Temporal Cloud: ${tcldAddCommand(result.namespace, missing)}`
              : 'register the search attributes: `ekm check --fix`'
            : '',
          result.workerPollers ? '' : `start a worker (\`ekm worker\`) on task queue ${result.taskQueue}`,
        ].filter(Boolean);
        throw new CliError(`not ready: ${fixes.join('; ')}`);
      }
    });
}
