// Worker Versioning's configuration: the deployment name, the build id and its sources, and each workflow
// type's declared behavior (docs/versioning.md). The two-build upgrade itself is test/production/.
import assert from 'node:assert/strict';
import * as workflows from '../../workflows';
import { versioningBehaviors } from '../../workflows/versioningBehaviors';
import { buildIdOf } from '../../worker/buildInfo';
import { parseWorkerConfig, WorkerConfigError } from '../../worker/config';
import { workerVersioning } from '../../worker/createWorker';
import { currentBuildInfo } from '../../worker/recordBuildInfo';
import { workerBuildId, workerDeploymentOptions } from '../../worker/versioning';

const readWorker = { role: 'read' as const, mutatingTaskQueue: 'ekm-changes' };

describe('worker versioning configuration', function () {
  it('is off unless versioning.deploymentName is set', function () {
    const config = parseWorkerConfig(readWorker);
    assert.equal(config.versioning, undefined);
    assert.equal(workerVersioning(config), undefined);
  });

  it('joins the named deployment as the given build, pinning runs by default', function () {
    const config = parseWorkerConfig({ ...readWorker, versioning: { deploymentName: 'ekm-prod' } });
    assert.deepEqual(workerVersioning(config, '0.1.0-1a2b3c4d5e6f'), {
      version: { deploymentName: 'ekm-prod', buildId: '0.1.0-1a2b3c4d5e6f' },
      useWorkerVersioning: true,
      defaultVersioningBehavior: 'PINNED',
    });
  });

  it('refuses a deployment name Temporal could not tell from its build id, naming the field', function () {
    for (const deploymentName of ['ekm.prod', '', ' ekm', 'ekm/prod'])
      assert.throws(
        () => parseWorkerConfig({ ...readWorker, versioning: { deploymentName } }),
        (err: Error) => err instanceof WorkerConfigError && /versioning\.deploymentName/.test(err.message),
        deploymentName,
      );
    assert.throws(
      () => parseWorkerConfig({ ...readWorker, versioning: { deploymentName: 'ekm', buildId: 'x' } }),
      /versioning/,
    );
  });

  it('takes the build id from EKM_BUILD_ID, else from the build record, else says how to get one', function () {
    const recorded = {
      version: '0.1.0',
      commit: 'aaaaaaaaaaaa',
      dirty: false,
      codeHash: 'c',
      buildId: 'rec',
    };
    assert.equal(
      workerBuildId({ EKM_BUILD_ID: 'image-7' }, () => recorded),
      'image-7',
    );
    assert.equal(
      workerBuildId({}, () => recorded),
      'rec',
    );
    assert.throws(
      () => workerBuildId({}, () => undefined),
      /set EKM_BUILD_ID, or build with `npm run build`/,
    );
    assert.throws(
      () => workerBuildId({ EKM_BUILD_ID: 'has space' }, () => recorded),
      /EKM_BUILD_ID=has space: must be/,
    );
    assert.throws(() => workerBuildId({ EKM_BUILD_ID: '__internal' }, () => recorded), /EKM_BUILD_ID/);
    // The worker reports it as a configuration error, before anything polls.
    assert.throws(
      () => workerDeploymentOptions({ deploymentName: 'ekm' }, undefined, { EKM_BUILD_ID: 'bad id' }),
      /EKM_BUILD_ID=bad id/,
    );
  });

  it('names a build by version and commit, and by the code itself when the commit does not', function () {
    const base = { version: '0.1.0', codeHash: '0123456789ab' };
    assert.equal(buildIdOf({ ...base, commit: 'aaaaaaaaaaaa', dirty: false }), '0.1.0-aaaaaaaaaaaa');
    assert.equal(
      buildIdOf({ ...base, commit: 'aaaaaaaaaaaa', dirty: true }),
      '0.1.0-aaaaaaaaaaaa-dirty-0123456789ab',
    );
    assert.equal(buildIdOf({ ...base, commit: null, dirty: false }), '0.1.0-nogit-0123456789ab');
  });

  it('records a build without git, from the compiled code', function () {
    const info = currentBuildInfo('ekm-no-such-git');
    assert.equal(info.commit, null);
    assert.match(info.buildId, /^\d+\.\d+\.\d+-nogit-[0-9a-f]{12}$/);
    assert.equal(currentBuildInfo('ekm-no-such-git').codeHash, info.codeHash, 'the same code, the same id');
  });
});

describe('workflow versioning behaviors', function () {
  const registered = Object.entries(workflows).filter(([, value]) => typeof value === 'function');

  it('every registered workflow type declares its behavior in the table, for versioned workers only', function () {
    assert.ok(registered.length >= 10);
    assert.deepEqual(registered.map(([name]) => name).sort(), Object.keys(versioningBehaviors).sort());
    for (const [name, fn] of registered) {
      const declared = (fn as { workflowDefinitionOptions?: unknown }).workflowDefinitionOptions;
      // A getter: it asks workflowInfo() whether the task is a versioned worker's (an unversioned worker
      // that sends a behavior is refused by Temporal: test/production/workerUpgrade.test.ts runs both).
      assert.equal(typeof declared, 'function', `${name}: declare it in workflows/versioningBehaviors.ts`);
    }
  });

  it('pins every run that waits on people or on days', function () {
    for (const name of [
      'revokeKey',
      'revokeFleet',
      'roleLock',
      'watchKeyDeletion',
      'restoreAccess',
      'rotateKey',
    ])
      assert.equal(versioningBehaviors[name as keyof typeof versioningBehaviors], 'PINNED', name);
  });
});
