// The OpenAI-side activities of the revocation runbook, called directly (they are plain async functions)
// against the OpenAI twin over the test moto: the blast radius, reads, probes before and after a real
// revocation, archive, the one-attempt creates and their finders, and pagination.
import assert from 'node:assert/strict';
import { PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { CreateKeyCommand, DisableKeyCommand } from '@aws-sdk/client-kms';
import { ApplicationFailure } from '@temporalio/common';
import { createAdminApi, type AdminApi } from '../../activities/openai/adminApi';
import { archiveProjectActivity } from '../../activities/openai/archiveProject';
import { readBlastRadiusActivity } from '../../activities/openai/blastRadius';
import { createDataApi, type DataApi } from '../../activities/openai/dataApi';
import { probeProjectDataActivity } from '../../activities/openai/probes';
import {
  createProjectOnce,
  findExternalKeyByName,
  findProjectByName,
  registerExternalKeyOnce,
} from '../../activities/openai/provision';
import { readExternalKeyActivity, readProjectsActivity } from '../../activities/openai/readProjects';
import { EkmError, type EkmErrorType } from '../../common/errors';
import type { ProbeSpec } from '../../common/revocationRequest';
import { kmsPolicyFor, type DemoProject } from '../../sandbox/openai/demo';
import { call, startTwinWorld, testTtlSeconds, type TwinWorld } from '../fixtures/twin';

function adminApi(w: TwinWorld, adminKey = w.demo.openai.adminKey): AdminApi {
  return createAdminApi({ baseUrl: `${w.twin.url}/v1`, adminKey: () => adminKey });
}

/** The worker's project-key map: the demo's keys unless a test gives its own. */
function dataApi(w: TwinWorld, keys?: Record<string, string>): DataApi {
  const map = keys ?? Object.fromEntries(w.demo.openai.projects.map((p) => [p.id, p.apiKey]));
  return createDataApi({ baseUrl: `${w.twin.url}/v1`, projectKey: (id) => map[id] });
}

function probesOf(project: DemoProject): ProbeSpec[] {
  return [
    { projectId: project.id, kind: 'file', id: project.probes.fileId },
    { projectId: project.id, kind: 'response', id: project.probes.responseId },
    { projectId: project.id, kind: 'model', id: project.probes.fineTunedModel },
  ];
}

function secretsOf(w: TwinWorld): string[] {
  return [w.demo.openai.adminKey, ...w.demo.openai.projects.map((p) => p.apiKey)];
}

/** Rejects with an ApplicationFailure of this type; returns it for further checks. */
async function failure(
  promise: Promise<unknown>,
  type: EkmErrorType,
  nonRetryable: boolean,
): Promise<ApplicationFailure> {
  let caught: unknown;
  await assert.rejects(promise, (err: unknown) => {
    caught = err;
    return true;
  });
  assert.ok(caught instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(caught)}`);
  assert.equal(caught.type, type, caught.message);
  assert.equal(caught.nonRetryable, nonRetryable, `nonRetryable of: ${caught.message}`);
  return caught;
}

async function addFault(w: TwinWorld, fault: Record<string, unknown>): Promise<void> {
  const added = await call(w.twin.url, 'POST', '/_twin/faults', w.demo.openai.adminKey, fault);
  assert.equal(added.status, 201);
}

/** A second KMS key the demo role may use too, so it can be registered as another external key. */
async function secondKeyForRole(w: TwinWorld): Promise<string> {
  const { KeyMetadata } = await w.kms.send(new CreateKeyCommand({ Description: 'ekm test: second key' }));
  await w.iam.send(
    new PutRolePolicyCommand({
      RoleName: w.demo.aws.roleArn.split('/').pop()!,
      PolicyName: 'openai-kms',
      PolicyDocument: JSON.stringify(kmsPolicyFor([w.demo.aws.keyArn, KeyMetadata!.Arn!])),
    }),
  );
  return KeyMetadata!.Arn!;
}

describe('OpenAI activities', function () {
  let world: TwinWorld | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  describe('blast radius and reads', function () {
    it('finds the external key and both demo projects, then a second key on the same role and its project', async function () {
      world = await startTwinWorld();
      const api = adminApi(world);
      const { aws, openai } = world.demo;
      const readBlastRadius = readBlastRadiusActivity(api);

      const first = await readBlastRadius({ kmsArn: aws.keyArn, roleArn: aws.roleArn });
      assert.deepEqual(
        first.externalKeys.map((k) => k.id),
        [openai.externalKeyId],
      );
      assert.deepEqual(first.externalKeys[0]!.projectIds.sort(), openai.projects.map((p) => p.id).sort());
      assert.deepEqual(first.projects.map((p) => p.id).sort(), openai.projects.map((p) => p.id).sort());
      assert.ok(
        first.projects.every((p) => p.status === 'active' && p.externalKeyId === openai.externalKeyId),
      );

      const otherKeyArn = await secondKeyForRole(world);
      const second = await registerExternalKeyOnce(api)({
        name: 'second-on-same-role',
        roleArn: aws.roleArn,
        kmsArn: otherKeyArn,
        externalId: aws.externalId,
      });
      const project = await createProjectOnce(api)({ name: 'on-second-key', externalKeyId: second.id });
      // An archived project bound to the key is not in the radius: it has nothing left to lose.
      await archiveProjectActivity(api)(openai.projects[1]!.id);

      const radius = await readBlastRadius({ kmsArn: aws.keyArn, roleArn: aws.roleArn });
      assert.deepEqual(radius.externalKeys.map((k) => k.id).sort(), [openai.externalKeyId, second.id].sort());
      assert.deepEqual(radius.projects.map((p) => p.id).sort(), [openai.projects[0]!.id, project.id].sort());

      // By the key alone (another role), only the registrations of that key count.
      const byKey = await readBlastRadius({
        kmsArn: otherKeyArn,
        roleArn: `arn:aws:iam::${aws.accountId}:role/somebody-else`,
      });
      assert.deepEqual(
        byKey.externalKeys.map((k) => k.id),
        [second.id],
      );
      assert.deepEqual(
        byKey.projects.map((p) => p.id),
        [project.id],
      );
    });

    it('reads projects and the external key; an unknown id is a final refusal naming it', async function () {
      world = await startTwinWorld();
      const api = adminApi(world);
      const { openai } = world.demo;
      const ids = openai.projects.map((p) => p.id);

      const projects = await readProjectsActivity(api)(ids);
      assert.deepEqual(
        projects.map((p) => p.id),
        ids,
      );
      assert.ok(projects.every((p) => p.status === 'active' && p.externalKeyId === openai.externalKeyId));
      assert.ok(projects[0]!.name.startsWith('ekm-demo'));

      const key = await readExternalKeyActivity(api)(openai.externalKeyId);
      assert.equal(key.id, openai.externalKeyId);
      assert.equal(key.type, 'aws');
      assert.equal(key.kmsArn, world.demo.aws.keyArn);
      assert.equal(key.roleArn, world.demo.aws.roleArn);
      assert.deepEqual(key.projectIds.sort(), [...ids].sort());

      const missingProject = 'proj_doesnotexist000';
      const p404 = await failure(
        readProjectsActivity(api)([ids[0]!, missingProject]),
        EkmError.OpenAiRefused,
        true,
      );
      assert.match(p404.message, new RegExp(`${missingProject}.*HTTP 404.*request req_`));
      const missingKey = 'extkey_doesnotexist000';
      const k404 = await failure(readExternalKeyActivity(api)(missingKey), EkmError.OpenAiRefused, true);
      assert.match(k404.message, new RegExp(`${missingKey}.*HTTP 404`));

      await failure(
        readProjectsActivity(api)(['../organization/external_keys']),
        EkmError.InvalidInput,
        true,
      );
      await failure(readExternalKeyActivity(api)('proj_nope'), EkmError.InvalidInput, true);
    });

    it('a refused admin key is a final refusal; no admin key at all is a misconfigured worker', async function () {
      world = await startTwinWorld();
      const wrong = await failure(
        readProjectsActivity(adminApi(world, 'sk-admin-wrong-0123456789'))([
          world.demo.openai.projects[0]!.id,
        ]),
        EkmError.OpenAiRefused,
        true,
      );
      assert.match(wrong.message, /HTTP 401\) — invalid_api_key/);
      assert.match(wrong.message, /sk-\[redacted\]/, 'the masked key OpenAI echoes is redacted');
      const none = createAdminApi({ baseUrl: `${world.twin.url}/v1`, adminKey: () => undefined });
      const misconfigured = await failure(
        readExternalKeyActivity(none)(world.demo.openai.externalKeyId),
        EkmError.WorkerMisconfigured,
        true,
      );
      assert.match(misconfigured.message, /no OpenAI Admin API key/);
    });
  });

  describe('probes', function () {
    it('readable before, still readable within the cache TTL, denied after it; the control answers throughout', async function () {
      world = await startTwinWorld();
      const project = world.demo.openai.projects[0]!;
      const probe = probeProjectDataActivity(dataApi(world));
      const input = { projectId: project.id, probes: probesOf(project) };

      const before = await probe(input);
      assert.deepEqual(
        before.probes.map((p) => p.outcome),
        ['readable', 'readable', 'readable'],
      );
      assert.ok(before.probes.every((p) => p.httpStatus === 200 && /^req_/.test(String(p.requestId))));
      assert.equal(before.control.ok, true);

      // moto answers 500 to DisableKey given an ARN: the bare key id works.
      await world.kms.send(new DisableKeyCommand({ KeyId: world.demo.aws.keyId }));
      const cached = await probe(input);
      assert.deepEqual(
        cached.probes.map((p) => p.outcome),
        ['readable', 'readable', 'readable'],
        'cached data keys still serve reads',
      );

      world.advance(testTtlSeconds + 1);
      const after = await probe(input);
      assert.deepEqual(
        after.probes.map((p) => p.outcome),
        ['denied', 'denied', 'denied'],
      );
      assert.ok(after.probes.every((p) => p.httpStatus === 403 && p.code === 'external_key_access_denied'));
      assert.match(after.probes[0]!.why, /DisabledException/);
      assert.equal(after.control.ok, true);
      assert.equal(after.control.httpStatus, 200);

      const evidence = JSON.stringify([before, cached, after]);
      for (const secret of secretsOf(world)) assert.ok(!evidence.includes(secret), 'a key in the round');
      assert.ok(!evidence.includes('hello from the batch'), 'the customer’s data in the round');
    });

    it('a wrong project key, or another project’s key, is unknown — never denied — even after a revocation', async function () {
      world = await startTwinWorld();
      const [project, other] = world.demo.openai.projects;
      await world.kms.send(new DisableKeyCommand({ KeyId: world.demo.aws.keyId }));
      world.advance(testTtlSeconds + 1);
      const input = { projectId: project!.id, probes: probesOf(project!) };

      const wrong = await probeProjectDataActivity(
        dataApi(world, { [project!.id]: 'sk-proj-wrong-0123456789' }),
      )(input);
      assert.deepEqual(
        wrong.probes.map((p) => [p.outcome, p.httpStatus, p.code]),
        Array(3).fill(['unknown', 401, 'invalid_api_key']),
      );
      assert.equal(wrong.control.ok, false);
      assert.match(wrong.probes[0]!.why, /sk-\[redacted\]/, 'the masked key OpenAI echoes is redacted');

      const foreign = await probeProjectDataActivity(dataApi(world, { [project!.id]: other!.apiKey }))(input);
      assert.deepEqual(
        foreign.probes.map((p) => [p.outcome, p.httpStatus]),
        Array(3).fill(['unknown', 404]),
      );
      assert.equal(foreign.control.ok, true, 'the key works; the objects are not its project’s');

      // A matcher list that does not know OpenAI's refusal leaves it unknown, too.
      const strict = await probeProjectDataActivity(dataApi(world), ['^some_other_code$'])(input);
      assert.deepEqual(
        strict.probes.map((p) => [p.outcome, p.httpStatus]),
        Array(3).fill(['unknown', 403]),
      );
    });

    it('every probe 429/503 → retryable OpenAiUnavailable after Retry-After; a partial outage → unknown for those', async function () {
      world = await startTwinWorld();
      const project = world.demo.openai.projects[0]!;
      const probe = probeProjectDataActivity(dataApi(world));
      const input = { projectId: project.id, probes: probesOf(project) };
      await addFault(world, { kind: '503', path: '/v1/files/*/content', count: 1 });
      await addFault(world, { kind: '429', path: '/v1/responses/*', count: 1, retryAfterSeconds: 7 });
      await addFault(world, { kind: 'drop', path: '/v1/models/*', count: 1 });

      const unavailable = await failure(probe(input), EkmError.OpenAiUnavailable, false);
      assert.equal(unavailable.nextRetryDelay, 7000);
      assert.match(unavailable.message, /HTTP 503/);
      assert.match(unavailable.message, /HTTP 429/);

      const retried = await probe(input);
      assert.deepEqual(
        retried.probes.map((p) => p.outcome),
        ['readable', 'readable', 'readable'],
      );

      await addFault(world, { kind: '500', path: '/v1/responses/*', count: 1 });
      const partial = await probe(input);
      assert.deepEqual(
        partial.probes.map((p) => [p.outcome, p.httpStatus]),
        [
          ['readable', 200],
          ['unknown', 500],
          ['readable', 200],
        ],
      );
    });

    it('refuses a project without a key, a probe of another project and a base-model probe, before any call', async function () {
      world = await startTwinWorld();
      const [project, other] = world.demo.openai.projects;
      const input = { projectId: project!.id, probes: probesOf(project!) };

      const missing = await failure(
        probeProjectDataActivity(dataApi(world, { [other!.id]: other!.apiKey }))(input),
        EkmError.WorkerMisconfigured,
        true,
      );
      assert.match(missing.message, new RegExp(`no API key for project ${project!.id}`));
      for (const secret of secretsOf(world)) assert.ok(!missing.message.includes(secret));

      const probe = probeProjectDataActivity(dataApi(world));
      await failure(probe({ projectId: project!.id, probes: probesOf(other!) }), EkmError.InvalidInput, true);
      const baseModel = await failure(
        probe({
          projectId: project!.id,
          probes: [{ projectId: project!.id, kind: 'model', id: 'gpt-4o-mini' }],
        }),
        EkmError.InvalidInput,
        true,
      );
      assert.match(baseModel.message, /never denied/);
    });
  });

  describe('archive', function () {
    it('archives once; a second archive returns the archived project', async function () {
      world = await startTwinWorld();
      const api = adminApi(world);
      const project = world.demo.openai.projects[0]!;
      const archive = archiveProjectActivity(api);

      const first = await archive(project.id);
      assert.equal(first.status, 'archived');
      const second = await archive(project.id);
      assert.deepEqual(second, first);

      const logs = await call(
        world.twin.url,
        'GET',
        `/v1/organization/audit_logs?event_types[]=project.archived&project_ids[]=${project.id}`,
        world.demo.openai.adminKey,
      );
      assert.equal((logs.body as { data: unknown[] }).data.length, 1);
    });

    it('a 503 on archive is retryable, and the retry finds the change made before it', async function () {
      world = await startTwinWorld();
      const api = adminApi(world);
      const project = world.demo.openai.projects[0]!;
      await addFault(world, {
        kind: 'apply-then-500',
        path: '/v1/organization/projects/*/archive',
        count: 1,
      });
      await failure(archiveProjectActivity(api)(project.id), EkmError.OpenAiUnavailable, false);
      assert.equal((await archiveProjectActivity(api)(project.id)).status, 'archived');
    });
  });

  describe('one-attempt creates', function () {
    it('register fails after the change is applied; the finder adopts exactly the one it made', async function () {
      world = await startTwinWorld();
      const api = adminApi(world);
      const { aws } = world.demo;
      const kmsArn = await secondKeyForRole(world);
      await addFault(world, {
        kind: 'apply-then-500',
        path: '/v1/organization/external_keys',
        method: 'POST',
        count: 1,
      });
      const name = 'replacement-apply-then-500';
      const request = { name, roleArn: aws.roleArn, kmsArn, externalId: aws.externalId };
      const lost = await failure(registerExternalKeyOnce(api)(request), EkmError.OpenAiUnavailable, true);
      assert.match(lost.message, /HTTP 500/);

      const adopted = await findExternalKeyByName(api)(name);
      assert.ok(adopted);
      assert.equal(adopted.kmsArn, kmsArn);
      assert.equal(await findExternalKeyByName(api)('no-such-name'), null);

      // Trying the create again is refused by the twin as a duplicate, naming what the lost attempt made.
      const duplicate = await failure(registerExternalKeyOnce(api)(request), EkmError.OpenAiRefused, true);
      assert.match(duplicate.message, new RegExp(`HTTP 409.*${adopted.id}`));
    });

    it('create project: a dropped answer fails the attempt; the finder adopts exactly one; namesakes are refused', async function () {
      world = await startTwinWorld();
      const api = adminApi(world);
      const { externalKeyId } = world.demo.openai;
      await addFault(world, {
        kind: 'apply-then-drop',
        path: '/v1/organization/projects',
        method: 'POST',
        count: 1,
      });
      const name = 'replacement-apply-then-drop';
      const lost = await failure(
        createProjectOnce(api)({ name, externalKeyId }),
        EkmError.OpenAiUnavailable,
        true,
      );
      assert.match(lost.message, /no answer from OpenAI/);

      const adopted = await findProjectByName(api)(name);
      assert.ok(adopted);
      assert.equal(adopted.externalKeyId, externalKeyId);
      assert.equal(adopted.status, 'active');

      await createProjectOnce(api)({ name, externalKeyId });
      const several = await failure(findProjectByName(api)(name), EkmError.PreflightFailed, true);
      assert.match(several.message, new RegExp(adopted.id));
    });
  });

  describe('pagination', function () {
    it('lists every project across pages of 100', async function () {
      world = await startTwinWorld();
      const api = adminApi(world);
      const { externalKeyId } = world.demo.openai;
      const made: string[] = [];
      for (let i = 0; i < 230; i++) {
        made.push((await createProjectOnce(api)({ name: `bulk-${i}`, externalKeyId })).id);
      }
      const listing = await api.listProjects({ includeArchived: false });
      assert.ok(listing.ok);
      assert.equal(listing.items.length, 232);
      assert.equal(new Set(listing.items.map((p) => p.id)).size, 232);
      assert.equal(listing.requestIds.length, 3);

      const radius = await readBlastRadiusActivity(api)({
        kmsArn: world.demo.aws.keyArn,
        roleArn: world.demo.aws.roleArn,
      });
      assert.equal(radius.projects.length, 232);
      assert.ok(made.every((id) => radius.projects.some((p) => p.id === id)));
    });

    it('lists every external key across the list’s default pages', async function () {
      world = await startTwinWorld({ behaviour: { duplicateRegistration: 'allow' } });
      const api = adminApi(world);
      const { aws } = world.demo;
      const register = registerExternalKeyOnce(api);
      for (let i = 0; i < 24; i++) {
        await register({
          name: `again-${i}`,
          roleArn: aws.roleArn,
          kmsArn: aws.keyArn,
          externalId: aws.externalId,
        });
      }
      const listing = await api.listExternalKeys();
      assert.ok(listing.ok);
      assert.equal(listing.items.length, 25);
      assert.equal(listing.requestIds.length, 2, 'the twin pages by 20 when no limit is given');
      assert.ok(await findExternalKeyByName(api)('again-23'));
    });

    it('a listing whose cursor item is removed between pages starts over instead of failing the read', async function () {
      world = await startTwinWorld({ behaviour: { duplicateRegistration: 'allow' } });
      const w = world;
      const api = adminApi(w);
      const { aws } = w.demo;
      const register = registerExternalKeyOnce(api);
      for (let i = 0; i < 24; i++)
        await register({
          name: `again-${i}`,
          roleArn: aws.roleArn,
          kmsArn: aws.keyArn,
          externalId: aws.externalId,
        });
      // The second page waits, and meanwhile the first page's last registration (its cursor) is deleted,
      // as another run may do: the twin then refuses `after` with a 400 naming it, as a cursor API does.
      await addFault(w, {
        kind: 'latency',
        path: '/v1/organization/external_keys',
        method: 'GET',
        skip: 1,
        count: 1,
        latencyMs: 1500,
      });
      const listing = api.listExternalKeys();
      await new Promise((r) => setTimeout(r, 700));
      const keys = w.twin.store.data.externalKeys;
      const cursor = keys[19]!.id;
      keys.splice(19, 1);
      const answer = await listing;
      assert.ok(answer.ok, JSON.stringify(!answer.ok && answer.answer.body));
      assert.deepEqual(
        answer.items.map((k) => k.id).sort(),
        keys.map((k) => k.id).sort(),
        'every registration still there, once',
      );
      assert.ok(!answer.items.some((k) => k.id === cursor));
    });
  });
});
