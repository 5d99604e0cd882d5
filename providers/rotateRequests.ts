// The rotation request of every cloud, told apart by `provider`: what `rotateKey` is given, and what it
// records of the key's rotation.
import { z } from 'zod';
import { awsRotateKeyInput, type AwsKeyRotationState } from './aws/rotateRequest';
import { gcpRotateKeyInput, type GcpKeyRotationView } from './gcp/rotateRequest';
import type { RotationChangeOf } from '../common/rotationRequest';

/** What `rotateKey` is given: a rotation on either cloud, told apart by `provider`. */
export const rotateKeyInput = z.discriminatedUnion('provider', [awsRotateKeyInput, gcpRotateKeyInput], {
  message: 'must be aws (a key ARN and role) or gcp (a Cloud KMS key name and principal)',
});

export type RotateKeyInput = z.input<typeof rotateKeyInput>;
export type RotateKeyRequest = z.output<typeof rotateKeyInput>;

/** The key's rotation, in one shape per cloud (an AWS state names `keyArn`, a Google Cloud one `keyName`). */
export type KeyRotationState = AwsKeyRotationState | GcpKeyRotationView;

export type RotationChange = RotationChangeOf<KeyRotationState>;
