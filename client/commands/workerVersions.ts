// `ekm worker versions`: the builds of the workers' Worker Deployment — which is current, which are still
// draining (runs pinned to them are open) and which are drained and may be retired (docs/versioning.md).
import type { Command } from 'commander';
import { temporal } from '@temporalio/proto';
import { withClient } from '../connect';
import { deploymentNameFrom, grpcCodeOf } from '../deploymentFlag';
import { CliError, ExitCode } from '../errors';
import { print } from '../output';

const { WorkerDeploymentVersionStatus, VersionDrainageStatus } = temporal.api.enums.v1;

/** `WORKER_DEPLOYMENT_VERSION_STATUS_DRAINING` → `draining`. */
function wordOf(
  enumeration: Record<string, unknown>,
  value: number | null | undefined,
  prefix: string,
): string {
  const name = Object.keys(enumeration).find((k) => enumeration[k] === value) ?? '';
  return name.replace(prefix, '').toLowerCase() || 'unknown';
}

const isoOf = (t?: { seconds?: unknown } | null) =>
  t?.seconds ? new Date(Number(t.seconds) * 1000).toISOString() : null;

export function registerWorkerVersions(worker: Command): void {
  worker
    .command('versions')
    .description("the builds of the workers' deployment: current, draining, drained (safe to retire)")
    .option('--deployment <name>', "the workers' versioning.deploymentName (default: $EKM_DEPLOYMENT_NAME)")
    .option('--json', 'print the builds as JSON')
    .action(async (flags: { deployment?: string; json?: boolean }) => {
      const deploymentName = deploymentNameFrom(flags.deployment);
      const info = await withClient(async ({ client, namespace }) => {
        try {
          return (await client.workflowService.describeWorkerDeployment({ namespace, deploymentName }))
            .workerDeploymentInfo;
        } catch (err) {
          if (grpcCodeOf(err) === 5)
            throw new CliError(
              `no Worker Deployment ${deploymentName} in namespace ${namespace}: no worker with versioning.deploymentName ${deploymentName} has polled yet`,
              ExitCode.notFound,
            );
          throw err;
        }
      });
      const routing = info?.routingConfig;
      const builds = (info?.versionSummaries ?? []).map((v) => ({
        buildId: v.deploymentVersion?.buildId ?? '',
        status: wordOf(WorkerDeploymentVersionStatus, v.status, 'WORKER_DEPLOYMENT_VERSION_STATUS_'),
        drainage: wordOf(VersionDrainageStatus, v.drainageStatus, 'VERSION_DRAINAGE_STATUS_'),
        createdAt: isoOf(v.createTime),
      }));
      const view = {
        deploymentName,
        currentBuildId: routing?.currentDeploymentVersion?.buildId || null,
        rampingBuildId: routing?.rampingDeploymentVersion?.buildId || null,
        builds,
      };
      print(flags, view, () =>
        [
          `deployment ${deploymentName}: current build ${view.currentBuildId ?? '(unversioned workers)'}${view.rampingBuildId ? `, ramping ${view.rampingBuildId}` : ''}`,
          ...builds.map(
            (b) =>
              `  ${b.buildId}  ${b.status}${b.drainage !== 'unspecified' && b.drainage !== b.status ? ` (${b.drainage})` : ''}  since ${b.createdAt ?? '?'}`,
          ),
        ].join('\n'),
      );
    });
}
