// `ekm evidence`: a run's record as an auditor reads it. The worker writes it when the run ends, to its
// evidence sink (EKM_EVIDENCE_DIR here names the directory, the sandbox's is `.data/evidence`; or
// EKM_EVIDENCE_S3=s3://bucket/prefix/ with EKM_EVIDENCE_S3_ENDPOINT for a non-AWS endpoint); a record read
// from a sink has its hash chain checked, and its signature and acts verified against the key or
// configuration given (`--public-key`, `--config`; without one the verdict says nothing was trusted), and
// the verdict printed. A run still going, or one whose record this machine cannot see, is rendered from its
// status query instead, the same way the worker renders it (nothing to verify then). `ekm evidence verify`
// checks a stored record offline and refuses to run without a key to trust.
import * as fs from 'node:fs';
import type { Command } from 'commander';
import { s3EvidenceStore } from '../../activities/evidence/s3Store';
import { directoryEvidenceStore, type EvidenceStore } from '../../activities/evidence/store';
import type { ChainVerdict } from '../../activities/evidence/verify';
import { verifyFleetRecord, type FleetVerdict } from '../../activities/evidence/verifyFleet';
import { chainFile } from '../../common/evidenceChain';
import { fleetRecordFile, fleetStatusFile } from '../../common/fleetRecord';
import { evidenceMarkdown } from '../../providers/evidenceMarkdown';
import type { RunStatus } from '../../providers/runStatus';
import type { RunSubject } from '../../providers/runSubject';
import { connectClient, type CliClient } from '../connect';
import { CliError, ExitCode, UsageError } from '../errors';
import { needsTrustedKey, trustFrom, verifyPath, verifyStored, type Trust } from '../evidenceVerify';
import { checkRunId, describeRun, evidenceDir, queryStatus, requireRunbook } from '../runs';

interface EvidenceFlags {
  runId?: string;
  format: string;
  json?: boolean;
  publicKey?: string;
  config?: string;
}

interface VerifyFlags {
  runId?: string;
  workflowId?: string;
  publicKey?: string;
  config?: string;
  json?: boolean;
}

/** The sink this machine reads: S3 when EKM_EVIDENCE_S3 names a bucket, else the evidence directory. */
function evidenceSink(env: NodeJS.ProcessEnv = process.env): { store: EvidenceStore; where: string } {
  const url = env.EKM_EVIDENCE_S3;
  if (!url) {
    const dir = evidenceDir(env);
    return { store: directoryEvidenceStore(dir), where: dir };
  }
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!m) throw new UsageError(`EKM_EVIDENCE_S3: ${JSON.stringify(url)} must look like s3://bucket/prefix/`);
  const prefix = m[2] && !m[2].endsWith('/') ? `${m[2]}/` : (m[2] ?? '');
  const store = s3EvidenceStore({
    bucket: m[1]!,
    prefix,
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
    endpoint: env.EKM_EVIDENCE_S3_ENDPOINT || undefined,
    // Reading only: retention is the writer's business.
    retentionDays: 1,
    mode: 'COMPLIANCE',
  });
  return { store, where: `s3://${m[1]}/${prefix}` };
}

interface Stored {
  record: RunStatus<RunSubject>;
  verdict?: ChainVerdict;
}

async function readRecord(
  sink: { store: EvidenceStore; where: string },
  workflowId: string,
  runId: string,
  trust: Trust | undefined,
): Promise<Stored | undefined> {
  let evidence: string | undefined;
  let chain: string | undefined;
  try {
    evidence = await sink.store.read(workflowId, runId, 'evidence.json');
    if (evidence === undefined) return undefined;
    chain = await sink.store.read(workflowId, runId, chainFile);
    return {
      record: JSON.parse(evidence) as RunStatus<RunSubject>,
      verdict: verifyStored({ chain, evidence }, { ...trust, expected: { workflowId, runId } }),
    };
  } catch (err) {
    throw new CliError(
      `the evidence record of ${workflowId} run ${runId} in ${sink.where} is unreadable: ${(err as Error).message}`,
    );
  }
}

/** The newest run stored for a workflow id, for when Temporal cannot say which is the latest. */
async function newestStoredRun(store: EvidenceStore, workflowId: string): Promise<string | undefined> {
  try {
    return (await store.runs(workflowId)).at(-1);
  } catch {
    return undefined;
  }
}

/**
 * A fleet's record (fleet.json, fleet.md, fleet.sig.json) stored for `runId` or, without one, the fleet's
 * newest stored run; undefined when the id has no fleet record in the sink.
 */
