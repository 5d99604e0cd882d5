// verifyKeyUsage on the dev server, reading the OpenAI twin's CloudTrail feed (every KMS call it made or was
// refused for OpenAI, through moto) with the real @aws-sdk/client-cloudtrail; and `ekm usage` through the
// binary. The twin decrypts only when its cache is cold, so tests move its clock past the TTL first.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { CreateKeyCommand, DisableKeyCommand } from '@aws-sdk/client-kms';
import { usageWorkflowId } from '../../common/usage';
import { type VerifyKeyUsageInput, type VerifyKeyUsageResult } from '../../providers/usageRequests';
import { verifyKeyUsage } from '../../workflows';
import { runCli } from '../fixtures/cli';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { devEnvironment } from '../fixtures/environments';
import { assertEvidence } from '../fixtures/evidence';
import { devServer } from '../fixtures/services';
import { call, openAiReadsOldFile, startTwinWorld, testTtlSeconds, type TwinWorld } from '../fixtures/twin';
import { withWorker, type WorkerContext } from '../fixtures/worker';
import { revokeGcpAccessActivity } from '../../providers/gcp/activities/revokeAccess';
import { createGcpClients } from '../../providers/gcp/activities/clients';
import { startGcpRevocationWorld, type GcpRevocationWorld } from '../fixtures/revoke';

/** The product's own GCP clients, against the world's fake. */
function gcpClientsOf(w: GcpRevocationWorld) {
  return createGcpClients({ projectId: w.gcp.fake.projectId, endpoint: w.gcp.fake.address });
}

function usageWorker(w: TwinWorld) {
  return {
    aws: true,
    cloudTrailEndpoint: w.twin.url,
    openai: { baseUrl: w.twin.url, adminKey: w.demo.openai.adminKey },
  };
}

async function usage(
  ctx: WorkerContext,
  input: Omit<Extract<VerifyKeyUsageInput, { provider: 'aws' }>, 'provider'>,
): Promise<VerifyKeyUsageResult> {
  return ctx.execute(verifyKeyUsage, {
    workflowId: usageWorkflowId(input.keyArn, randomUUID()),
    args: [{ provider: 'aws', ...input }],
  });
}

const ms = (iso: string | undefined) => (iso ? Date.parse(iso) : NaN);

