// The shipped evidence schema must know every end state a run can record: a new state added to the code
// but not to the schema would make that run's evidence invalid for an auditor's validator.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { endStates } from '../../common/runStatus';
import { evidenceSchemaFile } from '../fixtures/evidence';

describe('evidence schema', function () {
  it('lists exactly the end states runs record', function () {
    const schema = JSON.parse(fs.readFileSync(evidenceSchemaFile, 'utf8')) as {
      properties: { endState: { enum: string[] } };
    };
    assert.deepEqual([...schema.properties.endState.enum].sort(), [...endStates].sort());
  });
});
