// What a security engineer sees in the Temporal Web UI when payloads are encrypted: the run's input and
// result decoded through our codec server (which the browser calls cross-origin, as the UI is set up by
// `npm start`), and only ciphertext when the codec server refuses the UI's origin or is down. Driven in
// headless Chromium, since the UI renders in the browser; screenshots are kept in .data/test/artifacts/
// for a person to look at.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { CreateAliasCommand, CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { dataDir } from '../../sandbox/paths';
import { inspectKey } from '../../workflows';
import { findChromium, launchBrowser, noChromiumMessage, type Browser, type Page } from '../fixtures/browser';
import { moto } from '../fixtures/services';
import { startWebUiWithCodec, type WebUiWithCodec } from '../fixtures/webUi';
import { withWorker } from '../fixtures/worker';

const artifact = (name: string) => path.join(dataDir(), 'artifacts', name);

describe('the Temporal Web UI with the codec server', function () {
  let browser: Browser | undefined;
  let ui: WebUiWithCodec | undefined;
  // Markers only this run holds: one in its input (the key's alias), one in its result (its description).
  const inputMarker = `webui-in-${randomBytes(4).toString('hex')}`;
  const resultMarker = `webui-out-${randomBytes(4).toString('hex')}`;
  const workflowId = `webui-codec-${randomBytes(4).toString('hex')}`;
  let runUrl = '';
  /** The start of the input's ciphertext as Temporal stores it (base64, as the UI shows undecoded bytes). */
  let inputCiphertext = '';

  before(async function () {
    const chromium = await findChromium();
    if (!chromium) {
      console.warn(
        `\n  SKIPPED: the Web UI test drives a browser, and there is none: ${noChromiumMessage}\n`,
      );
      this.skip();
    }
    [browser, ui] = await Promise.all([launchBrowser(chromium), startWebUiWithCodec()]);

    const kms = new KMSClient({ region: 'us-east-1', endpoint: (await moto()).endpoint });
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: resultMarker }));
    const alias = `alias/${inputMarker}`;
    await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: KeyMetadata!.KeyId! }));
    const runId = await withWorker(
      ui.env,
      async ({ client, taskQueue }) => {
        const handle = await client.workflow.start(inspectKey, {
          taskQueue,
          workflowId,
          args: [{ provider: 'aws', key: alias }],
        });
        assert.equal((await handle.result()).description, resultMarker, 'the codec-enabled client reads it');
        return handle.firstExecutionRunId;
      },
      { aws: true, payloadCodec: ui.codec },
    );
    runUrl = `${ui.uiUrl}/namespaces/default/workflows/${workflowId}/${runId}/history`;
    // Read without the key (the environment's client has no codec): what Temporal holds is ciphertext.
    const history = await ui.env.client.workflow.getHandle(workflowId, runId).fetchHistory();
    const input = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
    assert.equal(Buffer.from(input.metadata!.encoding!).toString(), 'binary/encrypted');
    inputCiphertext = Buffer.from(input.data!).toString('base64').slice(0, 32);
  });

  after(async function () {
    await browser?.close();
    await ui?.close();
  });

  it("shows the run's input and result decoded through the codec server", async function () {
    const decodesBefore = ui!.codecServerLog.length;
    const page = await browser!.newPage();
    await page.goto(runUrl);
    const shown = await page.waitForText('the decoded input and result', (text) =>
      [inputMarker, resultMarker].every((m) => text.includes(m)),
    );
    await page.screenshot(artifact('web-ui-decoded.png'));
    console.log(`      screenshot ${artifact('web-ui-decoded.png')}, browser: ${browser!.binary.source}`);
    assert.ok(!shown.includes(inputCiphertext), 'the input is shown decoded, not as ciphertext');
    // The browser called the codec server itself, cross-origin, naming the namespace (the UI's protocol).
    const calls = page.requests.filter((r) => r.url.startsWith(`${ui!.codecServerUrl}/decode`));
    assert.ok(
      calls.some((r) => r.method === 'POST' && r.status === 200 && r.headers['X-Namespace'] === 'default'),
      `no decode call from the browser: ${requestsOf(page)}`,
    );
    assert.ok(
      ui!.codecServerLog
        .slice(decodesBefore)
        .some((l) => /^codec server: decode \d+ .*namespace default$/.test(l)),
    );
  });

  it("shows only ciphertext when the codec server refuses the UI's origin", async function () {
    // Same address, but browsers are allowed from another origin only: CORS stops the UI's calls.
    await ui!.restartCodecServer('http://127.0.0.1:1');
    const decodesBefore = ui!.codecServerLog.length;
    const page = await browser!.newPage();
    await page.goto(runUrl);
    const shown = await waitForUndecodedRun(page);
    assertNoPlaintext(shown);
    assert.equal(ui!.codecServerLog.length, decodesBefore, 'the codec server decoded for a foreign origin');
    assert.ok(
      page.requests.some((r) => r.url.startsWith(`${ui!.codecServerUrl}/decode`) && r.failure),
      `the browser's calls did not fail: ${requestsOf(page)}`,
    );
  });

  it('shows only ciphertext, and says so, when the codec server is down', async function () {
    await ui!.stopCodecServer();
    const page = await browser!.newPage();
    await page.goto(runUrl);
    const shown = await waitForUndecodedRun(page);
    await page.screenshot(artifact('web-ui-codec-down.png'));
    assertNoPlaintext(shown);
  });

  /**
   * Waits until the run's page shows its input as stored (ciphertext) and the UI's codec error — or a
   * marker, which the caller's assertions then report at once rather than after the timeout.
   */
  function waitForUndecodedRun(page: Page): Promise<string> {
    return page.waitForText(
      "the run's input as ciphertext and a codec error",
      (text) =>
        [inputMarker, resultMarker].some((m) => text.includes(m)) ||
        [workflowId, 'Codec Server could not connect', inputCiphertext].every((s) => text.includes(s)),
    );
  }

  function assertNoPlaintext(shown: string): void {
    assert.ok(!shown.includes(inputMarker), 'the input is readable without the codec server');
    assert.ok(!shown.includes(resultMarker), 'the result is readable without the codec server');
  }
});

function requestsOf(page: Page): string {
  return JSON.stringify(page.requests.map((r) => [r.method, r.url, r.status ?? r.failure]));
}
