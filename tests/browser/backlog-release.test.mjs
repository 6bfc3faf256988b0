// The Queues screen's backlogs: a queue holding only held jobs shows them in its Backlog
// column with the reason "held: N in backlog X"; Release (a form with its nonce, confirmed
// first) queues them, and the page comes back with a notice, the backlog's jobs queued and
// the queue's Backlog at 0.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { env, launch, loggedInPage, php, screenshot } from './lib.mjs';

const QUEUE = `bt-browser-${Date.now().toString(36)}`;
const BACKLOG = `bl-${Date.now().toString(36)}`;

let browser;
before(async () => {
  browser = await launch();
  php(`$e = KBJobs_Engine::get();
    foreach ( range( 1, 3 ) as $i ) { $e->submit( 'diag.echo', array( 'i' => $i ), array( 'queue' => $args[0], 'backlog' => $args[1], 'hold' => true ) ); }
    return true;`, [QUEUE, BACKLOG]);
});
after(async () => {
  php(`global $wpdb; $wpdb->query( kbjobs_test_jobs_sql( $wpdb->prepare( "DELETE FROM {$wpdb->prefix}kbjobs_jobs WHERE queue = %s", $args[0] ) ) ); return true;`, [QUEUE]);
  await browser?.close();
});

test('Release on the Queues screen queues a backlog\'s held jobs', async () => {
  const page = await loggedInPage(browser, env('KBJOBS_WP_URL'));
  assert.equal((await page.goto(`${env('KBJOBS_WP_URL')}/wp-admin/admin.php?page=kbjobs-queues`)).status(), 200);
  const row = page.locator('tbody[data-kbjobs-rows="queues"] tr', { hasText: QUEUE });
  await row.waitFor();
  assert.match(await row.locator('td.column-reason').textContent(), new RegExp(`held: 3 in backlog ${BACKLOG}`));
  assert.match(await row.locator('td.column-backlog').textContent(), /3/);
  const backlog = page.locator(`tr[data-kbjobs-backlog="${BACKLOG}"]`);
  assert.equal(await backlog.locator('input[name="_wpnonce"]').count(), 1);
  await screenshot(page, 'queues-backlog-held');

  page.once('dialog', (d) => d.accept());
  await Promise.all([page.waitForURL(/page=kbjobs-queues/), backlog.getByRole('button', { name: 'Release' }).click()]);
  await page.locator('.notice', { hasText: `Released 3 held jobs of backlog ${BACKLOG}.` }).waitFor();
  const counts = php(`return KBJobs_Data_Backlogs::get( $args[0] );`, [BACKLOG]);
  assert.equal(counts.held, 0);
  assert.equal(counts.queued, 3);
  await page.locator('tbody[data-kbjobs-rows="queues"] tr', { hasText: QUEUE }).locator('td.column-reason').waitFor();
  assert.doesNotMatch(await page.locator(`tr[data-kbjobs-backlog="${BACKLOG}"]`).textContent(), /Release/);
  await screenshot(page, 'queues-backlog-released');
});
