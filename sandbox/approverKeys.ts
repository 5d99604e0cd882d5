// The sandbox's people sign like real ones: each demo approver and the demo requester get an Ed25519 key
// made once in the data directory (`approver-keys/<person>.pem`, kept across restarts), whose public half
// goes into the sandbox worker's `approvals.signers`. The sandbox worker still takes unsigned acts (the
// Web UI's), recorded as unauthenticated; the suggested commands sign.
import * as crypto from 'node:crypto';
import * as path from 'node:path';
import { ensureSigningKeyFile } from '../activities/evidence/signer';
import { publicKeyOf } from '../common/signedStatement';
import * as fs from 'node:fs';
import { dataDir } from './paths';

export interface SandboxSigner {
  keyFile: string;
  publicKey: string;
}

export function sandboxApproverKeys(
  people: string[],
  dir: string = dataDir(),
): Record<string, SandboxSigner> {
  return Object.fromEntries(
    people.map((person) => {
      const keyFile = ensureSigningKeyFile(path.join(dir, 'approver-keys', `${person}.pem`));
      const privateKey = crypto.createPrivateKey(fs.readFileSync(keyFile, 'utf8'));
      const seed = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url');
      return [person, { keyFile, publicKey: publicKeyOf(new Uint8Array(seed)) }];
    }),
  );
}
