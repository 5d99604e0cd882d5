// A worker's blast-radius reads made at once share the organisation's listings (issue "Many keys at once",
// bench (c)): OpenAI's Admin API has no filter, so each read lists every registration and every project, and
// 1,000 runs reading at once listed a 1,010-key organisation 1,000 times over. A read still never gets an
// answer older than its question: it joins only a listing that starts after it asked.
import assert from 'node:assert/strict';
import { createAdminApi } from '../../activities/openai/adminApi';
import { readBlastRadiusActivity } from '../../activities/openai/blastRadius';
import { QuotaBook } from '../../sandbox/quota/quotaBook';
import {
  projectListing,
  registerAnotherKey as register,
  registrationListing,
  slowRegistrationListing,
  startTwinWorld,
  type TwinWorld,
} from '../fixtures/twin';

describe("a worker's reads of the organisation share its listings", function () {
  let world: TwinWorld | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  it('ten blast-radius reads at once list the registrations and the projects twice at most, not ten times', async function () {
    const book = new QuotaBook({ enabled: false });
    const w = (world = await startTwinWorld({ quota: book }));
    // 60 other registrations: the registration listing is 4 pages of 20.
    for (let i = 0; i < 60; i++)
      register(w, `another team's key ${i}`, `arn:aws:iam::210987654321:role/o-${i}`);
    const read = readBlastRadiusActivity(
      createAdminApi({ baseUrl: `${w.twin.url}/v1`, adminKey: () => w.demo.openai.adminKey }),
    );
    book.reset();
    const radii = await Promise.all(
      Array.from({ length: 10 }, () => read({ kmsArn: w.demo.aws.keyArn, roleArn: w.demo.aws.roleArn })),
    );
    for (const r of radii) {
      assert.deepEqual(
        r.externalKeys.map((k) => k.id),
        [w.demo.openai.externalKeyId],
      );
      assert.deepEqual(r.projects.map((p) => p.id).sort(), w.demo.openai.projects.map((p) => p.id).sort());
    }
    const counts = book.calls().actions;
    // The first read's listing, and one more for every read that asked while it ran: 4 + 4 pages of
    // registrations, 1 + 1 of projects. Each read listing alone made 40 and 10.
    assert.ok(counts[registrationListing]!.calls <= 8, JSON.stringify(counts[registrationListing]));
    assert.ok(counts[projectListing]!.calls <= 2, JSON.stringify(counts[projectListing]));
  });

  it('a read never gets a listing that started before it asked: a registration made meanwhile is in its radius', async function () {
    this.timeout(60_000);
    const book = new QuotaBook({ enabled: false });
    const w = (world = await startTwinWorld({ quota: book }));
    // 20 other registrations: the listing is two pages (20, then 1).
    for (let i = 0; i < 20; i++)
      register(w, `another team's key ${i}`, `arn:aws:iam::210987654321:role/o-${i}`);
    const read = readBlastRadiusActivity(
      createAdminApi({ baseUrl: `${w.twin.url}/v1`, adminKey: () => w.demo.openai.adminKey }),
    );
    // Each page of registrations answers after 1.5 s: the first read has its first page at 1.5 s and asks
    // for its second, which answers at 3 s.
    await slowRegistrationListing(w, 1_500);
    book.reset();
    const query = { kmsArn: w.demo.aws.keyArn, roleArn: w.demo.aws.roleArn };
    const first = read(query);
    await new Promise((r) => setTimeout(r, 2_000));
    // Between its two pages another team registers a key through the same role, at the list's head, where
    // the first listing's cursor has already passed; then two more reads ask.
    const added = register(w, 'registered during the first read', w.demo.aws.roleArn);
    w.twin.store.data.externalKeys.unshift(w.twin.store.data.externalKeys.pop()!);
    const [second, third] = await Promise.all([read(query), read(query)]);
    // The first listing missed it (it was read before it asked); joining that listing would miss it too.
    assert.deepEqual(
      (await first).externalKeys.map((k) => k.id),
      [w.demo.openai.externalKeyId],
    );
    for (const r of [second, third])
      assert.deepEqual(r.externalKeys.map((k) => k.id).sort(), [w.demo.openai.externalKeyId, added].sort());
    // The second and third shared one listing, made after the first's: two listings of two pages each.
    assert.deepEqual(book.calls().actions[registrationListing], { calls: 4, throttled: 0 });
  });
});
