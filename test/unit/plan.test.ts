import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { canonicalJson } from '../../common/canonicalJson';
import { planFollowUp } from '../../activities/planFollowUp';
import { planRevocation } from '../../activities/planRevocation';
import { runSettingsActivity } from '../../activities/runSettings';
import { EkmError } from '../../common/errors';
import {
  awsRevokeKeyInput,
  type AwsRevocationMethod,
  type AwsRevocationBaseline,
  type AwsRevokeKeyInput,
  type AwsRevokeKeyRequest,
} from '../../providers/aws/request';
import { type ProbeRound, type ProjectView } from '../../common/openaiViews';
import type { RunSettingsView } from '../../common/runStatus';
import { parseWorkerConfig } from '../../worker/config';

const account = '111122223333';
const keyArn = `arn:aws:kms:us-east-1:${account}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const roleArn = `arn:aws:iam::${account}:role/openai-ekm`;
const openAiRole = 'arn:aws:iam::790389265272:role/EnterpriseKeyManagement';

const requestInput: AwsRevokeKeyInput = {
  provider: 'aws',
  keyArn,
  roleArn,
  method: 'remove-trust',
  externalKeyId: 'extkey_demo',
  projectIds: ['proj_a', 'proj_b'],
  probes: [
    { projectId: 'proj_a', kind: 'file', id: 'file-a1' },
    { projectId: 'proj_b', kind: 'model', id: 'ft:gpt-4o-mini:org:b:1' },
  ],
  requester: 'rita@example.com',
  reason: 'the key is suspected compromised',
  changeTicket: 'CHG-1234',
};
const requestFor = (change: Partial<AwsRevokeKeyInput> = {}): AwsRevokeKeyRequest =>
  awsRevokeKeyInput.parse({ ...requestInput, ...change });

const project = (id: string, name: string): ProjectView => ({
  id,
  name,
  status: 'active',
  externalKeyId: 'extkey_demo',
});

function round(projectId: string, requestId: string, at: string): ProbeRound {
  return {
    projectId,
    at,
    probes: requestFor()
      .probes.filter((p) => p.projectId === projectId)
      .map((p) => ({
        ...p,
        outcome: 'readable' as const,
        httpStatus: 200,
        code: null,
        requestId,
        why: 'HTTP 200',
      })),
    control: { ok: true, httpStatus: 200, requestId: `${requestId}_control`, why: 'HTTP 200' },
  };
}

const policy = (statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });
const keyUsePolicy = policy([{ Effect: 'Allow', Action: ['kms:Encrypt', 'kms:Decrypt'], Resource: keyArn }]);

/** A baseline as preflight reads it; `read` varies what may differ between two reads of the same world. */
function baseline(read = 1): AwsRevocationBaseline {
  const at = `2026-11-29T10:0${read}:00.000Z`;
  const externalKey = {
    id: 'extkey_demo',
    name: 'demo key',
    type: 'aws',
    roleArn,
    kmsArn: keyArn,
    externalId: 'org-demo',
    projectIds: ['proj_a', 'proj_b'],
  };
  const projects = [project('proj_a', 'Project A'), project('proj_b', 'Project B')];
  return {
    key: { arn: keyArn, state: 'Enabled', enabled: true, manager: 'CUSTOMER' },
    access: {
      takenAt: at,
      key: {
        arn: keyArn,
        keyId: '1234abcd-12ab-34cd-56ef-1234567890ab',
        state: 'Enabled',
        policy: policy([
          {
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${account}:root` },
            Action: 'kms:*',
            Resource: '*',
          },
        ]),
      },
      role: {
        arn: roleArn,
        name: 'openai-ekm',
        trustPolicy: policy([
          {
            Effect: 'Allow',
            Principal: { AWS: openAiRole },
            Action: 'sts:AssumeRole',
            Condition: { StringEquals: { 'sts:ExternalId': 'org-demo' } },
          },
        ]),
        inlinePolicies: [{ name: 'ekm-key-use', document: keyUsePolicy }],
        attachedPolicies: [],
      },
      grants: [
        {
          grantId: 'grant-1',
          name: 'openai',
          granteePrincipal: roleArn,
          operations: ['Encrypt', 'Decrypt'],
        },
      ],
      otherKeyPrincipals: [`arn:aws:iam::${account}:role/batch-jobs`],
      otherKeysTheRoleCanUse: [],
    },
    externalKey,
    blastRadius: { externalKeys: [externalKey], projects: projects.map((p) => ({ ...p })) },
    projects,
    validate: {
      externalKeyId: 'extkey_demo',
      outcome: 'success',
      why: 'HTTP 200 status success',
      httpStatus: 200,
      requestId: `req_validate_${read}`,
      answeredAt: at,
    },
    probes: [round('proj_a', `req_a_${read}`, at), round('proj_b', `req_b_${read}`, at)],
  };
}

