// Least privilege for Google Cloud, proven against the Cloud KMS fake, which enforces IAM per caller: two
// custom roles defined from policies/gcp/*.yaml, each bound on the key ring to its own service account, and
// the real GCP activities run with clients whose every KMS call is made as that service account. The read
// worker's activities work with its role and every change is refused to it, leaving the key as it was; every
// change works with the mutating worker's role; and each role holds exactly what its worker's code needs.
//
// The activities are built from their factories (providers/gcp/activities/*Activity(clients)), not through
// createActivities: requireApproval's gate is not what this file is about (test/e2e/signedApprovals.test.ts
// is), and the permissions a worker needs are those of the calls inside the activity.
//
// Why a Proxy sets the caller: in production each worker runs as its own service account (Application
// Default Credentials: the attached service account, or GOOGLE_APPLICATION_CREDENTIALS), and Google learns the
// caller from the token. The fake names the caller by a gRPC metadata header instead (sandbox/gcp/principal.ts),
// and @google-cloud/kms has no per-client way to add one, only per call (sandbox/gcp/README.md). The Proxy adds
// it to every call the activities make; a call it cannot attribute fails the test, because a call without the
// header is the project owner's and would be allowed everything.
//
// What the fake cannot show: it lets every caller read logs (sandbox/gcp/loggingService.ts), so the two
// Logging permissions of the read role (logging.logEntries.list, logging.privateLogEntries.list) are checked
// against Google's documentation, not here (policies/README.md, "Google Cloud"); and it has no project-level
// policy, so the read role, which production grants on the project, is bound on the key ring here (a
// project grant reaches every key ring below it).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { KeyManagementServiceClient } from '@google-cloud/kms';
import { ApplicationFailure } from '@temporalio/common';
import type { EkmActivities } from '../../activities';
import { createGcpClients, type GcpClients } from '../../providers/gcp/activities/clients';
import { describeGcpKeyActivity } from '../../providers/gcp/activities/describeKey';
import {
  cancelGcpKeyDestructionActivity,
  scheduleGcpKeyDestructionActivity,
} from '../../providers/gcp/activities/keyDestruction';
import { readGcpKeyRotationActivity, rotateGcpKeyActivity } from '../../providers/gcp/activities/keyRotation';
import { readGcpKeyUsageActivity } from '../../providers/gcp/activities/keyUsage';
import {
  createGcpReplacementKeyActivity,
  grantGcpOpenAiAccessActivity,
} from '../../providers/gcp/activities/replacementKey';
import { restoreGcpAccessActivity } from '../../providers/gcp/activities/restoreAccess';
import { revokeGcpAccessActivity } from '../../providers/gcp/activities/revokeAccess';
import { snapshotGcpAccessActivity } from '../../providers/gcp/activities/snapshotAccess';
import { mutatingActivities } from '../../providers/mutatingActivities';
import { EkmError } from '../../common/errors';
import { projectRoot } from '../../sandbox/paths';
import { asPrincipal, startGcpWorld, type GcpWorld } from '../fixtures/gcpKms';
import { encrypterDecrypter, openAiPrincipal as openai } from '../fixtures/gcpProvider';
import { testOwnership } from '../fixtures/ownership';

const projectId = 'customer-project';
const location = `projects/${projectId}/locations/global`;
const day = 86_400;
const readWorker = `serviceAccount:ekm-read@${projectId}.iam.gserviceaccount.com`;
const mutatingWorker = `serviceAccount:ekm-mutating@${projectId}.iam.gserviceaccount.com`;

// ---- the role files ----------------------------------------------------------------------------------

interface RoleFile {
  title: string;
  description: string;
  stage: string;
  includedPermissions: string[];
}

/**
 * Reads a role file in the simple form policies/gcp keeps (what `gcloud iam roles create --file` takes, as
 * prettier writes it): `key: 'string'` lines, `includedPermissions:` followed by `  - permission` lines,
 * comments on lines of their own. Any other line fails the test, so the files stay that simple (no YAML
 * library is a dependency).
 */
