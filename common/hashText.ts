// The one hash of text the project names things by (plan, gate, stop and request hashes, run tags):
// sha-256 of the UTF-8 bytes, as 64 lower-case hex digits. Pure JavaScript, so workflows, activities and
// the CLI compute the same value.
import { bytesToHex } from '@noble/curves/abstract/utils';
import { sha256 } from '@noble/hashes/sha2';

export function hashText(text: string): string {
  return bytesToHex(sha256(new TextEncoder().encode(text)));
}
