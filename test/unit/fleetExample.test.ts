// The fleet file `npm start` writes is one the CLI takes as it is: every seeded key an entry, each checked
// as its own run would check it.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readFleetFile } from '../../client/fleetFile';
import { fleetExampleFor, type FleetExampleKey } from '../../sandbox/fleetExample';

const probes = (n: number) => ({
  fileId: `file-${n}`,
  batchId: `batch_${n}`,
  responseId: `resp_${n}`,
  fineTunedModel: `ft:gpt-4o-mini-2024-07-18:sandbox::${n}`,
});
const keys: FleetExampleKey[] = [
  {
    provider: 'aws',
    keyArn: 'arn:aws:kms:eu-west-1:111111111111:key/11111111-2222-3333-4444-555555555555',
    roleArn: 'arn:aws:iam::111111111111:role/ekm-shared-1',
    externalKeyId: 'extkey_1',
    projects: [{ id: 'proj_1', probes: probes(1) }],
  },
  {
    provider: 'gcp',
    keyName: 'projects/ekm-sandbox/locations/global/keyRings/r/cryptoKeys/k',
    principal:
      'principal://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/openai-ekm/subject/1',
    externalKeyId: 'extkey_2',
    projects: [
      { id: 'proj_2', probes: probes(2) },
      { id: 'proj_3', probes: probes(3) },
    ],
  },
];

describe('the sandbox’s fleet example', function () {
  it('passes the fleet file’s checks: every key an entry with its projects and three probes each', function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ekm-fleet-example-'));
    try {
      const file = path.join(dir, 'fleet-example.yaml');
      fs.writeFileSync(file, fleetExampleFor(keys, 'rita@example.com'));
      const { request } = readFleetFile({ file }, true);
      assert.equal(request.requester, 'rita@example.com');
      assert.equal(request.keys.length, 2);
      assert.deepEqual(
        request.keys.map((k) => [k.provider, k.method, k.projectIds, (k.probes as unknown[]).length]),
        [
          ['aws', 'key-policy-deny', ['proj_1'], 3],
          ['gcp', 'remove-binding', ['proj_2', 'proj_3'], 6],
        ],
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
