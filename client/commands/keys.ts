// `ekm keys init`: makes a person's Ed25519 key pair for signing votes, attestations and starts. The
// private key stays in a file only its owner reads; the public key is printed for the worker's
// configuration (approvals.signers), where the security team adds it.
import type { Command } from 'commander';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { publicKeyOf } from '../../common/signedStatement';
import { UsageError } from '../errors';
import { print } from '../output';

interface KeysInitFlags {
  out?: string;
  as?: string;
  json?: boolean;
}

export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('your signing key for votes, attestations and starts');
  keys
    .command('init')
    .description(
      'make an Ed25519 key pair: the private key into a file, the public key printed for the policy',
    )
    .option('--out <file>', 'where to write the private key (default: ~/.ekm/signing-key.pem)')
    .option('--as <who>', 'your name as the approval policy lists it (prints the configuration line)')
    .option('--json', 'print JSON')
    .action((flags: KeysInitFlags) => {
      const file = path.resolve(flags.out ?? path.join(process.env.HOME ?? '.', '.ekm', 'signing-key.pem'));
      if (fs.existsSync(file))
        throw new UsageError(
          `--out ${file}: a file is already there; ekm never replaces a signing key (move it away, or name another file)`,
        );
      const { privateKey } = crypto.generateKeyPairSync('ed25519');
      fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      // Exclusive create: two runs at once cannot both believe they own the file.
      fs.writeFileSync(file, privateKey.export({ format: 'pem', type: 'pkcs8' }), {
        mode: 0o600,
        flag: 'wx',
      });
      const raw = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url');
      const publicKey = publicKeyOf(new Uint8Array(raw));
      const who = flags.as?.trim().toLowerCase();
      print(
        flags,
        { privateKeyFile: file, publicKey, ...(who ? { signers: { [who]: [publicKey] } } : {}) },
        () =>
          [
            `private key written to ${file} (mode 600): sign with --signing-key ${file} or EKM_SIGNING_KEY_FILE=${file}`,
            `public key: ${publicKey}`,
            `add it to the worker's configuration under approvals.signers:`,
            `  "${who ?? '<you as the policy names you>'}": ["${publicKey}"]`,
          ].join('\n'),
      );
    });
}
