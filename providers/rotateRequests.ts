// The rotation request of every cloud, told apart by `provider`: what `rotateKey` is given, and what it
// records of the key's rotation.
import { z } from 'zod';
import { rotateKeyInput, type AwsKeyRotationState } from './aws/rotateRequest';
import { gcpRotateKeyInput, type GcpKeyRotationView } from './gcp/rotateRequest';
import type { RotationChangeOf } from '../common/rotationRequest';

/** What `rotateKey` is given: a rotation on either cloud, told apart by `provider`. */
export const anyRotateKeyInput = z.discriminatedUnion('provider', [rotateKeyInput, gcpRotateKeyInput], {
  message: 'must be aws (a key ARN and role) or gcp (a Cloud KMS key name and principal)',
});

export type AnyRotateKeyInput = z.input<typeof anyRotateKeyInput>;
export type AnyRotateKeyRequest = z.output<typeof anyRotateKeyInput>;

/** The key's rotation, in one shape per cloud (an AWS state names `keyArn`, a Google Cloud one `keyName`). */
export type KeyRotationState = AwsKeyRotationState | GcpKeyRotationView;

export type RotationChange = RotationChangeOf<KeyRotationState>;
