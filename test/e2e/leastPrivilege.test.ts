// Least privilege, proven against a moto that enforces IAM: the activities of the read worker's queue work
// with the credentials of a user holding policies/aws/ekm-read-worker.json, every AWS change of the mutating
// worker's queue works with policies/aws/ekm-mutating-worker.json, and each of those changes attempted with
// the read worker's credentials is refused (AccessDenied) and changes nothing, read back as an
// administrator. The activities are built as the worker builds them (createActivities, createAwsClients with
// credentials from the environment). Last, every action each policy allows was used by some activity here,
// and nothing else was: the policies are exactly what the code needs. The first block proves what moto does
// and does not judge, which policies/README.md reports.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  ListRolesCommand,
} from '@aws-sdk/client-iam';
import {
  CreateKeyCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  GetKeyPolicyCommand,
  GetKeyRotationStatusCommand,
  KMSClient,
  ListGrantsCommand,
  ListKeysCommand,
  PutKeyPolicyCommand,
} from '@aws-sdk/client-kms';
import {
  CreateBucketCommand,
  GetObjectLockConfigurationCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities, type EkmActivities } from '../../activities';
import { watchWorkflowId } from '../../common/watchdog';
import { createAwsClients, type AwsClients } from '../../providers/aws/activities/clients';
import { checkObjectLock, s3ClientFor, s3EvidenceStore } from '../../activities/evidence/s3Store';
import { generateSigningKey, signerFromPem } from '../../activities/evidence/signer';
import { createAdminApi } from '../../activities/openai/adminApi';
import { createDataApi } from '../../activities/openai/dataApi';
import { EkmError } from '../../common/errors';
import type { AwsRevocationMethod } from '../../providers/aws/request';
import { projectRoot } from '../../sandbox/paths';
import { kmsPolicyFor, trustPolicyFor } from '../../sandbox/openai/demo';
import { parseWorkerConfig } from '../../worker/config';
import { inRunOf, sampleRevocationStatus } from '../fixtures/evidence';
import { approvedProof } from '../fixtures/approvedProof';
import { signersFor } from '../fixtures/approverKeys';
import { actionOf } from '../../activities/approvedActions';
import type { PlanAction } from '../../providers/planActions';
import { runTag } from '../../common/runTag';
import type { RunRef } from '../../common/signedStatement';
import {
  allowedActions,
  asMotoJudgesIt,
  filledPolicy,
  listOf,
  placeholdersIn,
  policiesDir,
  startIamEnforcedMoto,
  wasRefused,
  type EnforcedWorld,
  type IamEnforcedMoto,
  type IamUser,
  type PolicyDocument,
} from '../fixtures/iamEnforcedMoto';
import { testOwnership } from '../fixtures/ownership';

const readPolicyFile = 'ekm-read-worker.json';
const mutatingPolicyFile = 'ekm-mutating-worker.json';
const bucket = `ekm-evidence-least-privilege-${process.pid}`;
const prefix = 'ekm-evidence/';
const unique = () => randomBytes(4).toString('hex');

// Where moto cannot see the resource a statement scopes to, the statement is given Resource "*" for moto —
// by name, with the reason; the actions stay exactly as written (see asMotoJudgesIt).
const kmsAgainstStar = 'moto authorizes every KMS call against "*"';
const noRoleNamed = 'moto authorizes an IAM call that names no existing role against "*"';
const widenForMoto: Record<string, Record<string, string>> = {
  [readPolicyFile]: { ReadTheKeys: kmsAgainstStar, ReadTheRolesManagedPolicies: noRoleNamed },
  [mutatingPolicyFile]: {
    ReadTheKeyBeforeChangingIt: kmsAgainstStar,
    ChangeTheEkmKey: kmsAgainstStar,
    RecreateGrantsToTheOpenAiAccessRole: kmsAgainstStar,
    TagTheReplacementKeyAsItIsCreated: kmsAgainstStar,
    ReadTheOpenAiAccessRoles: `${noRoleNamed}, and grantOpenAiAccess reads the replacement role before it exists`,
    ReadTheRolesManagedPolicies: noRoleNamed,
    CreateTheReplacementRole: `${noRoleNamed}, and CreateRole names one that does not exist yet`,
  },
};

interface Worker {
  user: IamUser;
  policy: PolicyDocument;
  activities: EkmActivities;
}

