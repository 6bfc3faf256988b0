// The Health screen in Chromium: versions and the plugin's Site Health tests (the async
// one filled in by the page), "Run reconciliation now" (a second click while it is queued
// is a notice linking to that job), the run's counts and a finding once a runner did it,
// the findings' kind filter, and a repair's dry run shown before its Apply button.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { env, launch, loggedInPage, php, screenshot } from './lib.mjs';

const base = env('KBJOBS_WP_URL');
const url = `${base}/wp-admin/admin.php?page=kbjobs-health`;
let browser;
let admin;
let strays = [];

before(async () => {
  browser = await launch();
  // Nothing may be running, so that Run now starts one; then an orphan artifact two
  // hours old (older than the grace period this test runs with).
  strays = php(`
    $r = KBJobs_Reconcile::report();
    if ($r && in_array($r["status"], array("queued", "running"), true)) { KBJobs_Engine::get()->cancel($r["id"]); }
    $dir  = KBJobs_Settings::data_dir();
    $hash = hash("sha256", "health-screen-" . $args);
    $path = "artifacts/" . substr($hash, 0, 2) . "/" . $hash . ".json";
    wp_mkdir_p(dirname("$dir/$path"));
    file_put_contents("$dir/$path", "{}");
    touch("$dir/$path", time() - 7200);
    return array($path);`, String(process.pid));
  admin = await loggedInPage(browser, base);
});

after(async () => {
  await browser?.close();
  php(`foreach ($args as $p) { @unlink(KBJobs_Settings::data_dir() . "/" . $p); }
    $r = KBJobs_Reconcile::report();
    if ($r && in_array($r["status"], array("queued", "running"), true)) { KBJobs_Engine::get()->cancel($r["id"]); }
    return true;`, strays);
});

test('versions, Site Health, Run now (409 as a notice), counts, a finding, the dry run of a repair', async () => {
  const response = await admin.goto(url);
  assert.equal(response.status(), 200);
  assert.equal(await admin.textContent('h1'), 'Health');
  assert.match(await admin.textContent('table.kbjobs-versions'), /extension/);
  assert.ok(await admin.locator('table.kbjobs-site-health tr[data-kbjobs-test="kbjobs_schema"]').count() === 1);
  // The loopback test is asked for by the page's script.
  await admin.waitForFunction(() => {
    const cell = document.querySelector('tr[data-kbjobs-test="kbjobs_data_dir_private"] .kbjobs-health-status');
    return cell && !/checking/.test(cell.textContent);
  }, null, { timeout: 15000 });

  await Promise.all([admin.waitForURL(/page=kbjobs-health&job=[0-9a-f]{16}/), admin.click('.kbjobs-reconcile-run button')]);
  assert.match(await admin.textContent('.kbjobs-notice'), /Reconciliation started as job ([0-9a-f]{16})/);
  const id = /job=([0-9a-f]{16})/.exec(admin.url())[1];
  assert.match(await admin.textContent('.kbjobs-reconcile-status'), /Queued/i);

  // Queued, nobody runs it: a second Run now is refused, with a link to this job.
  await Promise.all([admin.waitForNavigation(), admin.click('.kbjobs-reconcile-run button')]);
  const notice = admin.locator('.kbjobs-notice.notice-error');
  assert.match(await notice.textContent(), /already queued or running/);
  assert.match(await notice.locator('a').getAttribute('href'), new RegExp(`page=kbjobs-job&id=${id}`));

  // A runner does it; the page shows the counts and our orphan.
  php(`KBJobs_Engine::get()->run(array("queues" => array(KBJobs_Engine::get()->get($args)->queue), "until_empty" => true, "max_seconds" => 60));
    return KBJobs_Engine::get()->get($args)->status;`, id);
  await admin.goto(`${url}&job=${id}`);
  assert.match(await admin.textContent('.kbjobs-reconcile-status'), /Completed/i);
  const orphans = Number(await admin.textContent('.kbjobs-reconcile-counts [data-kbjobs-kind="orphan"]'));
  assert.ok(orphans >= 1, `orphans counted: ${orphans}`);

  await admin.selectOption('#kbjobs-findings-kind', 'orphan');
  await Promise.all([admin.waitForURL(/kind=orphan/), admin.click('.kbjobs-findings-filter button')]);
  const rows = admin.locator('table.kbjobs-findings tr.kbjobs-finding');
  assert.ok(await rows.count() >= 1);
  const paths = await admin.locator('table.kbjobs-findings .kbjobs-path').allTextContents();
  assert.ok(paths.includes(strays[0]), `our orphan is listed: ${paths.join(', ')}`);
  assert.deepEqual([...new Set(await admin.locator('table.kbjobs-findings tr.kbjobs-finding td:first-child').allTextContents())], ['orphan']);

  // Repair orphans: the dry run first, and only a button to apply it.
  await Promise.all([admin.waitForURL(/repair=orphans/), admin.click('a.kbjobs-repair-orphans')]);
  assert.match(await admin.textContent('.kbjobs-plan-counts'), /Quarantine: [1-9]/);
  const planned = await admin.locator('table.kbjobs-plan-actions tr td:nth-child(4)').allTextContents();
  assert.ok(planned.includes(strays[0]), 'the dry run lists our orphan');
  assert.equal(await admin.locator('form.kbjobs-repair-apply button').count(), 1);
  assert.ok(php('return file_exists(KBJobs_Settings::data_dir() . "/" . $args);', strays[0]), 'nothing moved yet');
  await screenshot(admin, 'health');
});
