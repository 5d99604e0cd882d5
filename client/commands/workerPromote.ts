// `ekm worker promote <buildId>`: makes a build the current version of the workers' Worker Deployment, so
// every new run starts on it; runs pinned to the build before it stay there until they end
// (docs/versioning.md). Waits for the build's workers to be seen first: a rollout starts them, then promotes.
import type { Command } from 'commander';
import { withClient } from '../connect';
import { deploymentNameFrom, grpcCodeOf } from '../deploymentFlag';
import { CliError, UsageError } from '../errors';
import { print } from '../output';

interface PromoteFlags {
  deployment?: string;
  wait: string;
  json?: boolean;
}

const notFound = 5;
const failedPrecondition = 9;

export function registerWorkerPromote(worker: Command): void {
  worker
    .command('promote')
    .argument('<buildId>', 'the build to make current (the new workers print it when they start)')
    .description(
      "make a build the current version of the workers' deployment: new runs start on it, pinned runs stay on their build",
    )
    .option('--deployment <name>', "the workers' versioning.deploymentName (default: $EKM_DEPLOYMENT_NAME)")
    .option('--wait <seconds>', "how long to wait for the build's workers to be seen polling", '60')
    .option('--json', 'print the result as JSON')
    .action(async (buildId: string, flags: PromoteFlags) => {
      const deploymentName = deploymentNameFrom(flags.deployment);
      const waitSeconds = Number(flags.wait);
      if (!Number.isInteger(waitSeconds) || waitSeconds < 0 || waitSeconds > 3600)
        throw new UsageError(`--wait ${flags.wait}: must be a whole number of seconds from 0 to 3600`);
      const result = await withClient(async ({ client, namespace }) => {
        const until = Date.now() + waitSeconds * 1000;
        for (;;) {
          try {
            return await client.workflowService.setWorkerDeploymentCurrentVersion({
              namespace,
              deploymentName,
              buildId,
              identity: 'ekm worker promote',
            });
          } catch (err) {
            const code = grpcCodeOf(err);
            // The version exists once one of its workers has polled: a rollout that just started them waits.
            if (code === notFound && Date.now() < until) {
              await new Promise((r) => setTimeout(r, 1000));
              continue;
            }
            if (code === notFound)
              throw new CliError(
                `build ${buildId} of deployment ${deploymentName} has no worker seen polling after ${waitSeconds}s (${(err as Error).message}): start the build's workers (read and mutating, both with versioning.deploymentName ${deploymentName} and EKM_BUILD_ID=${buildId}), then promote again`,
              );
            if (code === failedPrecondition)
              throw new CliError(
                `build ${buildId} was not promoted (${(err as Error).message}): every task queue the current build polls must be polled by the new build too — start its mutating worker as well; nothing changed`,
              );
            throw err;
          }
        }
      });
      const previous = result.previousDeploymentVersion?.buildId || undefined;
      print(flags, { deploymentName, currentBuildId: buildId, previousBuildId: previous ?? null }, () =>
        [
          `deployment ${deploymentName}: build ${buildId} is current${previous ? ` (was ${previous})` : ''}; new runs start on it.`,
          previous && previous !== buildId
            ? `Runs pinned to ${previous} finish there: keep its workers until \`ekm worker versions\` shows it drained.`
            : '',
        ]
          .filter(Boolean)
          .join('\n'),
      );
    });
}
