// The custom search attributes every ekm workflow keeps current, defined once: the sandbox launcher and
// the test servers register them from this list, and workflows upsert them through these keys.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Where a run stands in the runbook (e.g. `preflight`, `awaiting-approval`, `revoked`, `done`). */
export const EkmStage = defineSearchAttributeKey('EkmStage', SearchAttributeType.KEYWORD);
/** The key's cloud: `aws`, `gcp` or `azure`. */
export const EkmProvider = defineSearchAttributeKey('EkmProvider', SearchAttributeType.KEYWORD);
/** The key's canonical id (an AWS key ARN, a GCP CryptoKey resource name). */
export const EkmKeyId = defineSearchAttributeKey('EkmKeyId', SearchAttributeType.KEYWORD);
/** The OpenAI project the run acts on. */
export const EkmProjectId = defineSearchAttributeKey('EkmProjectId', SearchAttributeType.KEYWORD);
/** What the run waits for from a person (e.g. `approval:revoke`, `attestation`); empty when nothing. */
export const EkmAwaiting = defineSearchAttributeKey('EkmAwaiting', SearchAttributeType.KEYWORD_LIST);

export const ekmSearchAttributes = [EkmStage, EkmProvider, EkmKeyId, EkmProjectId, EkmAwaiting] as const;

/** The server's name for each attribute type, as `temporal server start-dev --search-attribute` takes it. */
const serverTypeName: Record<string, string> = {
  [SearchAttributeType.KEYWORD]: 'Keyword',
  [SearchAttributeType.KEYWORD_LIST]: 'KeywordList',
  [SearchAttributeType.TEXT]: 'Text',
  [SearchAttributeType.INT]: 'Int',
  [SearchAttributeType.DOUBLE]: 'Double',
  [SearchAttributeType.BOOL]: 'Bool',
  [SearchAttributeType.DATETIME]: 'Datetime',
};

/** `NAME=Type` pairs, one per attribute. */
export function searchAttributeDeclarations(): string[] {
  return ekmSearchAttributes.map((key) => {
    const type = serverTypeName[key.type];
    if (!type)
      throw new Error(`search attribute ${key.name} has a type the server cannot register: ${key.type}`);
    return `${key.name}=${type}`;
  });
}
