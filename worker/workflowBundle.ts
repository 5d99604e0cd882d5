// The worker's workflow code bundled ahead of time: the container image builds it once
// (`node dist/worker/workflowBundle.js <file>`) and names it by EKM_WORKFLOW_BUNDLE, so a worker starts
// without webpack and runs exactly the code the image was built with. Unset, the worker bundles at start.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WorkerConfigError } from './config';

export const workflowBundleEnv = 'EKM_WORKFLOW_BUNDLE';

/** The product's workflows, as the worker bundles them at start when no prebuilt bundle is named. */
export const workflowsPath = (): string => require.resolve('../workflows');

/** The bundle EKM_WORKFLOW_BUNDLE names, or undefined to bundle at start; a named file must exist. */
export function prebuiltWorkflowBundle(
  env: NodeJS.ProcessEnv = process.env,
): { codePath: string } | undefined {
  const file = env[workflowBundleEnv];
  if (!file) return undefined;
  const codePath = path.resolve(file);
  let size: number;
  try {
    const stat = fs.statSync(codePath);
    size = stat.isFile() ? stat.size : 0;
  } catch {
    size = -1;
  }
  if (size <= 0)
    throw new WorkerConfigError(
      `${workflowBundleEnv}=${file}: ${size < 0 ? 'no such file' : 'not a bundle (empty, or not a file)'}; build it with \`node dist/worker/workflowBundle.js ${file}\` from the same build as the worker, or unset the variable to bundle at start`,
    );
  return { codePath };
}

/** Bundles the workflows into `file` (what the image's build stage runs). */
export async function writeWorkflowBundle(file: string): Promise<void> {
  const { code } = await bundleWorkflowCode({ workflowsPath: workflowsPath() });
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, code);
}

if (require.main === module) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node dist/worker/workflowBundle.js <output file>');
    process.exit(2);
  }
  writeWorkflowBundle(file).then(
    () => console.log(`ekm: workflow bundle written to ${file}`),
    (err: unknown) => {
      console.error(`ekm: could not bundle the workflows: ${String((err as Error).stack ?? err)}`);
      process.exit(1);
    },
  );
}
