// The revocation request of every cloud, told apart by `provider`: what `revokeKey` is given.
import { z } from 'zod';
import {
  awsRevokeKeyInput,
  type AwsAccessSnapshot,
  type AwsRevocationBaseline,
  type AwsRevocationMethod,
} from './aws/request';
import {
  gcpRevokeKeyInput,
  type GcpAccessSnapshot,
  type GcpRevocationBaseline,
  type GcpRevocationMethod,
} from './gcp/request';

/** What `revokeKey` is given: a revocation on either cloud, told apart by `provider`. */
export const revokeKeyInput = z.discriminatedUnion('provider', [awsRevokeKeyInput, gcpRevokeKeyInput]);
export type RevokeKeyInput = z.input<typeof revokeKeyInput>;
export type RevokeKeyRequest = z.output<typeof revokeKeyInput>;

export type RevocationBaseline = AwsRevocationBaseline | GcpRevocationBaseline;

/** The revoke step's result on either cloud (the GCP activity's has this shape). */
export interface RevocationChange {
  method: AwsRevocationMethod | GcpRevocationMethod;
  changed: boolean;
  description: string;
}

export type AccessSnapshot = AwsAccessSnapshot | GcpAccessSnapshot;
