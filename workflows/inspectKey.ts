// "Is this key what we think it is?" — reads the key's state from its cloud, the first thing every
// lifecycle run does. Read-only, so it can run any time, beside any other run on the same key.
import { proxyActivities, setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import type { EkmActivities } from '../activities';
import { inspectKeyInput, type InspectKeyInput, type KeyDescription } from '../common/keys';
import { EkmKeyId, EkmProvider, EkmStage } from '../common/searchAttributes';
import { readOptions } from './revoke/activities';
import { parseInput } from './parseInput';

const { describeKey } = proxyActivities<EkmActivities>(readOptions);

export async function inspectKey(rawInput: InspectKeyInput): Promise<KeyDescription> {
  const input = parseInput(inspectKeyInput, rawInput);
  upsertSearchAttributes([
    { key: EkmProvider, value: input.provider },
    { key: EkmStage, value: 'inspecting' },
  ]);
  setCurrentDetails(`- [ ] describe ${input.key} in AWS KMS`);

  const key = await describeKey.executeWithOptions(
    { ...readOptions, summary: `describe ${input.key} in AWS KMS` },
    [input.key],
  );

  upsertSearchAttributes([
    { key: EkmKeyId, value: key.keyId },
    { key: EkmStage, value: 'done' },
  ]);
  setCurrentDetails(`- [x] described ${key.keyId}: **${key.state}**, ${key.manager}-managed ${key.keySpec}`);
  return key;
}
