// "Is this key what we think it is?" — reads the key's state from its cloud, the first thing every
// lifecycle run does. Read-only, so it can run any time, beside any other run on the same key.
import { proxyActivities, setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import type { EkmActivities } from '../activities';
import { type KeyDescription } from '../common/keys';
import { inspectKeyInput, type InspectKeyInput } from '../providers/inspectKeyInput';
import { EkmKeyId, EkmProvider, EkmStage } from '../common/searchAttributes';
import { readOptions } from './revoke/activities';
import { parseInput } from './parseInput';

const { describeKey, describeGcpKey } = proxyActivities<EkmActivities>(readOptions);

const cloudName = { aws: 'AWS KMS', gcp: 'Cloud KMS' } as const;

export async function inspectKey(rawInput: InspectKeyInput): Promise<KeyDescription> {
  const input = parseInput(inspectKeyInput, rawInput);
  upsertSearchAttributes([
    { key: EkmProvider, value: input.provider },
    { key: EkmStage, value: 'inspecting' },
  ]);
  const summary = `describe ${input.key} in ${cloudName[input.provider]}`;
  setCurrentDetails(`- [ ] ${summary}`);

  const key: KeyDescription =
    input.provider === 'gcp'
      ? await describeGcpKey.executeWithOptions({ ...readOptions, summary }, [{ keyName: input.key }])
      : await describeKey.executeWithOptions({ ...readOptions, summary }, [input.key]);

  upsertSearchAttributes([
    { key: EkmKeyId, value: key.keyId },
    { key: EkmStage, value: 'done' },
  ]);
  setCurrentDetails(`- [x] described ${key.keyId}: **${key.state}**, ${key.manager}-managed ${key.keySpec}`);
  return key;
}
