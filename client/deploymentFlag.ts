// The Worker Deployment the `ekm worker promote|versions` commands act on: `--deployment`, else
// EKM_DEPLOYMENT_NAME — the name the workers' `versioning.deploymentName` gives (docs/versioning.md).
import { deploymentNamePattern } from '../worker/versioning';
import { UsageError } from './errors';

export const deploymentNameEnv = 'EKM_DEPLOYMENT_NAME';

export function deploymentNameFrom(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const name = flag ?? env[deploymentNameEnv];
  if (!name)
    throw new UsageError(
      `--deployment is missing: name the Worker Deployment (the workers' versioning.deploymentName), or set ${deploymentNameEnv}`,
    );
  if (!deploymentNamePattern.test(name))
    throw new UsageError(
      `--deployment ${name}: must be a deployment name of letters, digits, '-' and '_' (the workers' versioning.deploymentName)`,
    );
  return name;
}

/** The gRPC status of a failed Temporal call (5 NOT_FOUND, 9 FAILED_PRECONDITION), if it has one. */
export function grpcCodeOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}
