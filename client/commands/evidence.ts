// `ekm evidence`: a run's record as an auditor reads it. The worker writes it when the run ends, to its
// evidence directory (EKM_EVIDENCE_DIR here names it; the sandbox's is `.data/evidence`); a run still
// going, or one whose record this machine cannot see, is rendered from its status query instead, the
// same way the worker renders it.
import type { Command } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { folderFor } from '../../activities/evidence/store';
import { evidenceMarkdown } from '../../common/evidenceMarkdown';
import type { RunStatus } from '../../common/runStatus';
import type { RunSubject } from '../../common/runSubject';
import { connectClient, type CliClient } from '../connect';
import { CliError, ExitCode, UsageError } from '../errors';
import { checkRunId, describeRun, evidenceDir, queryStatus, requireRunbook } from '../runs';

interface EvidenceFlags {
  runId?: string;
  format: string;
  json?: boolean;
}

function readRecord(dir: string, workflowId: string, runId: string): RunStatus<RunSubject> | undefined {
  try {
    return JSON.parse(
      fs.readFileSync(path.join(dir, folderFor(workflowId), runId, 'evidence.json'), 'utf8'),
    ) as RunStatus<RunSubject>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CliError(
      `the evidence record of ${workflowId} run ${runId} in ${dir} is unreadable: ${(err as Error).message}`,
    );
  }
}

/** The newest run stored for a workflow id, for when Temporal cannot say which is the latest. */
function newestStoredRun(dir: string, workflowId: string): string | undefined {
  const folder = path.join(dir, folderFor(workflowId));
  try {
    return fs
      .readdirSync(folder)
      .map((runId) => ({ runId, t: fs.statSync(path.join(folder, runId)).mtimeMs }))
      .sort((a, b) => b.t - a.t)[0]?.runId;
  } catch {
    return undefined;
  }
}

export function registerEvidence(program: Command): void {
  program
    .command('evidence')
    .argument('<workflowId>', 'the run (ekm-key:…)')
    .description(
      "print a run's evidence record: from the worker's evidence directory, else from the run itself",
    )
    .option('--run-id <id>', 'a specific run of the workflow id (default: the latest run)')
    .option('--format <format>', 'md | json', 'md')
    .option('--json', 'the same as --format json')
    .action(async (workflowId: string, flags: EvidenceFlags) => {
      let runId = checkRunId(flags.runId);
      const format = flags.json ? 'json' : flags.format;
      if (format !== 'md' && format !== 'json')
        throw new UsageError(`--format: ${JSON.stringify(flags.format)} must be md or json`);
      const dir = evidenceDir();

      // With a run id and its record on disk, Temporal is not needed at all (records outlive histories).
      let record = runId ? readRecord(dir, workflowId, runId) : undefined;
      let source = 'the evidence record';
      if (!record) {
        let c: CliClient | undefined;
        try {
          c = await connectClient();
        } catch (err) {
          // Temporal unreachable: the newest stored record is still an answer.
          const stored = runId ?? newestStoredRun(dir, workflowId);
          record = stored ? readRecord(dir, workflowId, stored) : undefined;
          if (!record) throw err;
        }
        if (c) {
          try {
            const found = await describeRun(c.client, workflowId, runId);
            requireRunbook(found);
            runId = found.runId;
            record = readRecord(dir, workflowId, runId);
            if (!record) {
              record = await queryStatus(c.client, workflowId, runId);
              source = `the run's status query (no record in ${dir} yet${found.status.name === 'RUNNING' ? ': the run writes it when it ends' : ''})`;
            }
          } catch (err) {
            if (err instanceof CliError && err.exitCode === ExitCode.notFound) {
              const stored = runId ?? newestStoredRun(dir, workflowId);
              record = stored ? readRecord(dir, workflowId, stored) : undefined;
              if (!record) throw err;
            } else throw err;
          } finally {
            await c.close();
          }
        }
      }
      if (!record) throw new CliError(`no record of ${workflowId}`); // unreachable: every path above sets it or throws
      if (format === 'json') console.log(JSON.stringify(record, null, 2));
      else process.stdout.write(`${evidenceMarkdown(record)}\n<!-- from ${source} -->\n`);
    });
}
