// The counting rule of docs/actions.md on recorded histories: what each kind of event costs, the
// versioning upsert exempt, all markers of one workflow task one action.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { runCost } from '../../bench/actions';
import { replayDir } from '../fixtures/replay';

const recorded = (name: string) =>
  historyFromJSON(JSON.parse(fs.readFileSync(path.join(replayDir, `${name}.json`), 'utf8')));

describe('actions of a run, counted from its history', function () {
  it('a completed AWS revocation with its deletion, as recorded before cheaper-runs', function () {
    const cost = runCost(recorded('revokeKey-deletion-and-watchdog-owned-names'));
    assert.deepEqual(cost, {
      actions: 102,
      events: 461,
      activities: 61,
      byKind: {
        'workflow started': 1,
        'activity attempts': 61,
        timers: 6,
        // 26 upserts, 5 of them setting TemporalChangeVersion alone
        'search-attribute upserts': 21,
        signals: 1,
        updates: 3,
        // the role lock and the deletion watch, two each
        'child workflows': 4,
        'marker tasks': 5,
        'options updated': 0,
      },
    });
  });

  it('every attempt of an activity is an action; markers of one task are one', function () {
    // Event ids are Longs in the proto types; numbers stand in for them here.
    const events = [
      { eventId: 1, workflowExecutionStartedEventAttributes: {} },
      { eventId: 5, activityTaskScheduledEventAttributes: {} },
      { eventId: 6, activityTaskStartedEventAttributes: { attempt: 3 } },
      { eventId: 8, markerRecordedEventAttributes: { workflowTaskCompletedEventId: 4 } },
      { eventId: 9, markerRecordedEventAttributes: { workflowTaskCompletedEventId: 4 } },
      {
        eventId: 10,
        upsertWorkflowSearchAttributesEventAttributes: {
          searchAttributes: { indexedFields: { TemporalChangeVersion: {} } },
        },
      },
      {
        eventId: 11,
        upsertWorkflowSearchAttributesEventAttributes: {
          searchAttributes: { indexedFields: { EkmStage: {}, EkmAwaiting: {} } },
        },
      },
    ] as unknown as Parameters<typeof runCost>[0]['events'];
    const cost = runCost({ events });
    assert.equal(cost.actions, 1 + 3 + 1 + 1);
    assert.equal(cost.activities, 1);
    assert.equal(cost.events, 7);
  });
});
