// Preflight's judgement of what it read: is the world the way the request says, and is there something
// to revoke and to prove? The cloud judges its key and OpenAI's access to it (its spec); OpenAI's projects,
// validate and probes are judged alike everywhere (common/preflightChecks.ts). Pure, so the workflow runs
// it and unit tests pin it.
import { openAiFindings } from '../common/preflightChecks';
import type { RevocationBaseline, RevokeKeyRequest } from './requests';
import type { GcpRevocationBaseline, GcpRevokeKeyRequest } from './gcp/request';
import type { AwsRevocationBaseline, AwsRevokeKeyRequest } from './aws/request';
import { specOf } from '.';

export function preflightFindings(request: AwsRevokeKeyRequest, baseline: AwsRevocationBaseline): string[];
export function preflightFindings(request: GcpRevokeKeyRequest, baseline: GcpRevocationBaseline): string[];
export function preflightFindings(request: RevokeKeyRequest, baseline: RevocationBaseline): string[];
export function preflightFindings(request: RevokeKeyRequest, baseline: RevocationBaseline): string[] {
  const spec = specOf(request);
  return [...spec.keyFindings(request, baseline), ...openAiFindings(request, baseline, spec.keyAndPrincipal)];
}
