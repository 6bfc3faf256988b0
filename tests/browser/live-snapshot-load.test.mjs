// Twenty tabs of one browser on the Overview for thirty seconds: the shared snapshot is
// computed at most once a second whatever the number of tabs. Counted, not timed: every
// snapshot answer carries `seq`, the number of computations kept so far
// (KBJobs_Data_Snapshot), so the computations between the first answer the tabs saw and
// the last are the difference of their seq.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { env, launch, loggedInPage } from './lib.mjs';

const TABS = 20;
const SECONDS = 30;
const SNAPSHOT = /kbjobs(\/|%2F)v1(\/|%2F)snapshot/;

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test(`${TABS} tabs on the Overview for ${SECONDS} s cause at most one snapshot computation a second`, async () => {
  const first = await loggedInPage(browser, env('KBJOBS_WP_URL'));
  const context = first.context();
  const answers = []; // [tab, seq, time the answer arrived]
  const pages = [first];
  while (pages.length < TABS) pages.push(await context.newPage());
  pages.forEach((page, tab) => page.on('response', async (response) => {
    if (!SNAPSHOT.test(response.url()) || response.status() !== 200) return;
    const at = Date.now();
    try {
      answers.push([tab, (await response.json()).seq, at]);
    } catch { /* the page went away */ }
  }));
  await Promise.all(pages.map((page) => page.goto(`${env('KBJOBS_WP_URL')}/wp-admin/admin.php?page=kbjobs`)));
  await first.waitForTimeout(SECONDS * 1000);
  for (const page of pages) await page.close();

  const seqs = answers.map((a) => a[1]);
  const times = answers.map((a) => a[2]);
  const computations = Math.max(...seqs) - Math.min(...seqs);
  const elapsed = (Math.max(...times) - Math.min(...times)) / 1000;
  const tabsPolling = new Set(answers.map((a) => a[0])).size;
  const info = `${answers.length} answers from ${tabsPolling} tabs, ${computations} computations in ${elapsed.toFixed(1)} s`;
  // Every tab polled (visible, every two seconds), so there was load to share.
  assert.equal(tabsPolling, TABS, info);
  assert.ok(answers.length >= TABS * (SECONDS / 2) * 0.5, info);
  assert.ok(seqs.every((s) => Number.isInteger(s) && s > 0), 'every answer was a kept snapshot');
  // The claim: at most one computation a second (plus the one under way at the start).
  assert.ok(computations <= Math.ceil(elapsed) + 1, info);
  // And the tabs shared them: many answers per computation.
  assert.ok(answers.length >= 5 * computations, info);
});