/**
 * createAwsClients (and the S3 evidence client) take credentials from the process environment, as a
 * worker process does. Two workers in one test process: the environment holds this user's keys while the
 * clients are built and their credentials resolved (the SDK keeps them), then goes back as it was.
 */
async function asUser<T>(
  user: IamUser,
  build: () => T,
  clientsOf: (built: T) => { config: { credentials: () => Promise<{ accessKeyId: string }> } }[],
): Promise<T> {
  const saved = [process.env.AWS_ACCESS_KEY_ID, process.env.AWS_SECRET_ACCESS_KEY] as const;
  process.env.AWS_ACCESS_KEY_ID = user.credentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = user.credentials.secretAccessKey;
  try {
    const built = build();
    for (const client of clientsOf(built))
      assert.equal((await client.config.credentials()).accessKeyId, user.credentials.accessKeyId);
    return built;
  } finally {
    const restore = (name: string, value: string | undefined) =>
      value === undefined ? delete process.env[name] : (process.env[name] = value);
    restore('AWS_ACCESS_KEY_ID', saved[0]);
    restore('AWS_SECRET_ACCESS_KEY', saved[1]);
  }
}

describe('least privilege: the read and mutating workers under IAM enforcement (moto)', function () {
  this.timeout(180_000);
  let moto: IamEnforcedMoto;
  let admin: { kms: KMSClient; iam: IAMClient; s3: S3Client };
  let accountId: string;
  let read: Worker;
  let mutating: Worker;
  const s3Evidence = () => ({
    bucket,
    prefix,
    region: moto.region,
    endpoint: moto.endpoint,
    retentionDays: 1,
    mode: 'GOVERNANCE' as const,
  });

  async function worker(name: string, file: string): Promise<Worker> {
    const policy = asMotoJudgesIt(filledPolicy(file, placeholderValues()), widenForMoto[file]!).policy;
    const user = await moto.createUser(name, policy);
    // The activities are called here directly, outside any workflow (createActivities builds every activity
    // whatever the role; the IAM policy under test decides what each can do): each change inside an
    // activity context of `changeRun`, with a signed approval of exactly its own action.
    const config = parseWorkerConfig({
      sandbox: true,
      role: 'read',
      mutatingTaskQueue: 'least-privilege-changes',
      aws: { region: moto.region, endpoint: moto.endpoint, cloudTrailEndpoint: moto.endpoint },
      openai: { baseUrl: 'http://127.0.0.1:9/v1' },
      // The watchdog's cancel is tested here too: it is enabled, and called as the key's watch.
      watchdog: { cancelDeletionOnUse: true },
      // The changes are handed a signed approval of exactly their action (approvedCall), as in a run.
      approvals: {
        gates: Object.fromEntries(changeGates.map((kind) => [kind, { approvers: [approver] }])),
        signers: signersFor([approver]),
      },
    });
    const aws = await asUser(
      user,
      () => createAwsClients(config.aws),
      (c: AwsClients) => [c.kms, c.iam, c.cloudTrail!],
    );
    const s3 = await asUser(
      user,
      () => s3ClientFor(s3Evidence()),
      (c) => [c],
    );
    const signer = signerFromPem(generateSigningKey().privateKeyPem, 'evidence.signingKeyFile');
    const activities = namingRefusals(
      createActivities({
        config,
        aws,
        // No OpenAI call is made here; the activities need the clients all the same.
        openai: {
          api: createAdminApi({ baseUrl: config.openai.baseUrl, adminKey: () => undefined }),
          data: createDataApi({ baseUrl: config.openai.baseUrl, projectKey: () => undefined }),
        },
        evidence: s3EvidenceStore(s3Evidence(), signer, { client: s3 }),
        // Both workers hold the same secret: what the mutating one marks, the read one recognises.
        ownership: testOwnership({ workflowId: 'ekm-key:least-privilege', runId: 'run' }),
      }),
    );
    return { user, policy: filledPolicy(file, placeholderValues()), activities };
  }

  /** The same activities; a failure's message begins with what moto refused during the call, if anything. */
  /** The gate each change of the AWS worker sits behind. */
  const gateOf: Record<string, string> = {
    revokeAwsAccess: 'revoke',
    restoreAwsAccess: 'restore',
    createReplacementKeyOnce: 'archive',
    grantOpenAiAccess: 'archive',
    scheduleAwsKeyDeletion: 'deletion',
    rotateAwsKey: 'rotate',
  };
  const changeGates = [...new Set(Object.values(gateOf))];
  const approver = 'alice@example.com';
  /** The run the changes belong to (a test sets it where names must carry the run's tag). */
  let changeRun = { workflowId: 'ekm-key:least-privilege', runId: 'run' };

  /** A change called as its run calls it: in the run's activity context, with its approved action. */
  async function approvedCall(
    name: string,
    change: (input: unknown) => Promise<unknown>,
    input: object,
  ): Promise<unknown> {
    const run = changeRun;
    const of = actionOf[name as keyof typeof actionOf] as (i: unknown, r: RunRef) => PlanAction;
    const approval = approvedProof(gateOf[name]!, of(input, run), run, approver);
    return inRunOf(run, () => change({ ...input, approval }));
  }

  function namingRefusals(activities: EkmActivities): EkmActivities {
    const wrapped = Object.entries(activities).map(([name, activity]) => [
      name,
      async (...args: unknown[]) => {
        const from = moto.calls.length;
        try {
          const act = activity as (...a: unknown[]) => Promise<unknown>;
          return name in gateOf ? await approvedCall(name, act, args[0] as object) : await act(...args);
        } catch (err) {
          const refused = moto.calls.slice(from).filter(wasRefused);
          if (refused.length && err instanceof Error)
            err.message = `moto refused ${refused.map((c) => `${c.action} to ${c.principal}`).join(', ')}: ${err.message}`;
          throw err;
        }
      },
    ]);
    return Object.fromEntries(wrapped) as EkmActivities;
  }

  /** The placeholders as a customer would fill them for the sandbox's seeded organisation. */
  function placeholderValues(): Record<string, string> {
    return {
      REGION: moto.region,
      ACCOUNT_ID: accountId,
      // The sandbox's seed names the customer role ekm-openai-access-<suffix>, its alias alias/ekm-demo-<suffix>.
      OPENAI_ACCESS_ROLE: 'ekm-openai-access-*',
      EKM_KEY_ALIAS: 'alias/ekm-demo-*',
      EVIDENCE_BUCKET: bucket,
      EVIDENCE_PREFIX: prefix,
    };
  }

  before(async function () {
    moto = await startIamEnforcedMoto();
    const options = { region: moto.region, endpoint: moto.motoEndpoint, credentials: moto.admin.credentials };
    admin = {
      kms: new KMSClient(options),
      iam: new IAMClient(options),
      s3: new S3Client({ ...options, forcePathStyle: true }),
    };
    accountId = moto.admin.arn.split(':')[4]!;
    await admin.s3.send(new CreateBucketCommand({ Bucket: bucket, ObjectLockEnabledForBucket: true }));
    read = await worker('ekm-read-worker', readPolicyFile);
    mutating = await worker('ekm-mutating-worker', mutatingPolicyFile);
  });

  let passed = 0;
  afterEach(function () {
    if (this.currentTest?.state === 'passed') passed++;
  });

  after(async function () {
    admin?.kms.destroy();
    admin?.iam.destroy();
    admin?.s3.destroy();
    await moto?.close();
  });

  /** A seeded world, its role also holding an attached managed policy (so its documents are read too). */
  async function seed(accessBy: 'role' | 'grant'): Promise<EnforcedWorld> {
    const world = await moto.seedWorld(accessBy);
    const { Policy } = await admin.iam.send(
      new CreatePolicyCommand({
        PolicyName: `unrelated-${unique()}`,
        PolicyDocument: JSON.stringify(
          kmsPolicyFor(`arn:aws:kms:${moto.region}:${accountId}:key/not-this-one`),
        ),
      }),
    );
    await admin.iam.send(
      new AttachRolePolicyCommand({ RoleName: roleNameOf(world), PolicyArn: Policy!.Arn! }),
    );
    return world;
  }
  const roleNameOf = (w: EnforcedWorld) => w.demo.aws.roleArn.split('/').pop()!;

  /** Everything a worker could change, read back as the administrator, straight from moto. */
  async function stateOf(w: EnforcedWorld) {
    const RoleName = roleNameOf(w);
    const KeyId = w.demo.aws.keyId;
    const { PolicyNames = [] } = await admin.iam.send(new ListRolePoliciesCommand({ RoleName }));
    const inline: Record<string, string | undefined> = {};
    for (const PolicyName of PolicyNames)
      inline[PolicyName] = (
        await admin.iam.send(new GetRolePolicyCommand({ RoleName, PolicyName }))
      ).PolicyDocument;
    const key = (await admin.kms.send(new DescribeKeyCommand({ KeyId }))).KeyMetadata!;
    const rotation = await admin.kms.send(new GetKeyRotationStatusCommand({ KeyId })).then(
      (r) => ({
        enabled: r.KeyRotationEnabled,
        period: r.RotationPeriodInDays,
        onDemand: r.OnDemandRotationStartDate,
      }),
      (err: Error) => err.name,
    );
    return {
      trust: (await admin.iam.send(new GetRoleCommand({ RoleName }))).Role?.AssumeRolePolicyDocument,
      inline,
      attached: (await admin.iam.send(new ListAttachedRolePoliciesCommand({ RoleName }))).AttachedPolicies,
      keyPolicy: (await admin.kms.send(new GetKeyPolicyCommand({ KeyId, PolicyName: 'default' }))).Policy,
      key: { state: key.KeyState, deletion: key.DeletionDate },
      rotation,
      grants: (await admin.kms.send(new ListGrantsCommand({ KeyId }))).Grants?.map(
        ({ GrantId: _id, ...g }) => g,
      ),
      keys: (await admin.kms.send(new ListKeysCommand({}))).Keys?.length,
      roles: (await admin.iam.send(new ListRolesCommand({}))).Roles?.map((r) => r.RoleName).sort(),
    };
  }

  /**
   * The attempt fails, and what moto refused in it is exactly one call: `action`, made by `user`, answered
   * AccessDenied. Every call before it got through (the reads the activity makes before it changes).
   */
  async function assertRefused(user: IamUser, action: string, attempt: () => Promise<unknown>) {
    const from = moto.calls.length;
    await assert.rejects(attempt(), (err: unknown) => {
      // IAM's AccessDenied is mapped to CloudAccessDenied (as AWS KMS's AccessDeniedException would be);
      // moto answers a refused KMS call in IAM's XML, which the KMS client cannot parse (HTTP 403), and a
      // CreateKey that failed that way is reported as an unknown outcome.
      if (err instanceof ApplicationFailure)
        assert.ok(
          ([EkmError.CloudAccessDenied, EkmError.CreateOutcomeUnknown] as string[]).includes(err.type ?? ''),
          `${err.type}: ${err.message}`,
        );
      else
        assert.equal(
          (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode,
          403,
          String(err),
        );
      return true;
    });
    const made = moto.calls.slice(from);
    const refused = made.filter(wasRefused);
    assert.deepEqual(
      refused.map((c) => `${c.principal} ${c.action} ${c.errorCode}`),
      [`${user.name} ${action} AccessDenied`],
      JSON.stringify(made),
    );
    assert.equal(made.at(-1), refused[0], 'the refused call is the last the activity made');
    if (!action.startsWith('s3:'))
      assert.match(refused[0]!.errorMessage ?? '', new RegExp(`perform: ${action}`));
  }

  describe('the policy documents', function () {
    it('are IAM JSON with a Sid per statement, no wildcard in any action, and every placeholder and action explained in policies/README.md', function () {
      const readme = fs.readFileSync(path.join(projectRoot, 'policies', 'README.md'), 'utf8');
      for (const file of [readPolicyFile, mutatingPolicyFile]) {
        const text = fs.readFileSync(path.join(policiesDir, file), 'utf8');
        const policy = JSON.parse(text) as PolicyDocument;
        assert.equal(policy.Version, '2012-10-17');
        const sids = policy.Statement.map((s) => s.Sid);
        assert.ok(
          sids.every((s) => s && /^[A-Za-z0-9]+$/.test(s)),
          `${file}: every statement has an alphanumeric Sid`,
        );
        assert.equal(new Set(sids).size, sids.length, `${file}: Sids are unique`);
        for (const s of policy.Statement) {
          for (const action of listOf(s.Action)) {
            assert.match(action, /^[a-z0-9]+:[A-Za-z]+$/, `${file} ${s.Sid}: ${action} names one action`);
            assert.ok(readme.includes(`\`${action}\``), `policies/README.md explains ${action}`);
          }
          assert.ok(
            !('NotAction' in s) && !('NotResource' in s),
            `${file} ${s.Sid}: no NotAction/NotResource`,
          );
          assert.ok(readme.includes(`\`${s.Sid}\``), `policies/README.md explains ${s.Sid}`);
        }
        for (const p of placeholdersIn(text))
          assert.ok(readme.includes(`\`{{${p}}}\``), `policies/README.md explains {{${p}}}`);
      }
    });
    it("reach moto changed only where moto cannot judge them: resources widened, a conditioned Deny left out, moto's name for one S3 action added", function () {
      const changes = (file: string) =>
        asMotoJudgesIt(filledPolicy(file, placeholderValues()), widenForMoto[file]!).changes;
      assert.deepEqual(changes(readPolicyFile), [
        `Resource "*" for ReadTheKeys: ${kmsAgainstStar}`,
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
    it('snapshots, describes, reads rotation, usage and the replacement, and keeps the evidence in S3 with Object Lock', async function () {
      const world = await seed('role');
      const { keyArn, roleArn, keyAlias } = world.demo.aws;
      const a = read.activities;
      const snapshot = await a.snapshotAwsAccess({ keyArn, roleArn });
      assert.equal(snapshot.key.arn, keyArn);
      assert.deepEqual(Object.keys(JSON.parse(snapshot.role.trustPolicy) as object), [
        'Version',
        'Statement',
      ]);
      assert.equal(snapshot.role.inlinePolicies.length, 1);
      assert.equal(snapshot.role.attachedPolicies.length, 1);
      assert.equal((await a.describeKey(keyAlias)).keyId, keyArn, 'an alias resolves through DescribeKey');
      assert.equal((await a.readAwsKeyRotation(keyArn)).automatic, false);
      const until = new Date();
      const usage = await a.readAwsKeyUsage({
        keyArn,
        roleArn,
        since: new Date(until.getTime() - 3_600_000).toISOString(),
        until: until.toISOString(),
      });
      assert.ok(usage.successful > 0, 'the seed stored objects under the key: the trail lists the Encrypts');
      assert.equal(
        await a.findReplacementKey({ workflowId: `ekm-key:none-${unique()}`, step: 'replacement-key' }),
        null,
      );

      await checkObjectLock(
        await asUser(
          read.user,
          () => s3ClientFor(s3Evidence()),
          (c) => [c],
        ),
        s3Evidence(),
      );
      const run = sampleRevocationStatus();
      // The snapshot first, as a revocation keeps it: its hash goes into the run's signed chain, which
      // readAccessSnapshot checks before it answers.
      const { path: _path, ...kept } = await inRunOf(run, () =>
        a.keepAccessSnapshot({ workflowId: run.workflowId, runId: run.runId, snapshot }),
      );
      run.accessSnapshot = kept;
      const written = await inRunOf(run, () => a.recordEvidence(run));
      assert.match(written.chain, new RegExp(`^s3://${bucket}/${prefix}`));
      assert.ok(written.signed);
      assert.deepEqual(await a.readEvidence({ workflowId: run.workflowId, runId: run.runId }), run);
      assert.deepEqual(
        await a.readAccessSnapshot({ workflowId: run.workflowId, runId: run.runId }),
        snapshot,
      );
    });

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
      await assertRefused(read.user, 'iam:GetRole', () =>
        read.activities.snapshotAwsAccess({ keyArn, roleArn: Role!.Arn! }),
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
      changeRun = { workflowId: `ekm-key:least-privilege-${unique()}`, runId: 'run' };
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

    it("changes no role outside its policy; lists no keys and writes no evidence (the read worker's)", async function () {
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
      await assertRefused(mutating.user, 'kms:ListKeys', () =>
        mutating.activities.findReplacementKey({ workflowId: 'ekm-key:x', step: 'replacement-key' }),
      );
      await assertRefused(mutating.user, 's3:PutObject', () =>
        inRunOf(sampleRevocationStatus(), () => mutating.activities.recordEvidence(sampleRevocationStatus())),
      );
    });
  });

  describe('the policies, against what the workers used', function () {
    it('every action each policy allows was used by its worker above, and its worker used no other', function () {
      // Meaningful only once every test above has run and passed (a --grep run leaves some out).
      const countTests = (suite: Mocha.Suite): number =>
        suite.tests.length + suite.suites.reduce((n, child) => n + countTests(child), 0);
      if (passed < countTests(this.test!.parent!.parent!) - 1) this.skip();
      for (const w of [read, mutating]) {
        const calls = moto.calls.filter((c) => c.principal === w.user.name && !wasRefused(c));
        const used = new Set(calls.flatMap((c) => [c.action, ...c.implied]));
        assert.deepEqual(
          [...used].sort(),
          [...allowedActions(w.policy)].sort(),
          `${w.user.name}: the actions it used (actual) are the actions its policy allows (expected)`,
        );
      }
    });
  });
});
