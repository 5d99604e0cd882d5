// Reads `--file fleet.yaml` (YAML, or JSON — JSON is YAML too) and checks it as the fleet will: every entry
// as its own run would take it, errors naming the entry and the field (`keys[3].roleArn: …`). A file that
// does not pass starts nothing.
import * as fs from 'node:fs';
import { parse, YAMLParseError } from 'yaml';
import {
  describeFleetIssues,
  revokeFleetInput,
  type RevokeFleetInput,
  type RevokeFleetRequest,
} from '../workflows/fleet/request';
import { UsageError } from './errors';

export interface FleetFileFlags {
  file?: string;
  concurrency?: string;
}

/** The file's request as the fleet takes it (`--concurrency` over the file's), and the same parsed. */
export function readFleetFile(
  flags: FleetFileFlags,
  planOnly: boolean,
): { input: RevokeFleetInput; request: RevokeFleetRequest } {
  if (!flags.file)
    throw new UsageError('--file: is required: the fleet file (YAML or JSON) listing the keys');
  let text: string;
  try {
    text = fs.readFileSync(flags.file, 'utf8');
  } catch (err) {
    throw new UsageError(`--file ${flags.file}: cannot be read (${(err as Error).message})`);
  }
  let document: unknown;
  try {
    document = parse(text);
  } catch (err) {
    const where = err instanceof YAMLParseError && err.linePos ? ` at line ${err.linePos[0].line}` : '';
    throw new UsageError(`--file ${flags.file}: is not YAML or JSON${where}: ${(err as Error).message}`);
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document))
    throw new UsageError(
      `--file ${flags.file}: must be a mapping with requester, reason, changeTicket and keys (see docs/fleet.md)`,
    );
  if ('signature' in document)
    throw new UsageError(
      `--file ${flags.file}: signature: is made by \`--signing-key\` over the file's request, not written in the file`,
    );
  const input = { ...(document as Record<string, unknown>), planOnly } as RevokeFleetInput;
  if (flags.concurrency !== undefined) {
    const concurrency = Number(flags.concurrency);
    if (!Number.isInteger(concurrency))
      throw new UsageError(`--concurrency: ${JSON.stringify(flags.concurrency)} is not a whole number`);
    input.concurrency = concurrency;
  }
  const parsed = revokeFleetInput.safeParse(input);
  if (!parsed.success)
    throw new UsageError(`--file ${flags.file}: nothing was started:\n${describeFleetIssues(parsed.error)}`);
  return { input, request: parsed.data };
}
