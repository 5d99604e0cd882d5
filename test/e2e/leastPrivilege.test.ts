// Least privilege, once per cloud: each worker holds exactly its policy from policies/<cloud>/, enforced
// where it can be (AWS: a moto that enforces IAM, the workers IAM users holding the policies; Google Cloud:
// the Cloud KMS fake, the workers service accounts holding the custom roles). The same scenarios on every
// cloud: the policy files are in the form the cloud's tools take, every activity of the read queue works
// with the read policy, and each policy holds exactly what its worker uses. Between them, the tests only one
// cloud has: on AWS, what moto does and does not judge (policies/README.md reports it) and each change
// made by the mutating worker after the read worker is refused it, read back as an administrator; on Google
// Cloud, the read worker refused every change with the key as it was, then every change by the mutating
// worker. How each cloud's world and workers are made: test/fixtures/providers/leastPrivilege{Aws,Gcp}.ts.
import assert from 'node:assert/strict';
import { CreateRoleCommand, GetRoleCommand, GetRolePolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import {
  CreateKeyCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  KMSClient,
  PutKeyPolicyCommand,
} from '@aws-sdk/client-kms';
import { GetObjectLockConfigurationCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { EkmActivities } from '../../activities';
import { s3ClientFor, s3EvidenceStore } from '../../activities/evidence/s3Store';
import type { AwsRevocationMethod } from '../../providers/aws/request';
import { runTag } from '../../common/runTag';
import { watchWorkflowId } from '../../common/watchdog';
import { kmsPolicyFor, trustPolicyFor } from '../../sandbox/openai/demo';
import { inRunOf, sampleRevocationStatus } from '../fixtures/evidence';
import {
  asMotoJudgesIt,
  filledPolicy,
  wasRefused,
  type EnforcedWorld,
  type IamUser,
  type PolicyDocument,
} from '../fixtures/iamEnforcedMoto';
import {
  asUser,
  bucket,
  kmsAgainstStar,
  mutatingPolicyFile,
  noRoleNamed,
  readPolicyFile,
  startAwsLeastPrivilege,
  unique,
  widenForMoto,
  type AwsLeastPrivilege,
} from '../fixtures/providers/leastPrivilegeAws';
import {
  day,
  mutatingGcp,
  readWorker,
  refused,
  startGcpLeastPrivilege,
  type GcpLeastPrivilege,
} from '../fixtures/providers/leastPrivilegeGcp';
import { openAiPrincipal as openai } from '../fixtures/gcpProvider';

/** What every cloud's session offers the shared scenarios. */
interface LeastPrivilegeSession {
  /** The policy files are in the form the cloud's tools take, every permission in them accounted for. */
  checkPolicyFiles(): void;
  /** Every activity of the read queue, with the read worker's policy. */
  readRunbook(): Promise<void>;
  mutatingPolicyIsExact(): Promise<void>;
  readPolicyIsExact(): Promise<void>;
  stop(): Promise<void>;
}

interface Cloud<S extends LeastPrivilegeSession> {
  provider: string;
  /** What enforces the policies in this suite. */
  enforcedBy: string;
  timeoutMs: number;
  start(): Promise<S>;
  /** How exactness is proven on this cloud (the end of the exactness tests' titles). */
  exactBy: { mutating: string; read: string };
  /**
   * Whether the exactness checks read the calls every test before them made (so are meaningful only once
   * each of those ran and passed; a --grep run leaves some out).
   */
  exactnessReadsEveryTest: boolean;
  /** The tests only this cloud has, run between the shared reads and the exactness checks. */
  only(session: () => S): void;
}

/** A row of the loop: the session type is the cloud's own inside `only`, the shared one outside. */
const row = <S extends LeastPrivilegeSession>(c: Cloud<S>) => c as unknown as Cloud<LeastPrivilegeSession>;

const clouds = [
  row<AwsLeastPrivilege>({
    provider: 'aws',
    enforcedBy: 'moto with IAM enforcement',
    timeoutMs: 180_000,
    start: startAwsLeastPrivilege,
    exactBy: {
      mutating: 'every action it allows was used by its worker above, and its worker used no other',
      read: 'every action it allows was used by its worker above, and its worker used no other',
    },
    exactnessReadsEveryTest: true,
    only: awsOnly,
  }),
  row<GcpLeastPrivilege>({
    provider: 'gcp',
    enforcedBy: 'the Cloud KMS fake',
    timeoutMs: 60_000,
    start: startGcpLeastPrivilege,
    exactBy: {
      mutating: 'the audit entries, and each permission taken away',
      read: 'each Cloud KMS permission taken away is missed',
    },
    exactnessReadsEveryTest: false,
    only: gcpOnly,
  }),
];

const countTests = (suite: Mocha.Suite): number =>
  suite.tests.length + suite.suites.reduce((n, child) => n + countTests(child), 0);

for (const c of clouds) {
  describe(`least privilege [${c.provider}]: the read and the mutating worker, each with exactly its policy (${c.enforcedBy})`, function () {
    this.timeout(c.timeoutMs);
    let s: LeastPrivilegeSession | undefined;
    const session = () => s!;
    before(async function () {
      s = await c.start();
    });
    let passed = 0;
    afterEach(function () {
      if (this.currentTest?.state === 'passed') passed++;
    });
    after(async function () {
      await s?.stop();
    });

    it('the policy files are in the form the cloud takes, every permission in them accounted for', function () {
      session().checkPolicyFiles();
    });
    it('the read worker: every read-queue activity works with the read policy', async function () {
      await session().readRunbook();
    });

    describe(`${c.provider} only`, function () {
      c.only(session);
    });

    describe('each policy holds exactly what its worker uses', function () {
      beforeEach(function () {
        // The two exactness tests excepted, every test of this cloud must have passed.
        const all = countTests(this.currentTest!.parent!.parent!);
        if (c.exactnessReadsEveryTest && passed < all - 2) this.skip();
      });
      it(`the mutating policy holds exactly what the changes use: ${c.exactBy.mutating}`, async function () {
        await session().mutatingPolicyIsExact();
      });
      it(`the read policy holds exactly what the reads use: ${c.exactBy.read}`, async function () {
        await session().readPolicyIsExact();
      });
    });
  });
}

// ---- AWS only ----------------------------------------------------------------------------------------------

function awsOnly(session: () => AwsLeastPrivilege) {
  let moto: AwsLeastPrivilege['moto'];
  let admin: AwsLeastPrivilege['admin'];
  let accountId: string;
  let read: AwsLeastPrivilege['read'];
  let mutating: AwsLeastPrivilege['mutating'];
  let seed: AwsLeastPrivilege['seed'];
  let stateOf: AwsLeastPrivilege['stateOf'];
  let assertRefused: AwsLeastPrivilege['assertRefused'];
  let roleNameOf: AwsLeastPrivilege['roleNameOf'];
  let s3Evidence: AwsLeastPrivilege['s3Evidence'];
  let placeholderValues: AwsLeastPrivilege['placeholderValues'];
  let setChangeRun: AwsLeastPrivilege['setChangeRun'];
  before(function () {
    ({
      moto,
      admin,
      accountId,
      read,
      mutating,
      seed,
      stateOf,
      assertRefused,
      roleNameOf,
      s3Evidence,
      placeholderValues,
      setChangeRun,
    } = session());
  });

  describe('the policy documents', function () {
    it("reach moto changed only where moto cannot judge them: resources widened, a conditioned Deny left out, moto's names for an S3 and a Tagging API action added", function () {
      const changes = (file: string) =>
        asMotoJudgesIt(filledPolicy(file, placeholderValues()), widenForMoto[file]!).changes;
      assert.deepEqual(changes(readPolicyFile), [
        `Resource "*" for ReadTheKeys: ${kmsAgainstStar}`,
        "FindTheReplacementKeyByItsTags also names tagging:GetResources: moto's name for one of its actions",
        `Resource "*" for ReadTheRolesManagedPolicies: ${noRoleNamed}`,
        "CheckTheEvidenceBucketIsLocked also names s3:ListBucket: moto's name for one of its actions",
      ]);
      assert.deepEqual(changes(mutatingPolicyFile), [
        ...Object.entries(widenForMoto[mutatingPolicyFile]!).map(
          ([sid, why]) => `Resource "*" for ${sid}: ${why}`,
        ),
        'left out NeverBypassTheKeyPolicyLockoutCheck: moto would apply its Deny unconditionally',
      ]);
    });
  });

  describe('what moto judges (policies/README.md reports these)', function () {
    let world: EnforcedWorld;
    before(async function () {
      world = await seed('role');
    });
    const describeKeyAs = (u: IamUser) =>
      new KMSClient({ region: moto.region, endpoint: moto.endpoint, credentials: u.credentials }).send(
        new DescribeKeyCommand({ KeyId: world.demo.aws.keyId }),
      );
    const policyOf = (...Statement: PolicyDocument['Statement']): PolicyDocument => ({
      Version: '2012-10-17',
      Statement,
    });

    it('authorizes every KMS call against "*": a statement scoped to the key\'s own ARN does not match', async function () {
      const scoped = await moto.createUser(
        `kms-scoped-${unique()}`,
        policyOf({ Effect: 'Allow', Action: 'kms:DescribeKey', Resource: world.demo.aws.keyArn }),
      );
      const star = await moto.createUser(
        `kms-star-${unique()}`,
        policyOf({ Effect: 'Allow', Action: 'kms:DescribeKey', Resource: '*' }),
      );
      await assert.rejects(describeKeyAs(scoped));
      assert.ok(wasRefused(moto.calls.at(-1)!), 'refused as AccessDenied');
      await describeKeyAs(star);
    });

    it('treats every condition as met: an Allow AWS would not apply is applied, and so is such a Deny', async function () {
      const allowedByCondition = await moto.createUser(
        `condition-allow-${unique()}`,
        policyOf({
          Effect: 'Allow',
          Action: 'kms:DescribeKey',
          Resource: '*',
          // The key has no such tag: AWS would not apply this statement.
          Condition: { StringEquals: { 'aws:ResourceTag/ekm-never-set': 'yes' } },
        }),
      );
      await describeKeyAs(allowedByCondition);
      const deniedByCondition = await moto.createUser(
        `condition-deny-${unique()}`,
        policyOf(
          { Effect: 'Allow', Action: 'kms:DescribeKey', Resource: '*' },
          {
            Effect: 'Deny',
            Action: 'kms:DescribeKey',
            Resource: '*',
            // DescribeKey has no such key in its request context: AWS would not apply this Deny.
            Condition: { Bool: { 'kms:BypassPolicyLockoutSafetyCheck': 'true' } },
          },
        ),
      );
      await assert.rejects(describeKeyAs(deniedByCondition));
      assert.ok(wasRefused(moto.calls.at(-1)!));
    });

    it('does not judge the caller by the key policy, but for a Deny of DescribeKey on "*", whoever it names', async function () {
      const caller = await moto.createUser(
        `key-policy-probe-${unique()}`,
        policyOf({ Effect: 'Allow', Action: ['kms:DescribeKey', 'kms:DisableKey'], Resource: '*' }),
      );
      const { KeyMetadata } = await admin.kms.send(new CreateKeyCommand({ Description: 'key policy probe' }));
      const KeyId = KeyMetadata!.KeyId!;
      const keyPolicy = (deny: object) =>
        new PutKeyPolicyCommand({
          KeyId,
          PolicyName: 'default',
          Policy: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              {
                Sid: 'Root',
                Effect: 'Allow',
                Principal: { AWS: `arn:aws:iam::${accountId}:root` },
                Action: 'kms:*',
                Resource: '*',
              },
              { Sid: 'Deny', Effect: 'Deny', Resource: '*', ...deny },
            ],
          }),
        });
      const kms = new KMSClient({
        region: moto.region,
        endpoint: moto.endpoint,
        credentials: caller.credentials,
      });
      try {
        await admin.kms.send(keyPolicy({ Principal: { AWS: caller.arn }, Action: 'kms:DisableKey' }));
        await kms.send(new DisableKeyCommand({ KeyId })); // AWS would refuse it: the key policy denies the caller
        await admin.kms.send(
          keyPolicy({
            Principal: { AWS: `arn:aws:iam::${accountId}:role/nobody` },
            Action: 'kms:DescribeKey',
          }),
        );
        await assert.rejects(kms.send(new DescribeKeyCommand({ KeyId })));
        assert.equal(
          moto.calls.at(-1)!.errorCode,
          'AccessDeniedException',
          'refused by a Deny naming someone else',
        );
      } finally {
        kms.destroy();
      }
    });

    it('scopes an IAM call to the role it names only when that role exists', async function () {
      const caller = await moto.createUser(
        `role-scope-probe-${unique()}`,
        policyOf({ Effect: 'Allow', Action: 'iam:GetRole', Resource: world.demo.aws.roleArn }),
      );
      const iam = new IAMClient({
        region: moto.region,
        endpoint: moto.endpoint,
        credentials: caller.credentials,
      });
      const foreign = `someone-elses-role-${unique()}`;
      await admin.iam.send(
        new CreateRoleCommand({
          RoleName: foreign,
          AssumeRolePolicyDocument: JSON.stringify(trustPolicyFor('x')),
        }),
      );
      try {
        await iam.send(new GetRoleCommand({ RoleName: roleNameOf(world) }));
        await assert.rejects(iam.send(new GetRoleCommand({ RoleName: foreign })));
        assert.ok(wasRefused(moto.calls.at(-1)!), 'a role outside the statement: refused');
        // Named by a statement, but not there: AWS answers NoSuchEntity; moto judges against "*" and refuses.
        const absent = new IAMClient({
          region: moto.region,
          endpoint: moto.endpoint,
          credentials: (
            await moto.createUser(
              `role-scope-absent-${unique()}`,
              policyOf({
                Effect: 'Allow',
                Action: 'iam:GetRole',
                Resource: `arn:aws:iam::${accountId}:role/ekm-absent-*`,
              }),
            )
          ).credentials,
        });
        await assert.rejects(absent.send(new GetRoleCommand({ RoleName: `ekm-absent-${unique()}` })));
        assert.ok(wasRefused(moto.calls.at(-1)!), 'a role not there yet: refused');
        absent.destroy();
      } finally {
        iam.destroy();
      }
    });

    it('names two S3 actions its own way: GetObjectLockConfiguration is ListBucket, and a PutObject with a retention needs only PutObject', async function () {
      const s3As = (u: IamUser) =>
        new S3Client({
          region: moto.region,
          endpoint: moto.endpoint,
          forcePathStyle: true,
          credentials: u.credentials,
        });
      const lockOnly = await moto.createUser(
        `s3-lock-only-${unique()}`,
        policyOf({
          Effect: 'Allow',
          Action: 's3:GetBucketObjectLockConfiguration',
          Resource: `arn:aws:s3:::${bucket}`,
        }),
      );
      await assert.rejects(s3As(lockOnly).send(new GetObjectLockConfigurationCommand({ Bucket: bucket })));
      assert.ok(wasRefused(moto.calls.at(-1)!));
      const listOnly = await moto.createUser(
        `s3-list-only-${unique()}`,
        policyOf({ Effect: 'Allow', Action: 's3:ListBucket', Resource: `arn:aws:s3:::${bucket}` }),
      );
      await s3As(listOnly).send(new GetObjectLockConfigurationCommand({ Bucket: bucket }));
      const putOnly = await moto.createUser(
        `s3-put-only-${unique()}`,
        policyOf({ Effect: 'Allow', Action: 's3:PutObject', Resource: `arn:aws:s3:::${bucket}/probe/*` }),
      );
      await s3As(putOnly).send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: `probe/${unique()}`,
          Body: 'x',
          ObjectLockMode: 'GOVERNANCE',
          ObjectLockRetainUntilDate: new Date(Date.now() + 86_400_000),
          ChecksumAlgorithm: 'SHA256',
        }),
      );
      assert.deepEqual(moto.calls.at(-1)!.implied, ['s3:PutObjectRetention'], 'AWS would need it');
    });
  });

  describe('the read worker', function () {
    it('reads no role outside its policy, and writes no evidence outside its prefix', async function () {
      const world = await seed('role');
      const { keyArn, externalId } = world.demo.aws;
      const foreign = `someone-elses-role-${unique()}`;
      const { Role } = await admin.iam.send(
        new CreateRoleCommand({
          RoleName: foreign,
          AssumeRolePolicyDocument: JSON.stringify(trustPolicyFor(externalId)),
        }),
      );
      // The role's three reads are made at once (the read right after an approval is one round trip).
      await assertRefused(
        read.user,
        ['iam:GetRole', 'iam:ListRolePolicies', 'iam:ListAttachedRolePolicies'],
        () => read.activities.snapshotAwsAccess({ keyArn, roleArn: Role!.Arn! }),
      );
      const elsewhere = s3EvidenceStore({ ...s3Evidence(), prefix: 'elsewhere/' }, undefined, {
        client: await asUser(
          read.user,
          () => s3ClientFor(s3Evidence()),
          (c) => [c],
        ),
      });
      await assertRefused(read.user, 's3:PutObject', () =>
        elsewhere.write('ekm-key:x', 'run', 'evidence.json', '{}'),
      );
    });
  });

  describe('the mutating worker, and the read worker refused the same changes', function () {
    const methods: {
      method: AwsRevocationMethod;
      accessBy: 'role' | 'grant';
      revoke: string;
      restore: string;
    }[] = [
      {
        method: 'remove-trust',
        accessBy: 'role',
        revoke: 'iam:UpdateAssumeRolePolicy',
        restore: 'iam:UpdateAssumeRolePolicy',
      },
      {
        method: 'remove-key-permission',
        accessBy: 'role',
        revoke: 'iam:DeleteRolePolicy',
        restore: 'iam:PutRolePolicy',
      },
      {
        method: 'key-policy-deny',
        accessBy: 'role',
        revoke: 'kms:PutKeyPolicy',
        restore: 'kms:PutKeyPolicy',
      },
      { method: 'revoke-grant', accessBy: 'grant', revoke: 'kms:RevokeGrant', restore: 'kms:CreateGrant' },
      { method: 'disable-key', accessBy: 'role', revoke: 'kms:DisableKey', restore: 'kms:EnableKey' },
    ];

    for (const { method, accessBy, revoke, restore } of methods) {
      it(`${method}: revoke and restore from the read worker's snapshot; the read worker is refused both`, async function () {
        const world = await seed(accessBy);
        const { keyArn, roleArn } = world.demo.aws;
        const before = await stateOf(world);
        // As the split runs it: the snapshot on the read queue, the change on the mutating one.
        const snapshot = await read.activities.snapshotAwsAccess({ keyArn, roleArn });

        await assertRefused(read.user, revoke, () =>
          read.activities.revokeAwsAccess({ method, keyArn, roleArn, snapshot }),
        );
        assert.deepEqual(await stateOf(world), before, 'the read worker changed nothing');
        const revoked = await mutating.activities.revokeAwsAccess({ method, keyArn, roleArn, snapshot });
        assert.equal(revoked.changed, true, revoked.description);
        const after = await stateOf(world);
        assert.notDeepEqual(after, before);

        await assertRefused(read.user, restore, () => read.activities.restoreAwsAccess({ method, snapshot }));
        assert.deepEqual(await stateOf(world), after, 'the read worker put nothing back');
        const restored = await mutating.activities.restoreAwsAccess({ method, snapshot });
        assert.equal(restored.changed, true, restored.description);
        assert.deepEqual(await stateOf(world), before, 'restored (a re-created grant only has a new id)');
      });
    }

    it('rotation (automatic, then now), deletion scheduled and cancelled; the read worker is refused each', async function () {
      const world = await seed('role');
      const { keyArn } = world.demo.aws;
      const notBefore = new Date(Date.now() - 1000).toISOString();
      const automatic = { keyArn, rotation: { kind: 'automatic', periodDays: 180 } as const, notBefore };
      const now = { keyArn, rotation: { kind: 'now' } as const, notBefore };
      let state = await stateOf(world);

      await assertRefused(read.user, 'kms:EnableKeyRotation', () => read.activities.rotateAwsKey(automatic));
      assert.deepEqual(await stateOf(world), state);
      assert.equal((await mutating.activities.rotateAwsKey(automatic)).changed, true);
      state = await stateOf(world);
      await assertRefused(read.user, 'kms:RotateKeyOnDemand', () => read.activities.rotateAwsKey(now));
      assert.deepEqual(await stateOf(world), state);
      assert.equal((await mutating.activities.rotateAwsKey(now)).changed, true);
      const rotation = await read.activities.readAwsKeyRotation(keyArn);
      assert.equal(rotation.automatic, true);
      assert.ok(
        rotation.rotations.some((r) => r.type === 'ON_DEMAND'),
        JSON.stringify(rotation),
      );

      state = await stateOf(world);
      await assertRefused(read.user, 'kms:ScheduleKeyDeletion', () =>
        read.activities.scheduleAwsKeyDeletion({ keyArn, days: 7 }),
      );
      assert.deepEqual(await stateOf(world), state);
      assert.equal((await mutating.activities.scheduleAwsKeyDeletion({ keyArn, days: 7 })).changed, true);
      state = await stateOf(world);
      // The cancel is the deletion watch's automatic action: called as the key's own watch.
      const asItsWatch = new MockActivityEnvironment({
        workflowType: 'watchKeyDeletion',
        workflowExecution: { workflowId: watchWorkflowId(keyArn), runId: 'run' },
      });
      await assertRefused(read.user, 'kms:CancelKeyDeletion', () =>
        asItsWatch.run(() => read.activities.cancelAwsKeyDeletion({ keyArn })),
      );
      assert.deepEqual(await stateOf(world), state);
      const cancelled = (await asItsWatch.run(mutating.activities.cancelAwsKeyDeletion, {
        keyArn,
      })) as Awaited<ReturnType<EkmActivities['cancelAwsKeyDeletion']>>;
      assert.deepEqual([cancelled.changed, cancelled.state], [true, 'Disabled']);
    });

    it('the replacement key and the role OpenAI assumes; the read worker is refused each and makes nothing', async function () {
      const world = await seed('role');
      const changeRun = { workflowId: `ekm-key:least-privilege-${unique()}`, runId: 'run' };
      setChangeRun(changeRun);
      // The names a run gives carry it: the key's tags its workflow and run, the role its run's tag.
      const step = { workflowId: `${changeRun.workflowId}/${changeRun.runId}`, step: 'replacement-key' };
      let state = await stateOf(world);

      await assertRefused(read.user, 'kms:CreateKey', () =>
        read.activities.createReplacementKeyOnce({ ...step, description: 'ekm test: replacement' }),
      );
      assert.deepEqual(await stateOf(world), state, 'no key made');
      const made = await mutating.activities.createReplacementKeyOnce({
        ...step,
        description: 'ekm test: replacement',
      });
      assert.deepEqual(
        await read.activities.findReplacementKey(step),
        made,
        'the read worker finds it by its tags',
      );

      const roleName = `ekm-openai-${runTag(changeRun.runId)}`;
      const grant = {
        keyArn: made.keyArn,
        roleName,
        externalId: world.demo.aws.externalId,
        step: 'replacement-role',
      };
      state = await stateOf(world);
      // moto judges GetRole of a role not there yet against "*", which the read worker's role statement does
      // not match; AWS would answer NoSuchEntity and refuse the CreateRole.
      await assertRefused(read.user, 'iam:GetRole', () => read.activities.grantOpenAiAccess(grant));
      assert.deepEqual(await stateOf(world), state, 'no role made');
      const { roleArn } = await mutating.activities.grantOpenAiAccess(grant);
      const from = moto.calls.length;
      assert.deepEqual(await mutating.activities.grantOpenAiAccess(grant), { roleArn });
      assert.deepEqual(
        moto.calls.slice(from).map((c) => c.action),
        // The key's tags first: OpenAI is given access only to the key tagged as this run's replacement.
        ['kms:ListResourceTags', 'iam:GetRole', 'iam:GetRolePolicy'],
        'a second grant only reads',
      );
      const { PolicyDocument } = await admin.iam.send(
        new GetRolePolicyCommand({ RoleName: roleName, PolicyName: 'openai-ekm-kms' }),
      );
      assert.deepEqual(JSON.parse(decodeURIComponent(PolicyDocument!)), kmsPolicyFor(made.keyArn));
    });

    it("changes no role outside its policy; reads no tag index and writes no evidence (the read worker's)", async function () {
      const world = await seed('role');
      const { keyArn, externalId } = world.demo.aws;
      const foreign = `someone-elses-role-${unique()}`;
      const { Role } = await admin.iam.send(
        new CreateRoleCommand({
          RoleName: foreign,
          AssumeRolePolicyDocument: JSON.stringify(trustPolicyFor(externalId)),
        }),
      );
      await assertRefused(mutating.user, 'iam:UpdateAssumeRolePolicy', () =>
        mutating.activities.revokeAwsAccess({ method: 'remove-trust', keyArn, roleArn: Role!.Arn! }),
      );
      const { Role: after } = await admin.iam.send(new GetRoleCommand({ RoleName: foreign }));
      assert.deepEqual(
        JSON.parse(decodeURIComponent(after!.AssumeRolePolicyDocument!)),
        trustPolicyFor(externalId),
      );
      await assertRefused(mutating.user, 'tag:GetResources', () =>
        mutating.activities.findReplacementKey({ workflowId: 'ekm-key:x', step: 'replacement-key' }),
      );
      await assertRefused(mutating.user, 's3:PutObject', () =>
        inRunOf(sampleRevocationStatus(), () => mutating.activities.recordEvidence(sampleRevocationStatus())),
      );
    });
  });
}

// ---- Google Cloud only -------------------------------------------------------------------------------------

function gcpOnly(session: () => GcpLeastPrivilege) {
  let w: GcpLeastPrivilege['w'];
  let reader: GcpLeastPrivilege['reader'];
  let mutator: GcpLeastPrivilege['mutator'];
  let newKey: GcpLeastPrivilege['newKey'];
  let stateOf: GcpLeastPrivilege['stateOf'];
  let hasOpenAi: GcpLeastPrivilege['hasOpenAi'];
  let auditedPermissions: GcpLeastPrivilege['auditedPermissions'];
  let mutatingRunbook: GcpLeastPrivilege['mutatingRunbook'];
  before(function () {
    ({ w, reader, mutator, newKey, stateOf, hasOpenAi, auditedPermissions, mutatingRunbook } = session());
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
}
