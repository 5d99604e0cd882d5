import assert from 'node:assert/strict';
import type { z } from 'zod';
import { describeIssues } from '../../common/keys';
import {
  aliasRepointRefusal,
  awsRevocationMethods,
  awsRevokeKeyInput,
  type AwsRevokeKeyInput,
} from '../../providers/aws/request';
import { restoreAccessInput } from '../../common/restoreRequest';

const account = '111122223333';
const keyArn = `arn:aws:kms:us-east-1:${account}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const roleArn = `arn:aws:iam::${account}:role/openai-ekm`;

/** A complete, valid API request: every case below changes one thing. */
const apiRequest: AwsRevokeKeyInput = {
  provider: 'aws',
  keyArn,
  roleArn,
  method: 'remove-trust',
  externalKeyId: 'extkey_demo',
  projectIds: ['proj_a', 'proj_b'],
  probes: [
    { projectId: 'proj_a', kind: 'file', id: 'file-abc123' },
    { projectId: 'proj_b', kind: 'model', id: 'ft:gpt-4o-mini:org:name:id1' },
  ],
  requester: 'rita@example.com',
  reason: 'the key is suspected compromised',
  changeTicket: 'CHG-1234',
};

const chatgptRequest: AwsRevokeKeyInput = {
  ...apiRequest,
  product: 'chatgpt-enterprise',
  externalKeyId: undefined,
  projectIds: [],
  probes: [],
  workspaceId: 'ws_enterprise-1',
};

/** The issues of a refused input as one line per field (as the CLI and the workflow show them). */
function refusal(input: unknown, schema: z.ZodType = awsRevokeKeyInput): string {
  const parsed = schema.safeParse(input);
  assert.equal(parsed.success, false, `expected a refusal, but ${JSON.stringify(input)} was accepted`);
  return describeIssues(parsed.error!);
}

describe('awsRevokeKeyInput', function () {
  it('accepts a valid API request and fills the defaults (api, normal, replace, not plan-only)', function () {
    const request = awsRevokeKeyInput.parse(apiRequest);
    assert.equal(request.product, 'api');
    assert.equal(request.urgency, 'normal');
    assert.equal(request.replace, true);
    assert.equal(request.planOnly, false);
    assert.equal(request.deleteAfterDays, undefined);
    assert.equal(request.workspaceId, undefined);
    assert.deepEqual(request.projectIds, ['proj_a', 'proj_b']);
  });

  it('accepts every revocation method', function () {
    for (const method of awsRevocationMethods)
      assert.equal(awsRevokeKeyInput.parse({ ...apiRequest, method }).method, method);
  });

  it('trims what a person typed', function () {
    const request = awsRevokeKeyInput.parse({
      ...apiRequest,
      keyArn: ` ${keyArn} `,
      requester: '  rita@example.com ',
      changeTicket: ' CHG-1234 ',
    });
    assert.equal(request.keyArn, keyArn);
    assert.equal(request.requester, 'rita@example.com');
    assert.equal(request.changeTicket, 'CHG-1234');
  });

  it('accepts a ChatGPT Enterprise request with a workspace and no probes', function () {
    const request = awsRevokeKeyInput.parse(chatgptRequest);
    assert.equal(request.product, 'chatgpt-enterprise');
    assert.equal(request.workspaceId, 'ws_enterprise-1');
    assert.deepEqual(request.probes, []);
  });

  it('accepts deleteAfterDays from 7 to 30', function () {
    for (const days of [7, 30])
      assert.equal(awsRevokeKeyInput.parse({ ...apiRequest, deleteAfterDays: days }).deleteAfterDays, days);
  });

  const refused: [string, Record<string, unknown>, RegExp][] = [
    [
      'an alias ARN for keyArn (the CLI resolves it)',
      { keyArn: `arn:aws:kms:us-east-1:${account}:alias/ekm-demo` },
      /keyArn: must be the key ARN \(arn:aws:kms:REGION:ACCOUNT:key\/ID\); `ekm revoke` resolves an alias or a key id to it for you/,
    ],
    [
      'an alias name for keyArn',
      { keyArn: 'alias/ekm-demo' },
      /keyArn: must be the key ARN .*resolves an alias or a key id/,
    ],
    [
      'a bare key id for keyArn',
      { keyArn: '1234abcd-12ab-34cd-56ef-1234567890ab' },
      /keyArn: must be the key ARN .*resolves an alias or a key id/,
    ],
    [
      'a role in another account than the key',
      { roleArn: 'arn:aws:iam::444455556666:role/openai-ekm' },
      /roleArn: is in account 444455556666 but the key is in account 111122223333: give the role OpenAI assumes in the key's account/,
    ],
    [
      'a role ARN that is not one',
      { roleArn: 'openai-ekm' },
      /roleArn: must be the IAM role ARN OpenAI assumes/,
    ],
    [
      'alias-repoint (a revocation, not a rotation)',
      { method: 'alias-repoint' },
      /method: is refused: switching an alias to another key is a key revocation, not a rotation.*choose an explicit method/,
    ],
    [
      'an unknown method',
      { method: 'rotate-key' },
      /method: must be one of: remove-trust, remove-key-permission, key-policy-deny, revoke-grant, disable-key/,
    ],
    [
      'an API request without externalKeyId',
      { externalKeyId: undefined },
      /externalKeyId: is required for the API \(extkey_…\)/,
    ],
    [
      'an external key id that is not one',
      { externalKeyId: 'key_1' },
      /externalKeyId: must be an OpenAI external key id/,
    ],
    [
      'an API request without projectIds',
      { projectIds: undefined, probes: [] },
      /projectIds: must list every project bound to the key \(at least one\)/,
    ],
    [
      'an API request without probes',
      { probes: [] },
      /probes: must name at least one object to probe \(file, response or model\): without one, "denied" proves nothing/,
    ],
    [
      'a probe for a project not in projectIds',
      { probes: [{ projectId: 'proj_zz', kind: 'file', id: 'file-1' }] },
      /probes\.0\.projectId: proj_zz is not one of projectIds/,
    ],
    [
      'a probe of an unknown kind',
      { probes: [{ projectId: 'proj_a', kind: 'batch', id: 'batch_1' }] },
      /probes\.0\.kind: must be one of: file, response, model/,
    ],
    [
      'a project listed twice',
      { projectIds: ['proj_a', 'proj_b', 'proj_a'] },
      /projectIds: lists a project twice/,
    ],
    [
      'a project id that is not one',
      { projectIds: ['proj_a', 'project-b'] },
      /projectIds\.1: must be an OpenAI project id/,
    ],
    ['a workspaceId for the API', { workspaceId: 'ws_1' }, /workspaceId: is for chatgpt-enterprise only/],
    [
      'deleteAfterDays 6 (below the AWS waiting period)',
      { deleteAfterDays: 6 },
      /deleteAfterDays: must be at least 7 days \(AWS KMS waiting period\)/,
    ],
    [
      'deleteAfterDays 31 (above the AWS waiting period)',
      { deleteAfterDays: 31 },
      /deleteAfterDays: must be at most 30 days \(AWS KMS waiting period\)/,
    ],
    [
      'a fractional deleteAfterDays',
      { deleteAfterDays: 7.5 },
      /deleteAfterDays: must be a whole number of days/,
    ],
    ['an unknown extra field (strict)', { hosts: ['api.openai.com'] }, /Unrecognized key: "hosts"/],
    [
      'an empty requester',
      { requester: '   ' },
      /requester: must name a person \(e\.g\. alice@example\.com\)/,
    ],
    [
      'a requester too long',
      { requester: 'x'.repeat(201) },
      /requester: is too long \(at most 200 characters\)/,
    ],
    ['an empty reason', { reason: ' ' }, /reason: must say why the key is revoked/],
    [
      'a change ticket with spaces',
      { changeTicket: 'CHG 1234' },
      /changeTicket: must be a change-ticket reference such as CHG-1234/,
    ],
    [
      'a change ticket starting with a symbol',
      { changeTicket: '#1234' },
      /changeTicket: must be a change-ticket reference such as CHG-1234/,
    ],
    ['an unknown urgency', { urgency: 'critical' }, /urgency: must be normal or incident/],
    ['an unknown product', { product: 'enterprise' }, /product: must be one of: api, chatgpt-enterprise/],
    ['another provider', { provider: 'gcp' }, /provider: must be aws/],
  ];
  for (const [what, change, message] of refused) {
    it(`refuses ${what}, naming the field and the fix`, function () {
      assert.match(refusal({ ...apiRequest, ...change }), message);
    });
  }

  it('carries the runbook’s whole explanation for alias-repoint', function () {
    assert.ok(refusal({ ...apiRequest, method: 'alias-repoint' }).includes(aliasRepointRefusal));
  });

  it('blames only keyArn when keyArn is an alias or a key id (the role is fine)', function () {
    // The account check compares the role's account with the (unparseable) key's: it must not add
    // "roleArn: … the key is in account undefined" to a request whose only fault is keyArn.
    for (const bad of ['alias/ekm-demo', '1234abcd-12ab-34cd-56ef-1234567890ab']) {
      const message = refusal({ ...apiRequest, keyArn: bad });
      assert.doesNotMatch(message, /roleArn/, message);
    }
  });

  const chatgptRefused: [string, Record<string, unknown>, RegExp][] = [
    ['without workspaceId', { workspaceId: undefined }, /workspaceId: is required for chatgpt-enterprise/],
    [
      'with probes',
      { projectIds: ['proj_a'], probes: [{ projectId: 'proj_a', kind: 'file', id: 'file-1' }] },
      /probes: ChatGPT Enterprise has no API to probe: a person attests instead/,
    ],
    [
      'with a workspace id that is not one',
      { workspaceId: 'ws 1' },
      /workspaceId: must be the ChatGPT Enterprise workspace id/,
    ],
  ];
  for (const [what, change, message] of chatgptRefused) {
    it(`refuses a ChatGPT Enterprise request ${what}`, function () {
      assert.match(refusal({ ...chatgptRequest, ...change }), message);
    });
  }

  it('refuses input that is not an object', function () {
    for (const input of [null, 'remove-trust', []]) assert.match(refusal(input), /\(input\): /);
  });
});

describe('restoreAccessInput', function () {
  const restore = {
    revokeWorkflowId: `ekm-key:${keyArn}`,
    revokeRunId: '3f2504e0-4f89-41d3-9a0c-0305e82c3301',
    requester: ' rita@example.com ',
    reason: 'the incident was a false alarm',
    changeTicket: 'CHG-1300',
  };

  it('accepts a restore request and trims the requester', function () {
    const parsed = restoreAccessInput.parse(restore);
    assert.equal(parsed.requester, 'rita@example.com');
    assert.equal(parsed.revokeRunId, restore.revokeRunId);
  });

  const refused: [string, Record<string, unknown>, RegExp][] = [
    [
      'an empty workflow id',
      { revokeWorkflowId: '' },
      /revokeWorkflowId: must name the revocation run \(its workflow id\)/,
    ],
    [
      'a run id that is not a UUID',
      { revokeRunId: 'run-1' },
      /revokeRunId: must be the revocation run id \(see `ekm status`\)/,
    ],
    ['an empty requester', { requester: '' }, /requester: must name a person/],
    ['an empty reason', { reason: '  ' }, /reason: must say why access is restored/],
    [
      'a bad change ticket',
      { changeTicket: 'CHG 1' },
      /changeTicket: must be a change-ticket reference such as CHG-1234/,
    ],
    ['an unknown extra field (strict)', { keyArn }, /Unrecognized key: "keyArn"/],
  ];
  for (const [what, change, message] of refused) {
    it(`refuses ${what}`, function () {
      assert.match(refusal({ ...restore, ...change }, restoreAccessInput), message);
    });
  }
});
