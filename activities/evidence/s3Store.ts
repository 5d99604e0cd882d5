// The production evidence sink: an S3 bucket with Object Lock. Every object is written once, with a
// retention (COMPLIANCE: nobody, root included, can delete or shorten it before it ends; GOVERNANCE:
// only principals allowed to bypass it). S3 never refuses a new *version* of a key, so the store makes
// keys write-once itself (a conditional PUT, If-None-Match: *) and reads a key's *first* version — the
// locked original — so a later version or a delete marker written by someone else cannot replace what an
// auditor reads.
import {
  GetObjectCommand,
  GetObjectLockConfigurationCommand,
  ListObjectVersionsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type ObjectVersion,
} from '@aws-sdk/client-s3';
import { awsRequestHandler } from '../proxy/awsRequestHandler';
import { conflict, folderFor, type EvidenceStore } from './store';
import type { EvidenceSigner } from './signer';

export interface S3EvidenceConfig {
  bucket: string;
  /** Key prefix, e.g. `ekm-evidence/` (empty: the bucket's root). */
  prefix: string;
  region: string;
  endpoint?: string;
  retentionDays: number;
  mode: 'COMPLIANCE' | 'GOVERNANCE';
}

export class EvidenceSinkError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

export function s3ClientFor(config: Pick<S3EvidenceConfig, 'region' | 'endpoint'>): S3Client {
  // A custom endpoint (MinIO, moto, a VPC endpoint by IP) serves buckets by path, not by host name.
  return new S3Client({
    region: config.region,
    requestHandler: awsRequestHandler(),
    ...(config.endpoint ? { endpoint: config.endpoint, forcePathStyle: true } : {}),
  });
}

const errorName = (err: unknown) =>
  (err as { name?: string; Code?: string }).name ?? (err as { Code?: string }).Code ?? '';
const httpStatus = (err: unknown) =>
  (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;

/**
 * Refuses a bucket without Object Lock, at worker start: a record an administrator could delete is not one
 * an auditor can rely on. The error names the configuration field.
 */
export async function checkObjectLock(client: S3Client, config: S3EvidenceConfig): Promise<void> {
  let enabled: string | undefined;
  try {
    const answer = await client.send(new GetObjectLockConfigurationCommand({ Bucket: config.bucket }));
    enabled = answer.ObjectLockConfiguration?.ObjectLockEnabled;
  } catch (err) {
    if (errorName(err) === 'ObjectLockConfigurationNotFoundError') enabled = undefined;
    else if (errorName(err) === 'NoSuchBucket')
      throw new EvidenceSinkError('evidence.s3.bucket', `the bucket ${config.bucket} does not exist`);
    else
      throw new EvidenceSinkError(
        'evidence.s3.bucket',
        `cannot read the Object Lock configuration of ${config.bucket} (${errorName(err) || 'error'}: ${(err as Error).message})`,
      );
  }
  if (enabled !== 'Enabled')
    throw new EvidenceSinkError(
      'evidence.s3.bucket',
      `the bucket ${config.bucket} has no Object Lock configuration: create it with Object Lock enabled (it cannot be turned on for an existing bucket without AWS support), or evidence could be deleted`,
    );
}

export function s3EvidenceStore(
  config: S3EvidenceConfig,
  signer?: EvidenceSigner,
  options: { client?: S3Client; now?: () => number } = {},
): EvidenceStore {
  const client = options.client ?? s3ClientFor(config);
  const now = options.now ?? Date.now;
  const runPrefix = (workflowId: string) => `${config.prefix}${folderFor(workflowId)}/`;
  const keyOf = (workflowId: string, runId: string, name: string) =>
    `${runPrefix(workflowId)}${runId}/${name}`;
  const where = (key: string) => `s3://${config.bucket}/${key}`;

  /** The key's first version (the one written by the store, under retention), or undefined. */
  async function firstVersion(key: string): Promise<ObjectVersion | undefined> {
    const versions: ObjectVersion[] = [];
    let KeyMarker: string | undefined;
    let VersionIdMarker: string | undefined;
    do {
      const page = await client.send(
        new ListObjectVersionsCommand({ Bucket: config.bucket, Prefix: key, KeyMarker, VersionIdMarker }),
      );
      versions.push(...(page.Versions ?? []).filter((v) => v.Key === key));
      KeyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      VersionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
    } while (KeyMarker);
    // The oldest is the original. LastModified has one-second resolution, so within a second S3's own
    // order decides: it lists a key's versions newest first, so the later in the list is the older.
    return versions
      .map((v, i) => ({ v, i }))
      .sort((a, b) => (a.v.LastModified?.getTime() ?? 0) - (b.v.LastModified?.getTime() ?? 0) || b.i - a.i)[0]
      ?.v;
  }

  async function read(key: string): Promise<string | undefined> {
    const first = await firstVersion(key);
    if (!first?.VersionId) return undefined;
    const answer = await client.send(
      new GetObjectCommand({ Bucket: config.bucket, Key: key, VersionId: first.VersionId }),
    );
    return answer.Body?.transformToString('utf8');
  }

  return {
    signer,
    async write(workflowId, runId, name, content) {
      const key = keyOf(workflowId, runId, name);
      const retainUntil = new Date(now() + config.retentionDays * 86400_000);
      try {
        await client.send(
          new PutObjectCommand({
            Bucket: config.bucket,
            Key: key,
            Body: content,
            ContentType: name.endsWith('.md') ? 'text/markdown; charset=utf-8' : 'application/json',
            IfNoneMatch: '*',
            ObjectLockMode: config.mode,
            ObjectLockRetainUntilDate: retainUntil,
            // Object Lock PUTs must carry a checksum; SHA-256 also lets S3 reject a corrupted upload.
            ChecksumAlgorithm: 'SHA256',
          }),
        );
      } catch (err) {
        const name412 = errorName(err) === 'PreconditionFailed' || httpStatus(err) === 412;
        // 409: a concurrent conditional write of the same key is in flight; either way read what is stored.
        if (!name412 && httpStatus(err) !== 409) throw err;
        const stored = await read(key);
        if (stored !== content) throw conflict(where(key));
      }
      return where(key);
    },
    async read(workflowId, runId, name) {
      return read(keyOf(workflowId, runId, name));
    },
    async runs(workflowId) {
      const prefix = runPrefix(workflowId);
      const firstSeen = new Map<string, number>();
      let ContinuationToken: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({ Bucket: config.bucket, Prefix: prefix, ContinuationToken }),
        );
        for (const o of page.Contents ?? []) {
          const runId = o.Key?.slice(prefix.length).split('/')[0];
          if (!runId) continue;
          const t = o.LastModified?.getTime() ?? 0;
          firstSeen.set(runId, Math.min(firstSeen.get(runId) ?? t, t));
        }
        ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (ContinuationToken);
      return [...firstSeen.entries()].sort((a, b) => a[1] - b[1]).map(([runId]) => runId);
    },
  };
}
