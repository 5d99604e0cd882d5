// The secret scan over JSON logs (fixtures/secrets.ts readableLog): a canary the worker's JSON log escapes
// is still found, so a clean scan of a worker log means something.
import assert from 'node:assert/strict';
import { readableLog, rememberSecret, secretsIn } from '../fixtures/secrets';
import { WorkerLogger } from '../../worker/telemetry/logger';

describe('the secret scan over JSON worker logs', function () {
  it('finds a canary the JSON encoding escaped, in a message or a field', function () {
    const canary = 'canary-"quoted"\\secret';
    rememberSecret(canary);
    const lines: string[] = [];
    const logger = new WorkerLogger({ format: 'json', level: 'info' }, (line) => lines.push(line));
    logger.info(`leaked ${canary}`);
    logger.warn('leaked in a field', { header: canary });
    const log = lines.join('');
    assert.deepEqual(secretsIn(log), [], 'escaped: a plain text scan misses it');
    assert.deepEqual(secretsIn(readableLog(log)), [canary]);
    for (const line of lines) assert.deepEqual(secretsIn(readableLog(line)), [canary], line);
    assert.deepEqual(secretsIn(readableLog('{"level":"info","msg":"nothing here"}\nnot json')), []);
  });
});