function readRoleFile(file: string): RoleFile {
  const text = fs.readFileSync(path.join(projectRoot, 'policies', 'gcp', file), 'utf8');
  const scalars: Record<string, string> = {};
  const permissions: string[] = [];
  let inList = false;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trimEnd();
    if (line.trim() === '' || line.trimStart().startsWith('#')) return;
    const item = /^ {2}- ([a-z][A-Za-z]*(\.[A-Za-z]+){2})$/.exec(line);
    if (item && inList) {
      permissions.push(item[1]!);
      return;
    }
    const field = /^([A-Za-z]+):(?: '([^']*)')?$/.exec(line);
    if (field && field[2] !== undefined && scalars[field[1]!] === undefined) {
      scalars[field[1]!] = field[2];
      inList = false;
      return;
    }
    if (field && field[1] === 'includedPermissions' && field[2] === undefined && !permissions.length) {
      inList = true;
      return;
    }
    throw new Error(`policies/gcp/${file}:${i + 1}: "${line}" is not in the form this test reads`);
  });
  const { title, description, stage, ...rest } = scalars;
  assert.deepEqual(Object.keys(rest), [], `${file}: unexpected fields`);
  assert.ok(title && description && stage, `${file}: title, description and stage`);
  return { title, description, stage, includedPermissions: permissions };
}

// ---- the workers' clients and activities -------------------------------------------------------------

/** The product's clients (createGcpClients, as a worker makes them), every KMS call made as `member`. */
function clientsOf(w: GcpWorld, member: string): GcpClients {
  const clients = createGcpClients({ projectId, endpoint: w.fake.address });
  const callAs = asPrincipal(w.fake, member);
  const kms = new Proxy(clients.kms, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      // close() runs with the client as `this`, so its own members are not wrapped.
      if (prop === 'close') return (value as () => Promise<void>).bind(target);
      return (...args: unknown[]) => {
        // The activities pass one request and no options; anything else would go out without the header.
        if (args.length !== 1)
          throw new Error(`kms.${String(prop)} called with ${args.length} arguments: cannot name the caller`);
        return (value as (...a: unknown[]) => unknown).apply(target, [args[0], callAs]);
      };
    },
  }) as KeyManagementServiceClient;
  // Logging is not wrapped: the fake does not check who reads logs (see the top of this file).
  return { ...clients, kms };
}

function activitiesOf(clients: GcpClients) {
  return {
    describeGcpKey: describeGcpKeyActivity(clients),
    snapshotGcpAccess: snapshotGcpAccessActivity(clients),
    readGcpKeyRotation: readGcpKeyRotationActivity(clients),
    readGcpKeyUsage: readGcpKeyUsageActivity(clients),
    revokeGcpAccess: revokeGcpAccessActivity(clients),
    restoreGcpAccess: restoreGcpAccessActivity(clients),
    rotateGcpKey: rotateGcpKeyActivity(clients),
    createGcpReplacementKey: createGcpReplacementKeyActivity(clients, testOwnership()),
    grantGcpOpenAiAccess: grantGcpOpenAiAccessActivity(clients),
    scheduleGcpKeyDestruction: scheduleGcpKeyDestructionActivity(clients),
    cancelGcpKeyDestruction: cancelGcpKeyDestructionActivity(clients),
  };
}
type GcpActivities = ReturnType<typeof activitiesOf>;

// Every GCP activity the worker registers is in activitiesOf, and no other: a new one fails the build here.
type RegisteredGcpActivity = Extract<keyof EkmActivities, `${string}Gcp${string}`>;
const everyGcpActivity: Record<RegisteredGcpActivity, true> & Record<keyof GcpActivities, true> = {
  describeGcpKey: true,
  snapshotGcpAccess: true,
  readGcpKeyRotation: true,
  readGcpKeyUsage: true,
  revokeGcpAccess: true,
  restoreGcpAccess: true,
  rotateGcpKey: true,
  createGcpReplacementKey: true,
  grantGcpOpenAiAccess: true,
  scheduleGcpKeyDestruction: true,
  cancelGcpKeyDestruction: true,
};
const gcpActivityNames = Object.keys(everyGcpActivity);
const mutatingGcp = gcpActivityNames.filter((n) => (mutatingActivities as readonly string[]).includes(n));
const readGcp = gcpActivityNames.filter((n) => !mutatingGcp.includes(n));

