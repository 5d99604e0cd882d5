// The twin's usage trail at the size the usage-scan benchmark reads: 20,000+ events on one key, seeded in
// one request, paged through with the real CloudTrail client. Each page costs what it walks, so the events
// examined grow with the events returned — linear, not quadratic — whatever the trail holds beside them.
import assert from 'node:assert/strict';
import {
  CloudTrailClient,
  LookupEventsCommand,
  type LookupEventsCommandInput,
} from '@aws-sdk/client-cloudtrail';
import { request } from 'undici';
import { startOpenAiTwin, type OpenAiTwin } from '../../sandbox/openai/twin';

const keyA = 'arn:aws:kms:us-east-1:111111111111:key/aaaaaaaa-0000-0000-0000-000000000001';
const keyB = 'arn:aws:kms:eu-west-1:222222222222:key/bbbbbbbb-0000-0000-0000-000000000002';
const role = (account: string) => `arn:aws:iam::${account}:role/ekm-shared-1`;

describe("the twin's trail at benchmark size", function () {
  let twin: OpenAiTwin;
  let trail: CloudTrailClient;
  const to = Date.parse('2026-12-01T00:00:00Z');
  const from = to - 20_000 * 1000; // one event a second on key A

  before(async () => {
    twin = await startOpenAiTwin({});
    trail = new CloudTrailClient({
      endpoint: twin.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test-not-a-secret', secretAccessKey: 'test-not-a-secret' },
    });
    const seed = async (body: object) => {
      const res = await request(`${twin.url}/_twin/trail/seed`, {
        method: 'POST',
        headers: { authorization: `Bearer ${twin.store.data.adminKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      assert.equal(res.statusCode, 200, await res.body.text());
    };
    await seed({
      keyArn: keyA,
      roleArn: role('111111111111'),
      count: 20_000,
      from: new Date(from).toISOString(),
      to: new Date(to - 1000).toISOString(),
    });
    // Another key's events interleaved in the same window: a scan of key A must not walk them.
    await seed({
      keyArn: keyB,
      roleArn: role('222222222222'),
      count: 30_000,
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
    });
  });
  after(async () => {
    trail?.destroy();
    await twin?.close();
  });

  async function scan(input: LookupEventsCommandInput) {
    const examinedBefore = twin.trail.examined;
    let pages = 0;
    const ids: string[] = [];
    const times: number[] = [];
    let token: string | undefined;
    do {
      const page = await trail.send(new LookupEventsCommand({ ...input, NextToken: token }));
      pages += 1;
      for (const e of page.Events ?? []) {
        ids.push(e.EventId!);
        times.push(e.EventTime!.getTime());
      }
      token = page.NextToken;
    } while (token);
    return { pages, ids, times, examined: twin.trail.examined - examinedBefore };
  }

  it("pages through 20,000 events of one key in 400 pages, walking only that key's events", async () => {
    const { pages, ids, times, examined } = await scan({
      LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: keyA }],
      StartTime: new Date(from),
      EndTime: new Date(to),
    });
    assert.equal(ids.length, 20_000);
    assert.equal(new Set(ids).size, 20_000, 'no event twice');
    assert.equal(pages, 400, '50 events a page');
    assert.ok(
      times.every((t, i) => i === 0 || t <= times[i - 1]!),
      'newest first',
    );
    assert.equal(examined, 20_000, 'each event looked at once: the cost is linear in the events returned');
  });

  it('pages a window of the trail in proportion to the window, not to the trail', async () => {
    // The middle quarter of key A's day: 5,000 events.
    const { ids, pages, examined } = await scan({
      LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: keyA }],
      StartTime: new Date(from + 7_500 * 1000),
      EndTime: new Date(from + 12_499 * 1000),
    });
    assert.equal(ids.length, 5_000);
    assert.equal(pages, 100);
    assert.equal(examined, 5_000);
  });

  it('filters on another attribute walking each event of the window once', async () => {
    const { ids, examined } = await scan({
      LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'Encrypt' }],
      StartTime: new Date(from),
      EndTime: new Date(to),
    });
    assert.equal(ids.length, 10_000 + 15_000, 'every other event of each key is an Encrypt');
    assert.equal(examined, 50_000, 'the whole window, once');
  });
});