function changed(edit: (b: AwsRevocationBaseline) => void): AwsRevocationBaseline {
  const b = baseline();
  edit(b);
  return b;
}

const gatePolicy = { approvers: ['alice@example.com', 'bob@example.com'], quorum: 1, deadlineSeconds: 3600 };
const settingsFor = (quorum = 1): Promise<RunSettingsView> =>
  runSettingsActivity(
    parseWorkerConfig({
      sandbox: true,
      aws: { endpoint: 'http://127.0.0.1:9' },
      openai: { baseUrl: 'http://127.0.0.1:9/v1' },
      revoke: { cacheWaitSeconds: 3 },
      approvals: {
        gates: {
          revoke: { ...gatePolicy, quorum },
          archive: gatePolicy,
          deletion: gatePolicy,
          restore: gatePolicy,
          rotate: gatePolicy,
        },
      },
    }),
  )();

async function assertRefused(promise: Promise<unknown>, message: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(err)}`);
    assert.equal(err.type, EkmError.PreflightFailed);
    assert.equal(err.nonRetryable, true);
    assert.match(err.message, message);
    return true;
  });
}

describe('the revocation plan', function () {
  let settings: RunSettingsView;
  before(async function () {
    settings = await settingsFor();
  });

  const hashOf = async (request: AwsRevokeKeyRequest, b: AwsRevocationBaseline, s = settings) =>
    (await planRevocation({ request, baseline: b, settings: s })).hash;

  it('has a 64-hex hash that is the same for the same inputs', async function () {
    const first = await hashOf(requestFor(), baseline());
    assert.match(first, /^[0-9a-f]{64}$/);
    assert.equal(await hashOf(requestFor(), baseline()), first);
  });

  it('has the same hash for the same world read twice (other times, request ids, answer times)', async function () {
    const first = baseline(1);
    const second = baseline(2);
    assert.notEqual(first.access.takenAt, second.access.takenAt);
    assert.notEqual(first.validate!.requestId, second.validate!.requestId);
    assert.equal(await hashOf(requestFor(), second), await hashOf(requestFor(), first));
  });

  it('does not depend on the order fields were written in', async function () {
    const b = baseline();
    const reordered = { ...b, key: { manager: 'CUSTOMER', enabled: true, state: 'Enabled', arn: keyArn } };
    assert.equal(await hashOf(requestFor(), reordered), await hashOf(requestFor(), b));
  });

  const drift: [string, () => AwsRevokeKeyRequest, () => AwsRevocationBaseline][] = [
    ['the method', () => requestFor({ method: 'key-policy-deny' }), baseline],
    [
      'a project (its name)',
      requestFor,
      () =>
        changed((b) => {
          b.projects[0]!.name = 'Project A (renamed)';
        }),
    ],
    [
      'a project (its status)',
      requestFor,
      () =>
        changed((b) => {
          b.projects[1]!.status = 'archived';
        }),
    ],
    [
      'the key policy',
      requestFor,
      () =>
        changed((b) => {
          b.access.key.policy = policy([
            {
              Effect: 'Allow',
              Principal: { AWS: `arn:aws:iam::${account}:root` },
              Action: 'kms:*',
              Resource: '*',
            },
            { Effect: 'Allow', Principal: { AWS: roleArn }, Action: 'kms:Decrypt', Resource: '*' },
          ]);
        }),
    ],
    [
      "the role's trust policy",
      requestFor,
      () =>
        changed((b) => {
          b.access.role.trustPolicy = policy([
            { Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole' },
          ]);
        }),
    ],
    [
      'a grant',
      requestFor,
      () =>
        changed((b) => {
          b.access.grants.push({
            grantId: 'grant-2',
            granteePrincipal: roleArn,
            operations: ['Decrypt'],
          });
        }),
    ],
    [
      'the key state',
      requestFor,
      () =>
        changed((b) => {
          b.key = { ...b.key, state: 'Disabled', enabled: false };
          b.access.key.state = 'Disabled';
        }),
    ],
    [
      'the validate outcome',
      requestFor,
      () =>
        changed((b) => {
          b.validate!.outcome = 'unknown';
        }),
    ],
  ];
  for (const [what, request, world] of drift) {
    it(`has another hash when ${what} changes`, async function () {
      assert.notEqual(await hashOf(request(), world()), await hashOf(requestFor(), baseline()));
    });
  }

  it('has another hash when the settings digest changes', async function () {
    const stricter = await settingsFor(2);
    assert.notEqual(stricter.digest, settings.digest);
    assert.notEqual(await hashOf(requestFor(), baseline(), stricter), await hashOf(requestFor(), baseline()));
  });

  it('refuses a blast radius with a project the run does not list, naming it and the fix', async function () {
    const b = changed((w) => {
      w.blastRadius.projects.push({ ...project('proj_c', 'Forgotten'), externalKeyId: 'extkey_demo' });
    });
    await assertRefused(
      planRevocation({ request: requestFor(), baseline: b, settings }),
      /^projectIds: proj_c \(Forgotten\) also use this key or role and would lose access too; add them to the run/,
    );
  });

  it('refuses revoke-grant when no grant names the role', async function () {
    const b = changed((w) => {
      w.access.grants = [];
    });
    await assertRefused(
      planRevocation({ request: requestFor({ method: 'revoke-grant' }), baseline: b, settings }),
      /^method: no grant on .*key\/1234abcd.* names .*role\/openai-ekm as grantee; choose another method/,
    );
  });

  it('refuses remove-key-permission when only a managed policy grants the key', async function () {
    const b = changed((w) => {
      w.access.role.inlinePolicies = [];
      w.access.role.attachedPolicies = [{ arn: `arn:aws:iam::${account}:policy/KmsUsers`, name: 'KmsUsers' }];
    });
    await assertRefused(
      planRevocation({ request: requestFor({ method: 'remove-key-permission' }), baseline: b, settings }),
      /^method: the role's inline policies do not grant kms:Encrypt\/kms:Decrypt on .*\(attached managed policies: KmsUsers — editing those would affect other roles\); choose key-policy-deny or remove-trust/,
    );
  });

  it('refuses remove-key-permission when an inline policy grants only another key', async function () {
    const b = changed((w) => {
      w.access.role.inlinePolicies = [
        {
          name: 'other-key',
          document: policy([
            {
              Effect: 'Allow',
              Action: 'kms:Decrypt',
              Resource: `arn:aws:kms:us-east-1:${account}:key/other`,
            },
          ]),
        },
      ];
    });
    await assertRefused(
      planRevocation({ request: requestFor({ method: 'remove-key-permission' }), baseline: b, settings }),
      /^method: the role's inline policies do not grant/,
    );
  });

  const firstChange: [AwsRevocationMethod, RegExp][] = [
    ['remove-trust', /^IAM UpdateAssumeRolePolicy on arn:aws:iam::111122223333:role\/openai-ekm: /],
    [
      'remove-key-permission',
      /^IAM on arn:aws:iam::111122223333:role\/openai-ekm: remove kms:Encrypt and kms:Decrypt on .* from inline policies ekm-key-use$/,
    ],
    [
      'key-policy-deny',
      /^KMS PutKeyPolicy on arn:aws:kms:us-east-1:111122223333:key\/1234abcd[^ ]*: add a Deny/,
    ],
    ['revoke-grant', /^KMS RevokeGrant on arn:aws:kms:us-east-1:111122223333:key\/1234abcd[^ ]*: grant-1$/],
    [
      'disable-key',
      /^KMS DisableKey arn:aws:kms:us-east-1:111122223333:key\/1234abcd-12ab-34cd-56ef-1234567890ab$/,
    ],
  ];
  for (const [method, call] of firstChange) {
    it(`${method}: the first change names the exact AWS change`, async function () {
      const plan = await planRevocation({ request: requestFor({ method }), baseline: baseline(), settings });
      assert.match(plan.changes[0]!, call);
      assert.equal(plan.alsoStops.length, 1);
      assert.deepEqual(plan.projectsToArchive, ['proj_a', 'proj_b']);
      // Only remove-trust warns by itself: a trust edit does not end sessions OpenAI already holds.
      assert.deepEqual(
        plan.warnings.map((w) => /^sessions OpenAI already holds on the role stay valid/.test(w)),
        method === 'remove-trust' ? [true] : [],
      );
    });
  }

  it('disable-key: what it also stops is every consumer of the key, named', async function () {
    const plan = await planRevocation({
      request: requestFor({ method: 'disable-key' }),
      baseline: baseline(),
      settings,
    });
    assert.match(
      plan.alsoStops[0]!,
      /^EVERY consumer of the key, not only OpenAI: arn:aws:iam::111122223333:role\/batch-jobs;/,
    );
    assert.match(plan.alsoStops[0]!, /all data encrypted under it anywhere becomes unreadable/);
  });

  it('lists the steps after the change in order: validate, wait, probe, second gate, archive, replace', async function () {
    const plan = await planRevocation({
      request: requestFor({ deleteAfterDays: 7 }),
      baseline: baseline(),
      settings,
    });
    assert.deepEqual(
      plan.changes.slice(1).map((c) => c.split(' ').slice(0, 2).join(' ')),
      [
        'OpenAI validate',
        'wait 3',
        'probe 2',
        'second approval',
        'archive OpenAI',
        'create a',
        'third approval',
      ],
    );
    assert.match(plan.changes[1]!, /until 3 answers in a row say revoked/);
    assert.match(plan.changes.at(-1)!, /schedule deletion of .* in 7 days$/);
  });

  it('warns when the external key is registered by alias', async function () {
    const aliasArn = `arn:aws:kms:us-east-1:${account}:alias/ekm-demo`;
    const b = changed((w) => {
      w.externalKey = { ...w.externalKey!, kmsArn: aliasArn };
    });
    const plan = await planRevocation({ request: requestFor(), baseline: b, settings });
    const warnings = plan.warnings.filter((w) => !w.startsWith('sessions OpenAI already holds'));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /registered by alias \(arn:aws:kms:us-east-1:111122223333:alias\/ekm-demo\)/);
  });

  it('warns about other registrations of the same key or role', async function () {
    const b = changed((w) => {
      w.blastRadius.externalKeys.push({ ...w.externalKey!, id: 'extkey_second', projectIds: [] });
    });
    const plan = await planRevocation({ request: requestFor(), baseline: b, settings });
    assert.deepEqual(
      plan.warnings.filter((w) => !w.startsWith('sessions OpenAI already holds')),
      ['other external keys share this key or role and stop working too: extkey_second'],
    );
  });

  it('archives nothing for ChatGPT Enterprise and asks a person instead of probing', async function () {
    const request = requestFor({
      product: 'chatgpt-enterprise',
      externalKeyId: undefined,
      projectIds: [],
      probes: [],
      workspaceId: 'ws_1',
    });
    const b = changed((w) => {
      w.blastRadius = { externalKeys: [], projects: [] };
      w.externalKey = undefined;
      w.validate = undefined;
      w.projects = [];
      w.probes = [];
    });
    const plan = await planRevocation({ request, baseline: b, settings });
    assert.deepEqual(plan.projectsToArchive, []);
    assert.ok(plan.changes.some((c) => /a person attests/.test(c)));
    assert.ok(plan.changes.some((c) => /contacts OpenAI support about workspace ws_1/.test(c)));
    assert.ok(!plan.changes.some((c) => /OpenAI validate/.test(c)));
  });
});

describe('the follow-up plan', function () {
  const changes = ['archive OpenAI project(s) proj_a, proj_b (irreversible)'];
  const revokePlanHash = 'c'.repeat(64);
  const hashOf = async (
    args: { revokePlanHash?: string; state?: AwsRevocationBaseline; changes?: string[] } = {},
  ) =>
    (
      await planFollowUp({
        revokePlanHash: args.revokePlanHash ?? revokePlanHash,
        state: args.state ?? baseline(),
        changes: args.changes ?? changes,
      })
    ).hash;

  it('hands the changes back and hashes the same inputs the same way', async function () {
    const plan = await planFollowUp({ revokePlanHash, state: baseline(), changes });
    assert.deepEqual(plan.changes, changes);
    assert.match(plan.hash, /^[0-9a-f]{64}$/);
    assert.equal(await hashOf(), plan.hash);
  });

  it('has the same hash for the same state read twice', async function () {
    assert.equal(await hashOf({ state: baseline(2) }), await hashOf({ state: baseline(1) }));
  });

  const differs: [string, Parameters<typeof hashOf>[0]][] = [
    ['another revocation plan', { revokePlanHash: 'd'.repeat(64) }],
    [
      'another state (the trust policy restored)',
      {
        state: changed((b) => {
          b.access.role.trustPolicy = policy([
            { Effect: 'Allow', Principal: { AWS: openAiRole }, Action: 'sts:AssumeRole' },
          ]);
        }),
      },
    ],
    [
      'another validate outcome',
      {
        state: changed((b) => {
          b.validate!.outcome = 'revoked';
        }),
      },
    ],
    ['other changes', { changes: [...changes, 'schedule deletion'] }],
  ];
  for (const [what, args] of differs) {
    it(`has another hash for ${what}`, async function () {
      assert.notEqual(await hashOf(args), await hashOf());
    });
  }
});

describe('canonicalJson', function () {
  it('does not depend on key order, at any depth', function () {
    assert.equal(
      canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: 'x' } }),
      canonicalJson({ a: { c: 'x', d: [1, { x: 1, y: 2 }] }, b: 1 }),
    );
    assert.equal(canonicalJson({ b: 1, a: 2 }), '{"a":2,"b":1}');
  });

  it('drops undefined fields', function () {
    assert.equal(canonicalJson({ a: 1, b: undefined }), canonicalJson({ a: 1 }));
    assert.equal(canonicalJson({ a: { b: undefined } }), '{"a":{}}');
  });

  it('keeps array order, and writes undefined in an array as null (as JSON.stringify does)', function () {
    assert.notEqual(canonicalJson([1, 2]), canonicalJson([2, 1]));
    assert.equal(canonicalJson([1, undefined, 'x']), '[1,null,"x"]');
    assert.equal(canonicalJson([1, undefined, 'x']), JSON.stringify([1, undefined, 'x']));
  });

  it('writes no whitespace and escapes strings as JSON does', function () {
    const value = { 'quote"key': 'line\nbreak', n: null, t: true, f: 1.5 };
    assert.equal(canonicalJson(value), '{"f":1.5,"n":null,"quote\\"key":"line\\nbreak","t":true}');
    assert.deepEqual(JSON.parse(canonicalJson(value)), value);
  });

  it('writes a bare undefined as null', function () {
    assert.equal(canonicalJson(undefined), 'null');
  });
});