async function readFleetRecord(
  sink: { store: EvidenceStore; where: string },
  workflowId: string,
  runId: string | undefined,
  trust: Trust | undefined,
): Promise<{ runId: string; json: string; markdown?: string; verdict: FleetVerdict } | undefined> {
  const run = runId ?? (await newestStoredRun(sink.store, workflowId));
  if (!run) return undefined;
  const read = (file: string) => sink.store.read(workflowId, run, file);
  try {
    const [record, json] = [await read(fleetRecordFile), await read(fleetStatusFile)];
    if (record === undefined || json === undefined) return undefined;
    const verdict = await verifyFleetRecord(
      { record, fleetJson: json },
      (child, childRun) => sink.store.read(child, childRun, chainFile),
      { ...trust, expected: { workflowId, runId: run } },
    );
    return { runId: run, json, markdown: await read('fleet.md'), verdict };
  } catch (err) {
    throw new CliError(
      `the fleet record of ${workflowId} run ${run} in ${sink.where} is unreadable: ${(err as Error).message}`,
    );
  }
}

function verdictLine(stored: Stored | undefined): string | undefined {
  if (!stored) return undefined;
  if (!stored.verdict) return `evidence chain: none stored with this record (written before evidence chains)`;
  return `evidence chain: ${stored.verdict.summary}`;
}