/** A final CloudAccessDenied (providers/gcp/activities/errors.ts: PERMISSION_DENIED) naming `permission`. */
async function refused(promise: Promise<unknown>, permission?: string): Promise<string> {
  let message = '';
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof ApplicationFailure, `an ApplicationFailure, got ${String(err)}`);
    assert.equal(err.type, EkmError.CloudAccessDenied, err.message);
    assert.equal(err.nonRetryable, true, 'final');
    message = err.message;
    return true;
  });
  if (permission) assert.ok(message.includes(`'${permission}'`), `refused for ${permission}: ${message}`);
  return message;
}

/** The permission a refusal names (the fake: "Permission 'P' denied on resource …"). */
const deniedPermission = (message: string) => /Permission '([^']+)' denied/.exec(message)?.[1];

describe('least privilege on Google Cloud: each worker with exactly its custom role (Cloud KMS fake)', function () {
  this.timeout(60_000);

  const readRoleFileDef = readRoleFile('ekm-read-worker.yaml');
  const mutatingRoleFileDef = readRoleFile('ekm-mutating-worker.yaml');
  const readRole = `projects/${projectId}/roles/ekmReadWorker`;
  const mutatingRole = `projects/${projectId}/roles/ekmMutatingWorker`;
  /** The Logging permissions: project-level in Google Cloud, not checked by the fake. */
  const logging = (p: string) => p.startsWith('logging.');

  let w: GcpWorld;
  let ring: string;
  let reader: GcpActivities;
  let mutator: GcpActivities;
  const workerClients: GcpClients[] = [];
  let keys = 0;

  before(async () => {
    w = await startGcpWorld({ projectId });
    w.fake.defineCustomRole(readRole, readRoleFileDef.includedPermissions);
    w.fake.defineCustomRole(mutatingRole, mutatingRoleFileDef.includedPermissions);
    const [keyRing] = await w.kms.createKeyRing({ parent: location, keyRingId: 'ekm', keyRing: {} });
    ring = keyRing.name!;
    // As policies/README.md says: the mutating role on the key ring; the read role on the project, which
    // the fake has no policy for, so on the ring.
    await w.iam.setIamPolicy({
      resource: ring,
      policy: {
        bindings: [
          { role: readRole, members: [readWorker] },
          { role: mutatingRole, members: [mutatingWorker] },
        ],
      },
    });
    for (const member of [readWorker, mutatingWorker]) workerClients.push(clientsOf(w, member));
    reader = activitiesOf(workerClients[0]!);
    mutator = activitiesOf(workerClients[1]!);
  });

  after(async () => {
    for (const c of workerClients) {
      await c.kms.close();
      await (c.logging.loggingService as unknown as { close(): Promise<void> } | undefined)?.close();
    }
    await w?.close();
  });

  // ---- the world, as the customer's owner sets it up and reads it --------------------------------------

  /** A key in the ring: OpenAI bound to encrypterDecrypter on it, automatic rotation every 30 days. */
  async function newKey(opts: { bound?: boolean; rotation?: boolean } = {}): Promise<string> {
    const [key] = await w.kms.createCryptoKey({
      parent: ring,
      cryptoKeyId: `ekm-key-${++keys}`,
      cryptoKey: { purpose: 'ENCRYPT_DECRYPT' },
    });
    const name = key.name!;
    if (opts.rotation !== false)
      await w.kms.updateCryptoKey({
        cryptoKey: {
          name,
          rotationPeriod: { seconds: 30 * day },
          nextRotationTime: { seconds: Math.floor(w.fake.now().getTime() / 1000) + 10 * day },
        },
        updateMask: { paths: ['rotation_period', 'next_rotation_time'] },
      });
    if (opts.bound !== false)
      await w.iam.setIamPolicy({
        resource: name,
        policy: { bindings: [{ role: encrypterDecrypter, members: [openai] }] },
      });
    return name;
  }

  async function openAiEncrypts(key: string): Promise<Uint8Array> {
    const [sealed] = await w.kms.encrypt({ name: key, plaintext: Buffer.from('data key') }, w.as(openai));
    return sealed.ciphertext as Uint8Array;
  }

  async function openAiDecryptCode(key: string, ciphertext: Uint8Array): Promise<number> {
    try {
      await w.kms.decrypt({ name: key, ciphertext }, w.as(openai));
      return 0;
    } catch (err) {
      return (err as { code: number }).code;
    }
  }

  const b64 = (etag: unknown) => Buffer.from((etag ?? new Uint8Array()) as Uint8Array).toString('base64');

  /** Everything a change could touch, read as the owner: policies with their etags, versions, rotation. */
  async function stateOf(key: string) {
    const [policy] = await w.iam.getIamPolicy({ resource: key });
    const [ringPolicy] = await w.iam.getIamPolicy({ resource: ring });
    const [k] = await w.kms.getCryptoKey({ name: key });
    const [versions] = await w.kms.listCryptoKeyVersions({ parent: key });
    const [ringKeys] = await w.kms.listCryptoKeys({ parent: ring });
    return {
      etag: b64(policy.etag),
      bindings: (policy.bindings ?? []).map((b) => `${b.role}=${[...(b.members ?? [])].sort().join(',')}`),
      ringEtag: b64(ringPolicy.etag),
      primary: k.primary?.name ?? null,
      rotation: `${String(k.rotationPeriod?.seconds ?? '-')}s next ${String(k.nextRotationTime?.seconds ?? '-')}`,
      versions: versions.map((v) => `${v.name!.split('/').pop()}:${String(v.state)}`),
      ringKeys: ringKeys.map((x) => x.name).sort(),
    };
  }

  const hasOpenAi = async (key: string) => (await stateOf(key)).bindings.some((b) => b.includes(openai));

  /** Permissions in the audit entries of `member`'s calls, granted or refused. */
  function auditedPermissions(member: string, granted: boolean): Set<string> {
    const email = member.replace(/^serviceAccount:/, '');
    const found = new Set<string>();
    for (const e of w.fake.auditEntries())
      if (e.protoPayload.authenticationInfo?.principalEmail === email)
        for (const a of e.protoPayload.authorizationInfo ?? [])
          if (Boolean(a.granted) === granted) found.add(a.permission);
    return found;
  }

  // ---- what each worker does ----------------------------------------------------------------------------

  /** Every read-queue GCP activity, on a bound key OpenAI has used. */
  async function readRunbook(r: GcpActivities): Promise<void> {
    const key = await newKey();
    await openAiEncrypts(key);
    const described = await r.describeGcpKey({ keyName: key });
    assert.equal(described.state, 'ENABLED');
    assert.equal(described.rotationPeriodSeconds, 30 * day);
    const snapshot = await r.snapshotGcpAccess({ keyName: key, principal: openai });
    assert.deepEqual(
      snapshot.bindings.map((b) => `${b.resource}:${b.role}`),
      [`${key}:${encrypterDecrypter}`],
    );
    const rotation = await r.readGcpKeyRotation({ keyName: key });
    assert.equal(rotation.latestVersion, 1);
    const now = w.fake.now().getTime();
    const usage = await r.readGcpKeyUsage({
      keyName: key,
      principal: openai,
      since: new Date(now - 3_600_000).toISOString(),
      until: new Date(now + 60_000).toISOString(),
    });
    assert.equal(usage.operations.Encrypt?.successful, 1, JSON.stringify(usage.operations));
  }

  /**
   * Every mutating GCP activity, as the split runs them: the read worker takes the snapshot and reads the
   * rotation, the mutating worker changes; each effect read back as the owner (or as OpenAI).
   */
  async function mutatingRunbook(r: GcpActivities, m: GcpActivities): Promise<void> {
    const key = await newKey();
    const sealed = await openAiEncrypts(key);
    const snapshot = await r.snapshotGcpAccess({ keyName: key, principal: openai });

    // remove-binding and its restore
    const byBinding = await m.revokeGcpAccess({ method: 'remove-binding', keyName: key, principal: openai });
    assert.equal(byBinding.changed, true, byBinding.description);
    assert.equal(await hasOpenAi(key), false);
    assert.equal(await openAiDecryptCode(key, sealed), 7, 'OpenAI refused');
    const bindingBack = await m.restoreGcpAccess({ method: 'remove-binding', snapshot });
    assert.equal(bindingBack.changed, true, bindingBack.description);
    assert.equal(await openAiDecryptCode(key, sealed), 0, 'OpenAI decrypts again');

    // disable-versions (rotation stopped first) and its restore
    const byVersions = await m.revokeGcpAccess({
      method: 'disable-versions',
      keyName: key,
      principal: openai,
    });
    assert.equal(byVersions.changed, true, byVersions.description);
    let state = await stateOf(key);
    assert.deepEqual(state.versions, ['1:DISABLED']);
    assert.match(state.rotation, /^-s next -$/);
    const versionsBack = await m.restoreGcpAccess({ method: 'disable-versions', snapshot });
    assert.equal(versionsBack.changed, true, versionsBack.description);
    state = await stateOf(key);
    assert.deepEqual(state.versions, ['1:ENABLED']);
    assert.match(state.rotation, new RegExp(`^${30 * day}s next \\d+$`));

    // rotation: automatic (a new period), then now
    const automatic = await m.rotateGcpKey({
      keyName: key,
      rotation: { kind: 'automatic', periodSeconds: 60 * day },
    });
    assert.equal(automatic.changed, true, automatic.description);
    const { latestVersion } = await r.readGcpKeyRotation({ keyName: key });
    const rotated = await m.rotateGcpKey({
      keyName: key,
      rotation: { kind: 'now' },
      latestVersionBefore: latestVersion,
    });
    assert.equal(rotated.changed, true, rotated.description);
    state = await stateOf(key);
    assert.equal(state.primary, `${key}/cryptoKeyVersions/2`);
    assert.match(state.rotation, new RegExp(`^${60 * day}s next \\d+$`));

    // the replacement key, in the same ring, and OpenAI's binding on it
    const replacement = await m.createGcpReplacementKey({
      keyName: key,
      newKeyId: `${key.split('/').pop()}-next`,
      workflowId: `ekm-key:${key}`,
      step: 'replace',
      rotationPeriodSeconds: 90 * day,
    });
    assert.equal(replacement.created, true, replacement.description);
    const granted = await m.grantGcpOpenAiAccess({ keyName: replacement.keyName, principal: openai });
    assert.equal(granted.changed, true, granted.description);
    const fresh = await openAiEncrypts(replacement.keyName);
    assert.equal(await openAiDecryptCode(replacement.keyName, fresh), 0, 'OpenAI uses the replacement');

    // the old key's destruction, and its cancellation
    const destruction = await m.scheduleGcpKeyDestruction({ keyName: key });
    assert.equal(destruction.changed, true, destruction.description);
    assert.deepEqual((await stateOf(key)).versions, ['1:DESTROY_SCHEDULED', '2:DESTROY_SCHEDULED']);
    const cancelled = await m.cancelGcpKeyDestruction({ keyName: key });
    assert.equal(cancelled.changed, true, cancelled.description);
    assert.deepEqual((await stateOf(key)).versions, ['1:DISABLED', '2:DISABLED']);
  }

  // ---- the tests ----------------------------------------------------------------------------------------

  it('the role files are what gcloud takes, and the activities split as providers/mutatingActivities.ts says', function () {
    for (const role of [readRoleFileDef, mutatingRoleFileDef]) {
      assert.equal(role.stage, 'GA');
      assert.ok(role.title.length <= 100 && role.description.length <= 256, 'gcloud length limits');
      assert.equal(new Set(role.includedPermissions).size, role.includedPermissions.length, 'no repeats');
    }
    assert.deepEqual(readGcp, [
      'describeGcpKey',
      'snapshotGcpAccess',
      'readGcpKeyRotation',
      'readGcpKeyUsage',
    ]);
    assert.deepEqual([...mutatingGcp].sort(), mutatingActivities.filter((n) => n.includes('Gcp')).sort());
    // Never the use of a key: neither worker ever encrypts or decrypts.
    for (const p of [...readRoleFileDef.includedPermissions, ...mutatingRoleFileDef.includedPermissions])
      assert.doesNotMatch(p, /useTo/);
    // The read role changes nothing: no permission of a change.
    for (const p of readRoleFileDef.includedPermissions)
      assert.match(p, /\.(get|list|getIamPolicy)$/, `${p} in the read role`);
  });

  it('the read worker: every read-queue activity works with the read role', async function () {
    await readRunbook(reader);
  });

  it('the read worker is refused every change, and the key stays as it was', async function () {
    const bound = await newKey();
    const unbound = await newKey({ bound: false });
    const noRotation = await newKey({ rotation: false });
    // Restores need something to put back: a revocation done meanwhile (by the owner here).
    const revokedBinding = await newKey();
    const bindingSnapshot = await reader.snapshotGcpAccess({ keyName: revokedBinding, principal: openai });
    await w.iam.setIamPolicy({ resource: revokedBinding, policy: { bindings: [] } });
    const disabled = await newKey({ rotation: false });
    const versionsSnapshot = await reader.snapshotGcpAccess({ keyName: disabled, principal: openai });
    await w.kms.updateCryptoKeyVersion({
      cryptoKeyVersion: { name: `${disabled}/cryptoKeyVersions/1`, state: 'DISABLED' },
      updateMask: { paths: ['state'] },
    });
    const scheduled = await newKey({ rotation: false });
    await w.kms.destroyCryptoKeyVersion({ name: `${scheduled}/cryptoKeyVersions/1` });

    // Each change, the key it would change, and the permission it is refused (after the reads it may do).
    const attempts: [string, string, string, () => Promise<unknown>][] = [
      [
        'revokeGcpAccess remove-binding',
        bound,
        'cloudkms.cryptoKeys.setIamPolicy',
        () => reader.revokeGcpAccess({ method: 'remove-binding', keyName: bound, principal: openai }),
      ],
      [
        'revokeGcpAccess disable-versions',
        bound,
        'cloudkms.cryptoKeys.update',
        () => reader.revokeGcpAccess({ method: 'disable-versions', keyName: bound, principal: openai }),
      ],
      [
        'revokeGcpAccess disable-versions (no rotation)',
        noRotation,
        'cloudkms.cryptoKeyVersions.update',
        () => reader.revokeGcpAccess({ method: 'disable-versions', keyName: noRotation, principal: openai }),
      ],
      [
        'restoreGcpAccess remove-binding',
        revokedBinding,
        'cloudkms.cryptoKeys.setIamPolicy',
        () => reader.restoreGcpAccess({ method: 'remove-binding', snapshot: bindingSnapshot }),
      ],
      [
        'restoreGcpAccess disable-versions',
        disabled,
        'cloudkms.cryptoKeyVersions.update',
        () => reader.restoreGcpAccess({ method: 'disable-versions', snapshot: versionsSnapshot }),
      ],
      [
        'rotateGcpKey now',
        bound,
        'cloudkms.cryptoKeyVersions.create',
        () => reader.rotateGcpKey({ keyName: bound, rotation: { kind: 'now' }, latestVersionBefore: 1 }),
      ],
      [
        'rotateGcpKey automatic',
        bound,
        'cloudkms.cryptoKeys.update',
        () =>
          reader.rotateGcpKey({ keyName: bound, rotation: { kind: 'automatic', periodSeconds: 60 * day } }),
      ],
      [
        'createGcpReplacementKey',
        bound,
        'cloudkms.cryptoKeys.create',
        () =>
          reader.createGcpReplacementKey({
            keyName: bound,
            newKeyId: 'never-made',
            workflowId: 'wf',
            step: 's',
          }),
      ],
      [
        'grantGcpOpenAiAccess',
        unbound,
        'cloudkms.cryptoKeys.setIamPolicy',
        () => reader.grantGcpOpenAiAccess({ keyName: unbound, principal: openai }),
      ],
      [
        'scheduleGcpKeyDestruction',
        bound,
        'cloudkms.cryptoKeys.update',
        () => reader.scheduleGcpKeyDestruction({ keyName: bound }),
      ],
      [
        'cancelGcpKeyDestruction',
        scheduled,
        'cloudkms.cryptoKeyVersions.restore',
        () => reader.cancelGcpKeyDestruction({ keyName: scheduled }),
      ],
    ];
    const tried = new Set<string>();
    for (const [what, key, permission, attempt] of attempts) {
      const before = await stateOf(key);
      await refused(attempt(), permission).catch((err: Error) => {
        throw new Error(`${what}: ${err.message}`);
      });
      assert.deepEqual(await stateOf(key), before, `${what} changed ${key}`);
      tried.add(what.split(' ')[0]!);
    }
    assert.deepEqual([...tried].sort(), [...mutatingGcp].sort(), 'every mutating activity tried');
    assert.equal(await hasOpenAi(bound), true);
    // The fake wrote each refusal, as Cloud Audit Logs do: the read worker's calls there are all refused.
    assert.deepEqual(
      [...auditedPermissions(readWorker, true)],
      [],
      'no change of the read worker was granted',
    );
    const readRefused = auditedPermissions(readWorker, false);
    for (const [, , permission] of attempts) assert.ok(readRefused.has(permission), permission);
  });

  it('the mutating worker: every change works with the mutating role', async function () {
    await mutatingRunbook(reader, mutator);
  });

  it('the mutating role holds exactly what the changes use: the audit entries, and each permission taken away', async function () {
    // Granted to the mutating worker in the fake's audit entries (each change's own permission).
    await mutatingRunbook(reader, mutator);
    const role = new Set(mutatingRoleFileDef.includedPermissions);
    const used = auditedPermissions(mutatingWorker, true);
    assert.deepEqual([...auditedPermissions(mutatingWorker, false)], [], 'nothing refused to it');
    for (const p of used) assert.ok(role.has(p), `${p} used but not in the role`);
    // The fake writes no entry for reads (Get/List/GetIamPolicy: Data Access ADMIN_READ in Google Cloud,
    // sandbox/gcp/README.md), so what the entries do not show must be a read, and is proven below.
    for (const p of role) if (!used.has(p)) assert.match(p, /\.(get|list|getIamPolicy)$/, `${p} never used`);

    // Each permission taken away from the role: the same runbook is refused, naming that permission.
    for (const p of role) {
      w.fake.defineCustomRole(
        mutatingRole,
        [...role].filter((q) => q !== p),
      );
      try {
        const message = await refused(mutatingRunbook(reader, mutator)).catch((err: Error) => {
          throw new Error(`without ${p}: ${err.message} (a permission the code does not need)`);
        });
        assert.equal(deniedPermission(message), p, `without ${p}: ${message}`);
      } finally {
        w.fake.defineCustomRole(mutatingRole, [...role]);
      }
    }
  });

  it('the read role holds exactly what the reads use: each Cloud KMS permission taken away is missed', async function () {
    const role = readRoleFileDef.includedPermissions;
    // Checked against Google's documentation (policies/README.md), not the fake: it lets anyone read logs.
    assert.deepEqual(role.filter(logging).sort(), [
      'logging.logEntries.list',
      'logging.privateLogEntries.list',
    ]);
    for (const p of role.filter((q) => !logging(q))) {
      w.fake.defineCustomRole(
        readRole,
        role.filter((q) => q !== p),
      );
      try {
        const message = await refused(readRunbook(reader)).catch((err: Error) => {
          throw new Error(`without ${p}: ${err.message} (a permission the code does not need)`);
        });
        assert.equal(deniedPermission(message), p, `without ${p}: ${message}`);
      } finally {
        w.fake.defineCustomRole(readRole, role);
      }
    }
    // And with the whole role, the reads work again (the role was put back as it is in the file).
    await readRunbook(reader);
  });
});
