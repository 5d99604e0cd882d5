// The sandbox worker's evidence signing key: made once in the data directory and kept across restarts, so
// every chain the sandbox ever wrote stays verifiable with the same key (`.data/evidence-signing-key.pem`,
// its public half beside it as `.pub`, for `ekm evidence verify --public-key`).
import * as path from 'node:path';
import { ensureSigningKeyFile } from '../activities/evidence/signer';
import { dataDir } from './paths';

/** The key file to name as `evidence.signingKeyFile` in the sandbox worker's configuration. */
export function sandboxEvidenceKeyFile(dir: string = dataDir()): string {
  return ensureSigningKeyFile(path.join(dir, 'evidence-signing-key.pem'));
}
