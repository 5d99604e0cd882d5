// What the twin remembers: the organisation, its external keys, projects, project API keys, the stored
// (encrypted) objects, and the audit log. Kept in one JSON file when a path is given, written after every
// change, so a restart finds the same organisation.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Sealed } from './envelope';

export interface AwsExternalKeyFields {
  type: 'aws';
  role_arn: string;
  kms_arn: string;
  external_id: string;
}

export interface ExternalKey extends AwsExternalKeyFields {
  id: string;
  object: 'organization.external_key';
  created_at: number;
  name: string;
  purpose: string;
}

/** OpenAI's GCP registration body (help article "EKM (External Keys) in the Management API"). */
export interface GcpExternalKeyFields {
  type: 'gcp';
  /** Where the customer registered OpenAI's workload identity: its project *number*, pool and provider. */
  workload_identity_project_number: string;
  workload_identity_pool_id: string;
  workload_identity_provider_id: string;
  /** What OpenAI puts in its token's `aud` when it exchanges it at the customer's STS. */
  audience: string;
  /** The key, in parts: projects/{kms_project_id}/locations/{kms_key_location}/keyRings/{kms_key_ring_name}/cryptoKeys/{kms_key_name}. */
  kms_project_id: string;
  kms_key_location: string;
  kms_key_ring_name: string;
  kms_key_name: string;
}

export type GcpExternalKey = Omit<ExternalKey, keyof AwsExternalKeyFields> & GcpExternalKeyFields;

/** Any registration. `ExternalKey`, named before Google Cloud came, is the AWS one. */
export type RegisteredExternalKey = ExternalKey | GcpExternalKey;

export interface Project {
  id: string;
  object: 'organization.project';
  name: string;
  created_at: number;
  archived_at: number | null;
  status: 'active' | 'archived';
  external_key_id: string | null;
}

export type StoredKind = 'file' | 'batch' | 'response' | 'model';

/** An object whose content is sealed under a data key that the customer's KMS encrypted. */
export interface StoredObject {
  id: string;
  kind: StoredKind;
  projectId: string;
  createdAt: number;
  /** Not protected by the key (e.g. a batch's status and its output file id). */
  metadata: Record<string, unknown>;
  sealed: Sealed;
  /** The data key as the KMS encrypted it (base64), and the key that did it. */
  encryptedDataKey: string;
  encryptedUnderKeyArn: string;
}

export interface AuditLogEntry {
  id: string;
  type: string;
  effective_at: number;
  project?: { id: string; name: string };
  actor: { type: 'api_key'; api_key: { type: 'admin' } };
  [detail: string]: unknown;
}

export interface TwinData {
  orgId: string;
  adminKey: string;
  externalKeys: RegisteredExternalKey[];
  projects: Project[];
  projectApiKeys: { value: string; projectId: string }[];
  objects: StoredObject[];
  auditLogs: AuditLogEntry[];
}

export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('hex')}`;
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);

export class TwinStore {
  readonly data: TwinData;
  constructor(private readonly file?: string) {
    this.data = (file && fs.existsSync(file)
      ? (JSON.parse(fs.readFileSync(file, 'utf8')) as TwinData)
      : undefined) ?? {
      orgId: newId('org'),
      // Sandbox secrets: obviously fake, never valid anywhere else.
      adminKey: `sk-admin-sandbox-${randomBytes(16).toString('hex')}`,
      externalKeys: [],
      projects: [],
      projectApiKeys: [],
      objects: [],
      auditLogs: [],
    };
    this.save();
  }

  save(): void {
    if (!this.file) return;
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(this.data, null, 2));
    fs.renameSync(tmp, this.file);
  }

  audit(type: string, details: Record<string, unknown>, project?: Project): void {
    this.data.auditLogs.push({
      id: newId('audit_log'),
      type,
      effective_at: nowSeconds(),
      ...(project ? { project: { id: project.id, name: project.name } } : {}),
      actor: { type: 'api_key', api_key: { type: 'admin' } },
      ...details,
    });
  }

  newProjectApiKey(projectId: string): string {
    const value = `sk-proj-sandbox-${randomBytes(16).toString('hex')}`;
    this.data.projectApiKeys.push({ value, projectId });
    return value;
  }
}
