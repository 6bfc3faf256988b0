// The Overview's charts: inline SVG images (title, description, a data table) of the last
// hour and the last day, in total and for a queue picked in the selector; a queue name
// shown as text, and a hostile filter value neither reflected nor used.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { env, launch, loggedInPage, php, screenshot } from './lib.mjs';

// The oddest name the engine takes (a-z, 0-9, '_', '.', '-'), unique to this run.
const QUEUE = `-._charts.${Date.now().toString(36)}_-`;
const HOSTILE = '<script>window.kbjobsPwned=1</script><img src=x onerror="window.kbjobsPwned=2">';

let browser;
before(async () => {
  browser = await launch();
  php(`$e = KBJobs_Engine::get();
    foreach ( range( 1, 4 ) as $i ) { $e->submit( 'diag.echo', array( 'i' => $i ), array( 'queue' => $args[0] ) ); }
    $e->submit( 'diag.fail', array( 'message' => 'charts', 'retryable' => false ), array( 'queue' => $args[0], 'max_attempts' => 1 ) );
    $e->run( array( 'queues' => array( $args[0] ), 'until_empty' => true, 'max_seconds' => 30 ) ); return true;`, [QUEUE]);
});
after(async () => {
  php(`global $wpdb; $wpdb->query( kbjobs_test_jobs_sql( $wpdb->prepare( "DELETE FROM {$wpdb->prefix}kbjobs_jobs WHERE queue = %s", $args[0] ) ) );
    $wpdb->query( "DELETE FROM {$wpdb->prefix}kbjobs_failures WHERE message = 'charts'" ); return true;`, [QUEUE]);
  await browser?.close();
});

test('the Overview draws the charts of the hour and the day, per queue, with their data as tables', async () => {
  const page = await loggedInPage(browser, env('KBJOBS_WP_URL'));
  const base = `${env('KBJOBS_WP_URL')}/wp-admin/admin.php?page=kbjobs`;
  assert.equal((await page.goto(base)).status(), 200);
  const charts = page.locator('svg.kbjobs-chart-svg[role="img"]');
  assert.equal(await charts.count(), 8, 'four charts for the hour, four for the day');
  const titles = await page.$$eval('svg.kbjobs-chart-svg > title', (ts) => ts.map((t) => t.textContent));
  assert.ok(titles.includes('Completed jobs per minute, the last hour'), titles.join(' | '));
  assert.ok(titles.includes('Run time, the last day'), titles.join(' | '));
  // The queue is offered by its name, as text.
  const option = page.locator('#kbjobs-stats-queue option', { hasText: QUEUE });
  assert.equal(await option.count(), 1);
  assert.equal(await option.getAttribute('value'), QUEUE);

  await page.selectOption('#kbjobs-stats-queue', QUEUE);
  await Promise.all([page.waitForNavigation(), page.click('form.kbjobs-filter button[type="submit"]')]);
  assert.equal(await page.inputValue('#kbjobs-stats-queue'), QUEUE);
  const heading = await page.locator('h3', { hasText: QUEUE }).first().textContent();
  assert.equal(heading, `The last hour, queue ${QUEUE}`);
  assert.match(await page.locator('.kbjobs-chart-totals').first().textContent(), /^4 completed, 1 failed, 0 retried; wait: median \S+/);
  const desc = await page.$$eval('svg.kbjobs-chart-svg > desc', (ds) => ds.map((d) => d.textContent));
  assert.ok(desc.includes('completed: 4 in all, at most 4.') || desc.some((d) => /^completed: 4 in all/.test(d)), desc.join(' | '));
  // The data table of the first chart, opened.
  const details = page.locator('details.kbjobs-chart-data').first();
  await details.locator('summary').click();
  const cells = await details.locator('tbody td').allTextContents();
  assert.equal(cells.map(Number).reduce((a, b) => a + b, 0), 4);
  await screenshot(page, 'overview-charts');

  // A filter that is no queue: not used, not reflected, nothing run.
  await page.goto(`${base}&stats_queue=${encodeURIComponent(HOSTILE)}`);
  assert.equal(await page.inputValue('#kbjobs-stats-queue'), '');
  assert.equal(await page.evaluate(() => window.kbjobsPwned), undefined);
  assert.equal((await page.content()).includes('window.kbjobsPwned=1</script>'), false);
  assert.equal(await page.locator('svg.kbjobs-chart-svg').count(), 8);
});
