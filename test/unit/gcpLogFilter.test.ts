import assert from 'node:assert/strict';
import { compileFilter } from '../../sandbox/gcp/filter';

const key = 'projects/p/locations/global/keyRings/r/cryptoKeys/k';

function entry(methodName: string, principalEmail: string, timestamp: string, statusCode?: number) {
  return {
    logName: 'projects/p/logs/cloudaudit.googleapis.com%2Fdata_access',
    timestamp,
    severity: statusCode ? 'ERROR' : 'INFO',
    resource: { type: 'cloudkms_cryptokey', labels: { crypto_key_id: 'k' } },
    protoPayload: {
      serviceName: 'cloudkms.googleapis.com',
      methodName,
      resourceName: key,
      authenticationInfo: { principalEmail },
      authorizationInfo: [
        { resource: key, permission: `cloudkms.cryptoKeyVersions.useTo${methodName}`, granted: !statusCode },
      ],
      status: statusCode ? { code: statusCode, message: 'denied' } : {},
    },
  };
}

const encryptByApp = entry('Encrypt', 'app@x.iam.gserviceaccount.com', '2025-01-01T10:00:00.000Z');
const decryptByApp = entry('Decrypt', 'app@x.iam.gserviceaccount.com', '2025-01-01T11:00:00.000Z');
const refusedDecrypt = entry('Decrypt', 'other@example.com', '2025-01-01T12:00:00.000Z', 7);
const entries = { encryptByApp, decryptByApp, refusedDecrypt };

function matching(filter: string): string[] {
  const matches = compileFilter(filter);
  return Object.entries(entries)
    .filter(([, e]) => matches(e))
    .map(([name]) => name);
}

describe('Cloud Logging filters in the GCP KMS fake', function () {
  for (const [filter, expected] of [
    ['', ['encryptByApp', 'decryptByApp', 'refusedDecrypt']],
    ['protoPayload.methodName="Decrypt"', ['decryptByApp', 'refusedDecrypt']],
    [
      'protoPayload.methodName = "Decrypt" AND protoPayload.authenticationInfo.principalEmail="other@example.com"',
      ['refusedDecrypt'],
    ],
    ['protoPayload.methodName="Decrypt" protoPayload.status.code=7', ['refusedDecrypt']],
    ['protoPayload.methodName=("Encrypt" OR "Decrypt") AND severity>=ERROR', ['refusedDecrypt']],
    // OR binds tighter than AND, as in Cloud Logging.
    ['protoPayload.methodName="Encrypt" AND severity="INFO" OR severity="ERROR"', ['encryptByApp']],
    [
      '(protoPayload.methodName="Encrypt" AND severity="INFO") OR severity="ERROR"',
      ['encryptByApp', 'refusedDecrypt'],
    ],
    ['NOT protoPayload.methodName="Encrypt"', ['decryptByApp', 'refusedDecrypt']],
    ['-protoPayload.methodName="Encrypt"', ['decryptByApp', 'refusedDecrypt']],
    ['protoPayload.methodName!="Encrypt"', ['decryptByApp', 'refusedDecrypt']],
    [`protoPayload.resourceName:"${key.slice(0, 30)}"`, ['encryptByApp', 'decryptByApp', 'refusedDecrypt']],
    ['protoPayload.authenticationInfo.principalEmail:"APP@"', ['encryptByApp', 'decryptByApp']],
    ['protoPayload.status.code:*', ['refusedDecrypt']],
    ['protoPayload.authorizationInfo.permission="cloudkms.cryptoKeyVersions.useToEncrypt"', ['encryptByApp']],
    ['proto_payload.method_name="Encrypt"', ['encryptByApp']],
    ['resource.labels.crypto_key_id="k" AND protoPayload.methodName=~"^Enc"', ['encryptByApp']],
    // As @google-cloud/logging appends it when a filter does not mention the timestamp.
    [
      'protoPayload.methodName="Decrypt" AND timestamp >= "2025-01-01T11:00:00.000Z"',
      ['decryptByApp', 'refusedDecrypt'],
    ],
    ['timestamp<"2025-01-01T11:00:00Z"', ['encryptByApp']],
    ['logName="projects/p/logs/cloudaudit.googleapis.com%2Factivity"', []],
  ] as const) {
    it(`${filter || '(empty)'} → ${expected.join(', ') || 'nothing'}`, function () {
      assert.deepEqual(matching(filter), expected);
    });
  }

  for (const [filter, part] of [
    ['protoPayload.methodName="Decrypt', 'unterminated string'],
    ['protoPayload.methodName="Decrypt" AND', 'expression expected'],
    ['(protoPayload.methodName="Decrypt"', "missing ')'"],
    ['protoPayload.methodName="Decrypt")', "unexpected ')'"],
    ['"Decrypt"', 'field name expected'],
    ['Decrypt', 'global restrictions'],
    ['payload.methodName="Decrypt"', 'unknown field payload'],
    ['protoPayload.methodName=', 'value expected'],
    ['protoPayload.methodName=("Encrypt" AND "Decrypt")', 'value list'],
    ['timestamp>="yesterday"', 'not a timestamp'],
    ['severity>=LOUD', 'not a severity'],
    ['protoPayload.methodName=~"("', 'invalid regular expression'],
  ] as const) {
    it(`refuses ${filter} (${part})`, function () {
      assert.throws(
        () => compileFilter(filter),
        (err: { code?: number; message?: string }) => err.code === 3 && (err.message ?? '').includes(part),
      );
    });
  }
});