describe('verifyKeyUsage (AWS)', function () {
  let world: TwinWorld | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  it('reports the seeded key’s use by OpenAI’s role: counts per operation, first and last use, validate', async function () {
    const start = new Date(Date.now() - 1000);
    world = await startTwinWorld();
    const w = world;
    w.advance(testTtlSeconds + 1);
    const probedAt = Date.now();
    assert.equal(await openAiReadsOldFile(w), 200);

    let evidenceDir = '';
    const result = await withWorker(
      await devEnvironment(),
      (ctx) => {
        evidenceDir = ctx.config.evidence.directory;
        return usage(ctx, {
          keyArn: w.demo.aws.keyArn,
          roleArn: w.demo.aws.roleArn,
          externalKeyId: w.demo.openai.externalKeyId,
          since: start.toISOString(),
          requester: 'rita@example.com',
        });
      },
      usageWorker(w),
    );
    const u = result.usage;
    // The check leaves a record like every run: schema-valid, chained and signed, saying what it read.
    const [workflowFolder] = fs.readdirSync(evidenceDir).filter((f) => !f.startsWith('.'));
    const [runFolder] = fs.readdirSync(path.join(evidenceDir, workflowFolder!));
    const evidence = assertEvidence(path.join(evidenceDir, workflowFolder!, runFolder!));
    assert.equal(evidence.endState, 'checked');
    assert.equal(evidence.request.requester, 'rita@example.com');
    assert.equal(evidence.usage?.window?.report?.successful, u.successful);
    assert.equal(evidence.usage?.window?.validation?.outcome, 'success');
    // Registration's live check and the seeded objects encrypt; registration and the probe decrypt.
    assert.ok((u.operations.Encrypt?.successful ?? 0) >= 1, JSON.stringify(u.operations));
    assert.ok((u.operations.Decrypt?.successful ?? 0) >= 1, JSON.stringify(u.operations));
    assert.equal(u.refused, 0);
    assert.equal(u.successful, u.operations.Encrypt!.successful + u.operations.Decrypt!.successful);
    assert.ok(ms(u.firstSuccessfulUse) >= start.getTime() - 1000);
    assert.ok(ms(u.lastSuccessfulUse) >= probedAt - 1000, 'the probe’s Decrypt is the last use');
    assert.ok(ms(u.firstSuccessfulUse) <= ms(u.lastSuccessfulUse));
    assert.ok(u.samples.length > 0 && u.samples.every((s) => s.eventId && !s.errorCode));
    assert.equal(u.truncated, false);
    assert.equal(result.validation?.outcome, 'success');
    assert.match(String(result.validation?.requestId), /^req_/);
  });

  it('reports no use of a key OpenAI never used', async function () {
    world = await startTwinWorld();
    const w = world;
    const { KeyMetadata } = await w.kms.send(new CreateKeyCommand({ Description: 'ekm test: never used' }));
    w.advance(testTtlSeconds + 1);
    assert.equal(
      await openAiReadsOldFile(w),
      200,
      'the seeded key is in use meanwhile: only the other key is read',
    );

    const result = await withWorker(
      await devEnvironment(),
      (ctx) =>
        usage(ctx, {
          keyArn: KeyMetadata!.Arn!,
          roleArn: w.demo.aws.roleArn,
          since: new Date(Date.now() - 3_600_000).toISOString(),
        }),
      usageWorker(w),
    );
    assert.deepEqual(result.usage.operations, {});
    assert.equal(result.usage.successful, 0);
    assert.equal(result.usage.refused, 0);
    assert.equal(result.usage.eventsScanned, 0);
    assert.equal(result.usage.firstSuccessfulUse, undefined);
    assert.equal(result.usage.lastSuccessfulUse, undefined);
    assert.equal(result.validation, undefined, 'no external key named, no validate');
  });

  it('after a revocation and the cache TTL, a probe shows up as refused, never as a successful use', async function () {
    const start = new Date(Date.now() - 1000);
    world = await startTwinWorld();
    const w = world;
    // moto answers 500 to DisableKey given an ARN: the bare key id works.
    await w.kms.send(new DisableKeyCommand({ KeyId: w.demo.aws.keyId }));
    const revokedAt = new Date();
    w.advance(testTtlSeconds + 1);
    assert.equal(await openAiReadsOldFile(w), 403);

    const [after, whole] = await withWorker(
      await devEnvironment(),
      async (ctx) => [
        await usage(ctx, {
          keyArn: w.demo.aws.keyArn,
          roleArn: w.demo.aws.roleArn,
          externalKeyId: w.demo.openai.externalKeyId,
          since: revokedAt.toISOString(),
        }),
        await usage(ctx, {
          keyArn: w.demo.aws.keyArn,
          roleArn: w.demo.aws.roleArn,
          since: start.toISOString(),
        }),
      ],
      usageWorker(w),
    );
    assert.equal(after.usage.successful, 0, JSON.stringify(after.usage.operations));
    assert.equal(after.usage.lastSuccessfulUse, undefined);
    assert.ok((after.usage.operations.Decrypt?.refused ?? 0) >= 1, JSON.stringify(after.usage.operations));
    assert.equal(
      after.usage.refused,
      Object.values(after.usage.refusedByCode).reduce((a, b) => a + b, 0),
    );
    assert.ok(ms(after.usage.lastRefusedAttempt) >= revokedAt.getTime());
    assert.ok(after.usage.samples.some((s) => s.eventName === 'Decrypt' && s.errorCode));
    assert.equal(after.validation?.outcome, 'revoked');
    // Over the whole window: the uses before the revocation, the last of them before it.
    assert.ok(whole.usage.successful >= 1);
    assert.ok(ms(whole.usage.lastSuccessfulUse) <= revokedAt.getTime());
    assert.ok(whole.usage.refused >= 1);
  });

  it('fails at once, naming the field, on a window that ends before it starts', async function () {
    world = await startTwinWorld();
    const w = world;
    await withWorker(
      await devEnvironment(),
      async (ctx) => {
        await assert.rejects(
          usage(ctx, {
            keyArn: w.demo.aws.keyArn,
            roleArn: w.demo.aws.roleArn,
            since: '2025-01-31T09:00:00Z',
            until: '2025-01-30T09:00:00Z',
          }),
          (err: Error & { cause?: Error }) =>
            /^until: must be later than since/.test(err.cause?.message ?? ''),
        );
      },
      usageWorker(w),
    );
  });

  it('`ekm usage` resolves an alias, prints the counts and validate, and says the same in JSON', async function () {
    world = await startTwinWorld();
    const w = world;
    w.advance(testTtlSeconds + 1);
    assert.equal(await openAiReadsOldFile(w), 200);
    const env = { TEMPORAL_ADDRESS: (await devServer()).address, TEMPORAL_NAMESPACE: 'default' };
    const [human, json, bad] = await withWorker(
      await devEnvironment(),
      async ({ taskQueue }) => {
        const flags = [
          ...['--key', w.demo.aws.keyAlias, '--role', w.demo.aws.roleArn],
          ...['--external-key', w.demo.openai.externalKeyId, '--since', '1h', '--task-queue', taskQueue],
        ];
        return [
          await runCli(['usage', ...flags], env),
          await runCli(['usage', ...flags, '--json'], env),
          await runCli(['usage', ...flags, '--since', 'yesterday'], env),
        ];
      },
      usageWorker(w),
    );
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, new RegExp(`usage of ${w.demo.aws.keyArn}`));
    assert.match(human.stdout, /^\s+Decrypt\s+\d+\s+0$/m);
    assert.match(human.stdout, /last successful use\s+\d{4}-/);
    assert.match(human.stdout, /validate extkey_\S+: success/);
    assert.equal(json.code, 0, json.stderr);
    const parsed = JSON.parse(json.stdout) as VerifyKeyUsageResult & { workflowId: string };
    assert.equal(parsed.usage.provider === 'aws' && parsed.usage.keyArn, w.demo.aws.keyArn);
    assert.ok(parsed.usage.operations.Decrypt!.successful >= 1);
    assert.equal(parsed.validation?.outcome, 'success');
    assert.match(parsed.workflowId, /^ekm-usage:arn:aws:kms:/);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--since yesterday: give a duration/);
  });
});

