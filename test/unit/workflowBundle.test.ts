// The worker's prebuilt workflow bundle (worker/workflowBundle.ts): named by EKM_WORKFLOW_BUNDLE, refused
// when the file is not there, and the file the image's build writes is the one a worker accepts.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { WorkerConfigError } from '../../worker/config';
import { prebuiltWorkflowBundle, writeWorkflowBundle } from '../../worker/workflowBundle';

describe('the prebuilt workflow bundle (EKM_WORKFLOW_BUNDLE)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ekm-bundle-'));

  it('is not used when the variable is unset: the worker bundles at start', () => {
    assert.equal(prebuiltWorkflowBundle({}), undefined);
    assert.equal(prebuiltWorkflowBundle({ EKM_WORKFLOW_BUNDLE: '' }), undefined);
  });

  it('refuses a missing or empty file, naming the variable and how to build it', () => {
    const missing = path.join(dir, 'missing.js');
    assert.throws(
      () => prebuiltWorkflowBundle({ EKM_WORKFLOW_BUNDLE: missing }),
      (err: Error) =>
        err instanceof WorkerConfigError &&
        err.message.includes(`EKM_WORKFLOW_BUNDLE=${missing}: no such file`) &&
        err.message.includes('node dist/worker/workflowBundle.js'),
    );
    const empty = path.join(dir, 'empty.js');
    fs.writeFileSync(empty, '');
    assert.throws(() => prebuiltWorkflowBundle({ EKM_WORKFLOW_BUNDLE: empty }), /not a bundle/);
    assert.throws(() => prebuiltWorkflowBundle({ EKM_WORKFLOW_BUNDLE: dir }), /not a bundle/);
  });

  it('writes the product workflows into a file the worker then loads by path', async function () {
    this.timeout(180_000);
    const file = path.join(dir, 'out', 'workflow-bundle.js');
    await writeWorkflowBundle(file);
    const code = fs.readFileSync(file, 'utf8');
    // The runbooks' workflow functions are in it (the names Temporal starts them by).
    for (const name of ['revokeKey', 'rotateKey', 'watchKeyDeletion'])
      assert.match(code, new RegExp(`\\b${name}\\b`));
    assert.deepEqual(prebuiltWorkflowBundle({ EKM_WORKFLOW_BUNDLE: path.relative(process.cwd(), file) }), {
      codePath: file,
    });
  });
});