export function registerEvidence(program: Command): void {
  const evidence = program
    .command('evidence')
    .argument('<workflowId>', 'the run (ekm-key:…)')
    .description(
      "print a run's evidence record, its chain verified: from the worker's evidence sink, else from the run itself",
    )
    .option('--run-id <id>', 'a specific run of the workflow id (default: the latest run)')
    .option('--format <format>', 'md | json', 'md')
    .option('--json', 'the same as --format json')
    .option('--public-key <file>', "the worker's evidence public key to verify the record with")
    .option(
      '--config <file>',
      'a worker configuration (JSON) to verify the record with (as `ekm evidence verify`)',
    )
    .action(async (workflowId: string, flags: EvidenceFlags) => {
      let runId = checkRunId(flags.runId);
      const format = flags.json ? 'json' : flags.format;
      if (format !== 'md' && format !== 'json')
        throw new UsageError(`--format: ${JSON.stringify(flags.format)} must be md or json`);
      const trust = trustFrom(flags);
      const sink = evidenceSink();
      const dir = sink.where;
      const fromSink = async (id: string | undefined) =>
        id ? readRecord(sink, workflowId, id, trust) : undefined;

      // A fleet's record: its account of every child, bound to the children's own chains.
      const fleet = await readFleetRecord(sink, workflowId, runId, trust);
      if (fleet) {
        const line = `fleet record: ${fleet.verdict.summary}`;
        if (format === 'json') {
          process.stdout.write(fleet.json);
          console.error(line);
        } else process.stdout.write(`${fleet.markdown ?? ''}\n<!-- ${line} -->\n`);
        if (!fleet.verdict.ok && !fleet.verdict.untrusted)
          throw new CliError(`the fleet record of ${workflowId} run ${fleet.runId} does not verify`);
        return;
      }

      // With a run id and its record stored, Temporal is not needed at all (records outlive histories).
      let stored = await fromSink(runId);
      let record = stored?.record;
      let source = 'the evidence record';
      if (!record) {
        let c: CliClient | undefined;
        try {
          c = await connectClient();
        } catch (err) {
          // Temporal unreachable: the newest stored record is still an answer.
          stored = await fromSink(runId ?? (await newestStoredRun(sink.store, workflowId)));
          record = stored?.record;
          if (!record) throw err;
        }
        if (c) {
          try {
            const found = await describeRun(c.client, workflowId, runId);
            requireRunbook(found);
            runId = found.runId;
            stored = await fromSink(runId);
            record = stored?.record;
            if (!record) {
              record = await queryStatus(c.client, workflowId, runId);
              source = `the run's status query (no record in ${dir} yet${found.status.name === 'RUNNING' ? ': the run writes it when it ends' : ''})`;
            }
          } catch (err) {
            if (err instanceof CliError && err.exitCode === ExitCode.notFound) {
              stored = await fromSink(runId ?? (await newestStoredRun(sink.store, workflowId)));
              record = stored?.record;
              if (!record) throw err;
            } else throw err;
          } finally {
            await c.close();
          }
        }
      }
      if (!record) throw new CliError(`no record of ${workflowId}`); // unreachable: every path above sets it or throws
      const verdict = verdictLine(stored);
      if (format === 'json') {
        console.log(JSON.stringify(record, null, 2));
        // stdout stays the record alone (scripts parse it); the verdict goes to stderr.
        if (verdict) console.error(verdict);
      } else
        process.stdout.write(
          `${evidenceMarkdown(record)}\n<!-- from ${source} -->\n${verdict ? `<!-- ${verdict} -->\n` : ''}`,
        );
      // A record that does not verify is printed (people need to see it) but the command fails; one read
      // without a key to trust is printed with that said (its hashes and links were checked).
      if (stored?.verdict && !stored.verdict.ok && !stored.verdict.untrusted)
        throw new CliError(`the evidence chain of ${workflowId} run ${record.runId} does not verify`);
    });

  evidence
    .command('verify')
    .argument(
      '<run-or-path>',
      "the run's workflow id (its record read from the evidence sink, as `ekm evidence` reads it), or a run's evidence folder (chain.json, evidence.json) or a chain.json file",
    )
    .description(
      "verify a stored evidence record offline against a key you trust: every hash, link and the signature, that it is the run asked for, and every vote, resolution and attestation against the approvers' keys (exit 0 verified, 1 not)",
    )
    .option(
      '--run-id <id>',
      'the run it must be the record of (with a workflow id: default the newest stored run)',
    )
    .option(
      '--workflow-id <id>',
      'with a folder or file: the workflow id it must be the record of (required)',
    )
    .option('--public-key <file>', "the worker's evidence public key (PEM) you trust")
    .option(
      '--config <file>',
      'a worker configuration (JSON) you trust: its evidence.publicKey and previousPublicKeys, approvals.signers and revokedKeys, and its mode',
    )
    .option('--json', 'print the verdict as JSON')
    .action(async (target: string, _flags: unknown, cmd: Command) => {
      // The parent command has options of the same names, which commander may fill instead: take either.
      const flags = cmd.optsWithGlobals<VerifyFlags>();
      const trust = trustFrom(flags);
      if (!trust) throw new UsageError(`ekm evidence verify ${needsTrustedKey}`);
      const runId = checkRunId(flags.runId);
      let verdict: ChainVerdict;
      let what: string;
      if (fs.existsSync(target)) {
        // A copy handed over: only the auditor can say whose record it must be.
        if (!flags.workflowId)
          throw new UsageError(
            `${target}: name the run it must be the record of: --workflow-id <id> --run-id <id> (a chain of another run verifies just as well)`,
          );
        verdict = verifyPath(target, { ...trust, expected: { workflowId: flags.workflowId, runId } });
        what = target;
      } else {
        if (flags.workflowId && flags.workflowId !== target)
          throw new UsageError(`--workflow-id ${flags.workflowId} names another run than ${target}`);
        const sink = evidenceSink();
        const fleet = await readFleetRecord(sink, target, runId, trust);
        if (fleet) {
          if (flags.json) console.log(JSON.stringify(fleet.verdict, null, 2));
          if (!fleet.verdict.ok)
            throw new CliError(`${target} run ${fleet.runId}: ${fleet.verdict.summary}`, ExitCode.failed);
          if (!flags.json) console.log(fleet.verdict.summary);
          return;
        }
        const run = runId ?? (await newestStoredRun(sink.store, target));
        if (!run)
          throw new CliError(
            `no evidence record of ${target} in ${sink.where} (and ${target} is no file or folder here)`,
            ExitCode.notFound,
          );
        let chain: string | undefined;
        let stored: string | undefined;
        try {
          chain = await sink.store.read(target, run, chainFile);
          stored = await sink.store.read(target, run, 'evidence.json');
        } catch (err) {
          throw new CliError(
            `the evidence record of ${target} run ${run} in ${sink.where} is unreadable: ${(err as Error).message}`,
          );
        }
        const found = verifyStored(
          { chain, evidence: stored },
          { ...trust, expected: { workflowId: target, runId: run } },
        );
        if (!found)
          throw new CliError(`no ${chainFile} for ${target} run ${run} in ${sink.where}`, ExitCode.notFound);
        verdict = found;
        what = `${target} run ${run}`;
      }
      if (flags.json) console.log(JSON.stringify(verdict, null, 2));
      if (!verdict.ok) throw new CliError(`${what}: ${verdict.summary}`, ExitCode.failed);
      if (!flags.json) console.log(verdict.summary);
    });
}
