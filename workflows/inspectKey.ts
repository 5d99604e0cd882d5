// "Is this key what we think it is?" — reads the key's state from its cloud, the first thing every
// lifecycle run does. Read-only, so it can run any time, beside any other run on the same key.
import { setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import { type KeyDescription } from '../common/keys';
import { inspectKeyInput, type InspectKeyInput } from '../providers/inspectKeyInput';
import { EkmKeyId, EkmProvider, EkmStage } from '../common/searchAttributes';
import { specOf } from '../providers';
import { operationsOf } from '../providers/operations';
import { parseInput } from './parseInput';

export async function inspectKey(rawInput: InspectKeyInput): Promise<KeyDescription> {
  const input = parseInput(inspectKeyInput, rawInput);
  upsertSearchAttributes([
    { key: EkmProvider, value: input.provider },
    { key: EkmStage, value: 'inspecting' },
  ]);
  const summary = `describe ${input.key} in ${specOf(input).kmsName}`;
  setCurrentDetails(`- [ ] ${summary}`);

  const key: KeyDescription = await operationsOf(input).describeKey(input.key, summary);

  upsertSearchAttributes([
    { key: EkmKeyId, value: key.keyId },
    { key: EkmStage, value: 'done' },
  ]);
  setCurrentDetails(`- [x] described ${key.keyId}: **${key.state}**, ${key.manager}-managed ${key.keySpec}`);
  return key;
}
