// `ekm check`: is this CLI connected to a Temporal that can run ekm? Server reachable, the ekm search
// attributes registered in the namespace, and a worker polling the task queue.
import type { Command } from 'commander';
import { ekmSearchAttributes } from '../../common/searchAttributes';
import { sweepScheduleId } from '../../common/sweep';
import { withClient } from '../connect';
import { sweepScheduled } from '../sweepSchedule';
import { workflowPollers } from '../workflowPollers';
import { CliError } from '../errors';
import { print } from '../output';

interface CheckResult {
  address: string;
  namespace: string;
  serverVersion: string;
  searchAttributes: { registered: string[]; missing: string[] };
  taskQueue: string;
  workerPollers: number;
  /** The sweep of terminated and timed-out runs is scheduled for this queue (`ekm schedule sweep`). */
  sweepScheduled: boolean;
  ok: boolean;
}

export function registerCheck(program: Command, defaultTaskQueue: string): void {
  program
    .command('check')
    .description('check the connection to Temporal, the ekm search attributes and the worker')
    .option('--task-queue <name>', 'task queue the worker polls', defaultTaskQueue)
    .option('--json', 'print JSON')
    .action(async (opts: { taskQueue: string; json?: boolean }) => {
      const result = await withClient(async ({ client, address, namespace }): Promise<CheckResult> => {
        const service = client.connection.workflowService;
        const { serverVersion } = await service.getClusterInfo({});
        const { customAttributes } = await client.connection.operatorService.listSearchAttributes({
          namespace,
        });
        const have = new Set(Object.keys(customAttributes ?? {}));
        const names = ekmSearchAttributes.map((k) => k.name);
        const pollers = await workflowPollers(client.connection, namespace, opts.taskQueue);
        const missing = names.filter((n) => !have.has(n));
        const sweep = await sweepScheduled(client, opts.taskQueue);
        return {
          address,
          namespace,
          serverVersion: serverVersion ?? 'unknown',
          searchAttributes: { registered: names.filter((n) => have.has(n)), missing },
          taskQueue: opts.taskQueue,
          workerPollers: pollers,
          sweepScheduled: sweep,
          // A missing sweep is reported, not fatal: runs still run, only a terminated one goes unrecorded.
          ok: missing.length === 0 && pollers > 0,
        };
      });
      print(opts, result, () =>
        [
          `Temporal         ${result.address}, namespace ${result.namespace}, server ${result.serverVersion}`,
          `search attrs     ${result.searchAttributes.missing.length ? `MISSING ${result.searchAttributes.missing.join(', ')}` : `all ${result.searchAttributes.registered.length} registered`}`,
          `worker           ${result.workerPollers ? `${result.workerPollers} poller(s) on ${result.taskQueue}` : `none polling ${result.taskQueue}`}`,
          `sweep            ${result.sweepScheduled ? `scheduled (${sweepScheduleId(result.taskQueue)})` : `MISSING: terminated or timed-out runs go unrecorded — \`ekm schedule sweep --task-queue ${result.taskQueue}\``}`,
        ].join('\n'),
      );
      if (!result.ok) {
        const fixes = [
          result.searchAttributes.missing.length
            ? `register the search attributes (temporal operator search-attribute create --name NAME --type Keyword|KeywordList)`
            : '',
          result.workerPollers ? '' : `start a worker (\`ekm worker\`) on task queue ${result.taskQueue}`,
        ].filter(Boolean);
        throw new CliError(`not ready: ${fixes.join('; ')}`);
      }
    });
}
