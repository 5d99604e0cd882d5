// What every name a run gives carries: 16 hex digits of sha256 of the whole run id (64 bits: two runs
// sharing one is a one-in-10^19 event), where the first digits of a UUIDv7 are shared by a minute's runs.
// Pure, so the workflow names what it makes with it and the activities check names against it.
import { hashText } from './hashText';

export function runTag(runId: string): string {
  return hashText(runId).slice(0, 16);
}
