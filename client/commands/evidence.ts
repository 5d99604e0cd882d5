// `ekm evidence`: a run's record as an auditor reads it. The worker writes it when the run ends, to its
// evidence sink (EKM_EVIDENCE_DIR here names the directory, the sandbox's is `.data/evidence`; or
// EKM_EVIDENCE_S3=s3://bucket/prefix/ with EKM_EVIDENCE_S3_ENDPOINT for a non-AWS endpoint); a record read
// from a sink has its hash chain and signature verified, and the verdict printed. A run still going, or
// one whose record this machine cannot see, is rendered from its status query instead, the same way the
// worker renders it (nothing to verify then). `ekm evidence verify` checks a stored copy offline.
import type { Command } from 'commander';
import { s3EvidenceStore } from '../../activities/evidence/s3Store';
import { directoryEvidenceStore, type EvidenceStore } from '../../activities/evidence/store';
import type { ChainVerdict } from '../../activities/evidence/verify';
import { chainFile } from '../../common/evidenceChain';
import { evidenceMarkdown } from '../../common/evidenceMarkdown';
import type { RunStatus } from '../../common/runStatus';
import type { RunSubject } from '../../common/runSubject';
import { connectClient, type CliClient } from '../connect';
import { CliError, ExitCode, UsageError } from '../errors';
import { readPublicKey, verifyPath, verifyStored } from '../evidenceVerify';
import { checkRunId, describeRun, evidenceDir, queryStatus, requireRunbook } from '../runs';

interface EvidenceFlags {
  runId?: string;
  format: string;
  json?: boolean;
  publicKey?: string;
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
  publicKey: string | undefined,
): Promise<Stored | undefined> {
  let evidence: string | undefined;
  let chain: string | undefined;
  try {
    evidence = await sink.store.read(workflowId, runId, 'evidence.json');
    if (evidence === undefined) return undefined;
    chain = await sink.store.read(workflowId, runId, chainFile);
    return {
      record: JSON.parse(evidence) as RunStatus<RunSubject>,
      verdict: verifyStored({ chain, evidence }, publicKey),
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
    .option('--public-key <file>', "the worker's public key to verify with (default: the one in the record)")
    .action(async (workflowId: string, flags: EvidenceFlags) => {
      let runId = checkRunId(flags.runId);
      const format = flags.json ? 'json' : flags.format;
      if (format !== 'md' && format !== 'json')
        throw new UsageError(`--format: ${JSON.stringify(flags.format)} must be md or json`);
      const publicKey = readPublicKey(flags.publicKey);
      const sink = evidenceSink();
      const dir = sink.where;
      const fromSink = async (id: string | undefined) =>
        id ? readRecord(sink, workflowId, id, publicKey) : undefined;

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
      // A record that does not verify is printed (people need to see it) but the command fails.
      if (stored?.verdict && !stored.verdict.ok)
        throw new CliError(`the evidence chain of ${workflowId} run ${record.runId} does not verify`);
    });

  evidence
    .command('verify')
    .argument('<file-or-folder>', "a run's evidence folder (chain.json, evidence.json) or a chain.json file")
    .description(
      'verify a stored evidence chain offline: every hash, link and the signature (exit 0 verified, 1 not)',
    )
    .option('--public-key <file>', "the worker's public key (PEM); default: the one the chain's header names")
    .action((target: string, _flags: unknown, cmd: Command) => {
      // The parent command has a --public-key of its own, which commander may fill instead: take either.
      const flags = cmd.optsWithGlobals<{ publicKey?: string }>();
      const verdict = verifyPath(target, readPublicKey(flags.publicKey));
      if (!verdict.ok) throw new CliError(`${target}: ${verdict.summary}`, ExitCode.failed);
      console.log(verdict.summary);
    });
}