describe('verifyKeyUsage (Google Cloud)', function () {
  let world: GcpRevocationWorld | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  it('reads OpenAI’s use of a Cloud KMS key from the Data Access log, then its refusals after remove-binding; and `ekm usage --key-name`', async function () {
    const start = new Date(Date.now() - 1000).toISOString();
    const w = (world = await startGcpRevocationWorld(1));
    const env = await devEnvironment();
    await withWorker(
      env,
      async (ctx) => {
        // Seeding sealed the projects' data keys through Cloud KMS as OpenAI: those are uses.
        const before = await ctx.execute(verifyKeyUsage, {
          workflowId: usageWorkflowId(w.keyName, randomUUID()),
          args: [
            {
              provider: 'gcp',
              keyName: w.keyName,
              principal: w.principal,
              since: start,
              externalKeyId: w.externalKeyId,
            },
          ],
        });
        assert.equal(before.usage.provider, 'gcp');
        assert.ok(before.usage.successful >= 1, JSON.stringify(before.usage.operations));
        assert.equal(before.usage.refused, 0);
        assert.equal(before.validation?.outcome, 'success');

        // OpenAI's binding removed: validate's fresh Encrypt is refused, and the log says so.
        await revokeGcpAccessActivity(gcpClientsOf(w))({
          method: 'remove-binding',
          keyName: w.keyName,
          principal: w.principal,
        });
        const revokedAt = new Date().toISOString();
        // OpenAI tries the key (validate makes a fresh Encrypt): refused, and logged.
        const validated = await call(
          w.twin.url,
          'POST',
          `/v1/organization/external_keys/${w.externalKeyId}/validate`,
          w.adminKey,
        );
        assert.equal(validated.status, 400);
        const after = await ctx.execute(verifyKeyUsage, {
          workflowId: usageWorkflowId(w.keyName, randomUUID()),
          args: [
            {
              provider: 'gcp',
              keyName: w.keyName,
              principal: w.principal,
              since: revokedAt,
              externalKeyId: w.externalKeyId,
            },
          ],
        });
        assert.equal(after.validation?.outcome, 'revoked');
        assert.equal(after.usage.successful, 0);
        assert.ok(after.usage.refused >= 1, JSON.stringify(after.usage));
        assert.ok(after.usage.refusedByCode.PERMISSION_DENIED! >= 1);

        const cli = await runCli(
          [
            'usage',
            '--key-name',
            w.keyName,
            '--principal',
            w.principal,
            '--since',
            '1h',
            '--task-queue',
            ctx.taskQueue,
            '--json',
          ],
          { TEMPORAL_ADDRESS: (await devServer()).address, TEMPORAL_NAMESPACE: 'default' },
        );
        assert.equal(cli.code, 0, cli.stderr);
        const parsed = JSON.parse(cli.stdout) as VerifyKeyUsageResult & { workflowId: string };
        assert.equal(parsed.usage.provider === 'gcp' && parsed.usage.keyName, w.keyName);
        assert.ok(parsed.usage.successful >= 1 && parsed.usage.refused >= 1);
        assert.match(parsed.workflowId, /^ekm-usage:projects\//);
        const mixed = await runCli([
          'usage',
          '--key-name',
          w.keyName,
          '--role',
          'arn:aws:iam::123456789012:role/x',
          '--principal',
          w.principal,
        ]);
        assert.equal(mixed.code, 2);
        assert.match(mixed.stderr, /--role: is AWS's; a Cloud KMS key takes --principal/);
      },
      w.worker(),
    );
  });
});
