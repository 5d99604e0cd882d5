// `ekm check --fix` against a real dev server started without the ekm search attributes: `check` names them
// missing, `--fix` registers them (read back through the operator API, not from our own output), a second
// `--fix` changes nothing, and a Temporal Cloud target (API key, or a Cloud namespace id) gets the `tcld`
// command and no operator call.
import assert from 'node:assert/strict';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { ekmSearchAttributes } from '../../common/searchAttributes';
import { freePort } from '../../sandbox/ports';
import { startTemporalDevServer, type TemporalServer } from '../../sandbox/services';
import { runCli } from '../fixtures/cli';

interface CheckJson {
  temporalCloud?: string;
  searchAttributes: { registered: string[]; missing: string[] };
  fix?: { action: string; added?: string[]; command?: string };
}

const names = ekmSearchAttributes.map((key) => key.name);
const IndexedValueType = temporal.api.enums.v1.IndexedValueType;
const cloudNamespace = 'ekm-prod.ab1cd';

describe('ekm check --fix', function () {
  let server: TemporalServer;
  let connection: Connection;
  const env = () => ({ TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: 'default' });
  /** The ekm attributes the server itself lists, with their types. */
  const registered = async (namespace = 'default') => {
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    return Object.fromEntries(
      Object.entries(customAttributes ?? {}).filter(([name]) => names.includes(name)),
    ) as Record<string, temporal.api.enums.v1.IndexedValueType>;
  };
  const checkJson = (stdout: string) => JSON.parse(stdout) as CheckJson;

  before(async function () {
    server = await startTemporalDevServer({
      port: await freePort(),
      logName: 'temporal-dev-no-search-attributes',
      searchAttributes: false,
    });
    connection = await Connection.connect({ address: server.address });
    await connection.workflowService.registerNamespace({
      namespace: cloudNamespace,
      workflowExecutionRetentionPeriod: msToTs(86_400_000),
    });
  });
  after(async function () {
    await connection?.close();
    await server?.stop();
  });

  it('check names every ekm attribute missing and the fix, and changes nothing', async function () {
    assert.deepEqual(await registered(), {});
    const run = await runCli(['check', '--json'], env());
    assert.equal(run.code, 1, run.stderr);
    assert.deepEqual(checkJson(run.stdout).searchAttributes.missing, names);
    assert.match(run.stderr, /register the search attributes: `ekm check --fix`/);
    assert.deepEqual(await registered(), {});
  });

  it('on Temporal Cloud (API key in the profile) --fix prints the tcld command and calls no operator API', async function () {
    const run = await runCli(['check', '--fix', '--json'], {
      ...env(),
      TEMPORAL_API_KEY: 'test-not-a-secret',
      TEMPORAL_TLS: 'false',
    });
    assert.notEqual(run.code, 0);
    const result = checkJson(run.stdout);
    assert.match(result.temporalCloud ?? '', /API key/);
    assert.deepEqual(result.fix, {
      action: 'tcld',
      reason: 'the connection profile has an API key',
      command:
        'tcld namespace search-attributes add --namespace default --search-attribute "EkmStage=Keyword" --search-attribute "EkmProvider=Keyword" --search-attribute "EkmKeyId=Keyword" --search-attribute "EkmProjectId=Keyword" --search-attribute "EkmAwaiting=KeywordList"',
    });
    assert.match(run.stderr, /tcld namespace search-attributes add --namespace default/);
    assert.deepEqual(await registered(), {});
  });

  it('a Cloud namespace id (name.account) is Temporal Cloud too: human output prints tcld, nothing registered', async function () {
    const run = await runCli(['check', '--fix'], { ...env(), TEMPORAL_NAMESPACE: cloudNamespace });
    assert.notEqual(run.code, 0);
    assert.match(run.stdout, /Temporal Cloud \(ekm-prod\.ab1cd is a Temporal Cloud namespace id\)/);
    assert.match(
      run.stdout,
      /tcld namespace search-attributes add --namespace ekm-prod\.ab1cd --search-attribute "EkmStage=Keyword"/,
    );
    assert.deepEqual(await registered(cloudNamespace), {});
  });

  it('self-hosted: --fix registers them all with their types; a second --fix changes nothing', async function () {
    const first = await runCli(['check', '--fix', '--json'], env());
    const fixed = checkJson(first.stdout);
    assert.deepEqual(fixed.fix, { action: 'registered', added: names });
    assert.deepEqual(fixed.searchAttributes.missing, []);
    // Not ready only because no worker polls this server.
    assert.equal(first.code, 1);
    assert.doesNotMatch(first.stderr, /search attributes/);
    assert.match(first.stderr, /start a worker/);
    const types = {
      EkmStage: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
      EkmProvider: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
      EkmKeyId: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
      EkmProjectId: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
      EkmAwaiting: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
    };
    assert.deepEqual(await registered(), types);

    const second = await runCli(['check', '--fix', '--json'], env());
    assert.deepEqual(checkJson(second.stdout).fix, { action: 'none' });
    assert.deepEqual(await registered(), types);
    const human = await runCli(['check', '--fix'], env());
    assert.match(human.stdout, /search attrs +all 5 registered\nfix +nothing to register/);
  });
});
