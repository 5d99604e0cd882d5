// The twin's EKM engine: stores each project's objects sealed under data keys that the customer's KMS
// encrypts, reads them back through a TTL cache of plain data keys, and checks access live (bypassing the
// cache) for registration and validate — as OpenAI describes its EKM.
import { DataKeyCache, newDataKey, open, seal } from './envelope';
import { KeyAccessDenied, type KeyProviders } from './provider';
import {
  newId,
  nowSeconds,
  type RegisteredExternalKey,
  type StoredKind,
  type StoredObject,
  type TwinStore,
} from './state';

export type AccessCheck = { ok: true } | { ok: false; code: string; message: string };

const idPrefix: Record<StoredKind, string> = {
  file: 'file',
  batch: 'batch',
  response: 'resp',
  model: 'ftmodel',
};

export class EkmEngine {
  readonly cache: DataKeyCache;
  constructor(
    private readonly store: TwinStore,
    private readonly provider: KeyProviders,
    cacheTtlMs: number,
    clock: () => number = Date.now,
  ) {
    this.cache = new DataKeyCache(cacheTtlMs, clock);
  }

  externalKeyOfProject(projectId: string): RegisteredExternalKey {
    const project = this.store.data.projects.find((p) => p.id === projectId);
    const key = this.store.data.externalKeys.find((k) => k.id === project?.external_key_id);
    if (!key) throw new Error(`project ${projectId} has no external key`);
    return key;
  }

  /** The registration types this twin can check access for (its configured clouds). */
  keyTypes() {
    return this.provider.types();
  }

  /** A live round trip through the KMS as OpenAI's principal: what registration and validate do. */
  async checkAccess(key: RegisteredExternalKey): Promise<AccessCheck> {
    try {
      const probe = newDataKey();
      const { ciphertext, keyArn } = await this.provider.encryptDataKey(key, probe);
      const back = await this.provider.decryptDataKey(key, ciphertext, keyArn);
      if (!back.equals(probe))
        return { ok: false, code: 'DecryptMismatch', message: 'the KMS returned other bytes' };
      return { ok: true };
    } catch (err) {
      if (err instanceof KeyAccessDenied) return { ok: false, code: err.code, message: err.message };
      throw err;
    }
  }

  /** Seals `content` for the project under a fresh data key encrypted by the project's KMS key. */
  async storeObject(
    projectId: string,
    kind: StoredKind,
    content: string,
    metadata: Record<string, unknown> = {},
  ): Promise<StoredObject> {
    const key = this.externalKeyOfProject(projectId);
    const dataKey = newDataKey();
    const { ciphertext, keyArn } = await this.provider.encryptDataKey(key, dataKey);
    const id =
      kind === 'model'
        ? `ft:gpt-4o-mini-2024-07-18:sandbox::${newId('m').slice(2, 10)}`
        : newId(idPrefix[kind]);
    const object: StoredObject = {
      id,
      kind,
      projectId,
      createdAt: nowSeconds(),
      // A file's size is metadata (its File object answers with it); only the content is sealed.
      metadata: kind === 'file' ? { bytes: Buffer.byteLength(content), ...metadata } : metadata,
      sealed: seal(dataKey, content),
      encryptedDataKey: ciphertext,
      encryptedUnderKeyArn: keyArn,
    };
    this.cache.put(ciphertext, dataKey);
    this.store.data.objects.push(object);
    this.store.save();
    return object;
  }

  /** The object's plaintext; throws KeyAccessDenied once the cache has expired and the KMS refuses. */
  async readObject(object: StoredObject): Promise<string> {
    let dataKey = this.cache.get(object.encryptedDataKey);
    if (!dataKey) {
      const key = this.externalKeyOfProject(object.projectId);
      dataKey = await this.provider.decryptDataKey(key, object.encryptedDataKey, object.encryptedUnderKeyArn);
      this.cache.put(object.encryptedDataKey, dataKey);
    }
    return open(dataKey, object.sealed);
  }
}
