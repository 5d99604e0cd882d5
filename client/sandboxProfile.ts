// `ekm --sandbox …`: the CLI's own sandbox profile. It points this one command at the Temporal server
// `npm start` runs (address, namespace, Web UI, evidence folder, from the launcher's description file).
// It selects where the CLI connects, nothing else: what a run may touch is still the worker's configuration.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { sandboxDescriptionFile } from './commands/sandboxDescribe';
import { CliError, ExitCode } from './errors';

export function useSandboxProfile(env: NodeJS.ProcessEnv = process.env): void {
  const file = sandboxDescriptionFile(env);
  let description: { temporal?: { address?: string; namespace?: string; uiUrl?: string } };
  try {
    description = JSON.parse(fs.readFileSync(file, 'utf8')) as typeof description;
  } catch {
    throw new CliError(
      `--sandbox: no sandbox description at ${file}: start the sandbox with \`npm start\` (or set EKM_DATA_DIR to its data folder)`,
      ExitCode.unreachable,
    );
  }
  const temporal = description.temporal;
  if (!temporal?.address)
    throw new CliError(`--sandbox: ${file} names no Temporal server: restart the sandbox with \`npm start\``);
  env.TEMPORAL_ADDRESS = temporal.address;
  env.TEMPORAL_NAMESPACE = temporal.namespace ?? 'default';
  // A profile from a config file would override the sandbox's address: this command is for the sandbox.
  delete env.TEMPORAL_PROFILE;
  delete env.TEMPORAL_API_KEY;
  if (temporal.uiUrl) env.EKM_UI_URL = temporal.uiUrl;
  env.EKM_EVIDENCE_DIR ??= path.join(path.dirname(file), 'evidence');
}
