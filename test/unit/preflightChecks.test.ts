import assert from 'node:assert/strict';
import { preflightFindings } from '../../providers/preflightChecks';
import {
  awsRevokeKeyInput,
  type AwsRevocationBaseline,
  type AwsRevokeKeyRequest,
} from '../../providers/aws/request';
import { type ProbeRound, type ProjectView } from '../../common/openaiViews';

const account = '111122223333';
const keyArn = `arn:aws:kms:us-east-1:${account}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const roleArn = `arn:aws:iam::${account}:role/openai-ekm`;
const openAiRole = 'arn:aws:iam::790389265272:role/EnterpriseKeyManagement';

const request: AwsRevokeKeyRequest = awsRevokeKeyInput.parse({
  provider: 'aws',
  keyArn,
  roleArn,
  method: 'remove-trust',
  externalKeyId: 'extkey_demo',
  projectIds: ['proj_a', 'proj_b'],
  probes: [
    { projectId: 'proj_a', kind: 'file', id: 'file-a1' },
    { projectId: 'proj_a', kind: 'response', id: 'resp_a1' },
    { projectId: 'proj_b', kind: 'model', id: 'ft:gpt-4o-mini:org:b:1' },
  ],
  requester: 'rita@example.com',
  reason: 'the key is suspected compromised',
  changeTicket: 'CHG-1234',
});

const project = (id: string, name: string): ProjectView => ({
  id,
  name,
  status: 'active',
  externalKeyId: 'extkey_demo',
});

function round(projectId: string): ProbeRound {
  return {
    projectId,
    at: '2026-11-29T10:00:05.000Z',
    probes: request.probes
      .filter((p) => p.projectId === projectId)
      .map((p, i) => ({
        ...p,
        outcome: 'readable' as const,
        httpStatus: 200,
        code: null,
        requestId: `req_${projectId}_${i}`,
        why: 'HTTP 200',
      })),
    control: { ok: true, httpStatus: 200, requestId: `req_${projectId}_control`, why: 'HTTP 200' },
  };
}

/** What preflight reads when the world is exactly as the request says. */
function consistentBaseline(): AwsRevocationBaseline {
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
      takenAt: '2026-11-29T10:00:00.000Z',
      key: {
        arn: keyArn,
        keyId: '1234abcd-12ab-34cd-56ef-1234567890ab',
        state: 'Enabled',
        policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: `arn:aws:iam::${account}:root` },
              Action: 'kms:*',
              Resource: '*',
            },
          ],
        }),
      },
      role: {
        arn: roleArn,
        name: 'openai-ekm',
        trustPolicy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: openAiRole },
              Action: 'sts:AssumeRole',
              Condition: { StringEquals: { 'sts:ExternalId': 'org-demo' } },
            },
          ],
        }),
        inlinePolicies: [
          {
            name: 'ekm-key-use',
            document: JSON.stringify({
              Version: '2012-10-17',
              Statement: [{ Effect: 'Allow', Action: ['kms:Encrypt', 'kms:Decrypt'], Resource: keyArn }],
            }),
          },
        ],
        attachedPolicies: [],
      },
      grants: [],
      otherKeyPrincipals: [],
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
      requestId: 'req_validate',
      answeredAt: '2026-11-29T10:00:03.000Z',
    },
    probes: [round('proj_a'), round('proj_b')],
  };
}

/** The consistent baseline with one thing changed. */
function changed(edit: (b: AwsRevocationBaseline) => void): AwsRevocationBaseline {
  const baseline = consistentBaseline();
  edit(baseline);
  return baseline;
}

describe('preflight findings', function () {
  it('finds nothing when the world is as the request says', function () {
    assert.deepEqual(preflightFindings(request, consistentBaseline()), []);
  });

  const cases: [string, (b: AwsRevocationBaseline) => void, RegExp][] = [
    [
      'the key is disabled',
      (b) => (b.key = { ...b.key, state: 'Disabled', enabled: false }),
      /^keyArn: the key is Disabled: OpenAI already cannot use it; there is nothing to revoke/,
    ],
    [
      'the key is pending deletion',
      (b) => (b.key = { ...b.key, state: 'PendingDeletion', enabled: false }),
      /^keyArn: the key is PendingDeletion/,
    ],
    [
      'the key is AWS-managed',
      (b) => (b.key.manager = 'AWS'),
      /^keyArn: .*key\/1234abcd-12ab-34cd-56ef-1234567890ab is AWS-managed; OpenAI EKM uses customer-managed keys/,
    ],
    [
      'AWS answers for another key',
      (b) => (b.key.arn = `arn:aws:kms:us-east-1:${account}:key/other`),
      /^keyArn: AWS answers for .*key\/other, not /,
    ],
    [
      'IAM answers for another role',
      (b) => (b.access.role.arn = `arn:aws:iam::${account}:role/other`),
      /^roleArn: IAM answers for .*role\/other, not /,
    ],
    [
      'the external key is registered for another key ARN',
      (b) => (b.externalKey!.kmsArn = `arn:aws:kms:us-east-1:${account}:key/another-key`),
      /^externalKeyId: extkey_demo is registered for .*key\/another-key, not for .*key\/1234abcd/,
    ],
    [
      'the external key is registered with another role',
      (b) => (b.externalKey!.roleArn = `arn:aws:iam::${account}:role/someone-else`),
      /^roleArn: extkey_demo is registered with role .*role\/someone-else; give that role \(or check the external key id\)/,
    ],
    [
      'a project is archived',
      (b) => (b.projects[1]!.status = 'archived'),
      /^projectIds: proj_b is archived; only active projects can be revoked and archived/,
    ],
    [
      'a project is not found',
      (b) => (b.projects = b.projects.filter((p) => p.id !== 'proj_b')),
      /^projectIds: proj_b was not found in the organisation/,
    ],
    [
      'a project is bound to an external key outside the blast radius',
      (b) => (b.projects[1]!.externalKeyId = 'extkey_elsewhere'),
      /^projectIds: proj_b is bound to extkey_elsewhere, which does not use this key or role/,
    ],
    [
      'a project is bound to no external key',
      (b) => (b.projects[0]!.externalKeyId = null),
      /^projectIds: proj_a is bound to no external key, which does not use this key or role/,
    ],
    [
      'validate answers revoked before any change',
      (b) => (b.validate = { ...b.validate!, outcome: 'revoked', why: 'AccessDenied' }),
      /^externalKeyId: validate answers revoked before any change \(AccessDenied\); the baseline must show OpenAI's access working/,
    ],
    [
      'validate answers unknown before any change',
      (b) => (b.validate = { ...b.validate!, outcome: 'unknown', why: 'HTTP 503' }),
      /^externalKeyId: validate answers unknown before any change \(HTTP 503\)/,
    ],
    [
      'a probe is denied before any change',
      (b) => {
        const probe = b.probes[0]!.probes[1]!;
        Object.assign(probe, {
          outcome: 'denied',
          httpStatus: 403,
          code: 'external_key_access_denied',
          why: 'HTTP 403',
        });
      },
      /^probes: response resp_a1 in proj_a is denied before any change \(HTTP 403\); every probe must read successfully first/,
    ],
    [
      'a probe is unknown before any change',
      (b) => {
        const probe = b.probes[1]!.probes[0]!;
        Object.assign(probe, { outcome: 'unknown', httpStatus: 404, code: 'not_found', why: 'HTTP 404' });
      },
      /^probes: model ft:gpt-4o-mini:org:b:1 in proj_b is unknown before any change \(HTTP 404\)/,
    ],
    [
      'a control call fails',
      (b) =>
        (b.probes[1]!.control = {
          ok: false,
          httpStatus: 401,
          requestId: null,
          why: 'HTTP 401 project_archived',
        }),
      /^probes: the control call for proj_b failed \(HTTP 401 project_archived\); fix the project's key/,
    ],
  ];
  for (const [what, edit, finding] of cases) {
    it(`${what}: one finding, naming the field`, function () {
      const findings = preflightFindings(request, changed(edit));
      assert.equal(findings.length, 1, findings.join('\n'));
      assert.match(findings[0]!, finding);
    });
  }

  it('accepts an external key registered by alias (the plan warns about it instead)', function () {
    const baseline = changed(
      (b) => (b.externalKey!.kmsArn = `arn:aws:kms:us-east-1:${account}:alias/ekm-demo`),
    );
    assert.deepEqual(preflightFindings(request, baseline), []);
  });

  it('accepts a project bound to another registration of the same key or role (it is in the blast radius)', function () {
    const baseline = changed((b) => {
      const other = { ...b.externalKey!, id: 'extkey_second', projectIds: ['proj_b'] };
      b.blastRadius.externalKeys.push(other);
      b.projects[1]!.externalKeyId = 'extkey_second';
    });
    assert.deepEqual(preflightFindings(request, baseline), []);
  });

  it('reports every finding, not only the first', function () {
    const baseline = changed((b) => {
      b.key.manager = 'AWS';
      b.projects = [b.projects[0]!];
      b.probes[0]!.control.ok = false;
    });
    const findings = preflightFindings(request, baseline);
    assert.equal(findings.length, 3, findings.join('\n'));
    assert.deepEqual(
      findings.map((f) => f.split(':')[0]),
      ['keyArn', 'projectIds', 'probes'],
    );
  });
});
