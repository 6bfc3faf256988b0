// The history screens (Jobs, a job's page, Failure Log) in a real browser against the
// test site: filters and paging through the URL, a live log that follows new lines
// without a reload and survives a dropped request, actions as forms, bulk actions on
// checked rows and on everything a filter matches, hostile text shown as text, and who
// may see and do what.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { env, launch, loggedInPage, php, screenshot } from './lib.mjs';

const root = env('KBJOBS_ROOT');
const base = env('KBJOBS_WP_URL');
const run = `h${Date.now().toString(36)}${process.pid}`;
const queue = `hist-${run}`; // paused: its jobs stay queued
const failQueue = `histf-${run}`; // failed jobs for the Failure Log
const xssQueue = `histx-${run}`; // the job with hostile text everywhere
const XSS = '<img src=x onerror=alert(1)><script>alert(2)</script>"><svg onload=alert(3)>';
// In an address: WordPress strips tags from what it reads there, not quotes.
const XSS_ATTR = 'x" autofocus onfocus="alert(7)';
const FAILED = 52; // beyond the FailureLog's cap of 50: its evictions show

const wp = (...args) => execFileSync(join(root, 'tools/wp'), args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
const wpAsync = promisify(execFile);

const url = (page, args = {}) => `${base}/wp-admin/admin.php?${new URLSearchParams({ page, ...args })}`;
const jobUrl = (id, args = {}) => url('kbjobs-job', { id, ...args });
const rowIds = (page) => page.$$eval('#the-list tr .column-primary code', (els) => els.map((e) => e.textContent.trim()));
const logLines = (page) => page.$$eval('.kbjobs-log-lines li', (els) => els.map((e) => e.textContent));
function appendLog(id, lines) {
  php('foreach ($args["lines"] as $l) { \\KBJobs_Engine::get()->log($args["id"], "info", $l); } return true;', { id, lines });
}
const jobStatus = (id) => php('return \\KBJobs_Engine::get()->get($args)->status;', id);

let browser;
let admin; // a page logged in as the administrator
let ids;
let importId;
let bulkId;
let resubmittedImport;
const users = {};

before(async () => {
  browser = await launch();
  ids = php(`
    $e = \\KBJobs_Engine::get();
    $e->pauseQueue($args["queue"]);
    $ids = array("echo" => array());
    for ($i = 0; $i < 5; $i++) {
      $ids["echo"][] = $e->submit("diag.echo", array("n" => $i), array("queue" => $args["queue"], "unique_key" => $args["run"] . "-key-" . $i));
    }
    $ids["live"]   = $e->submit("diag.echo", array("live" => true), array("queue" => $args["queue"]));
    $ids["cancel"] = $e->submit("diag.echo", array("cancel" => true), array("queue" => $args["queue"]));
    $jobs = array();
    for ($i = 0; $i < $args["failed"]; $i++) {
      $jobs[] = array("type" => "diag.fail", "params" => array("message" => "down $i", "retryable" => false), "queue" => $args["failQueue"], "max_attempts" => 1);
    }
    $ids["failed"] = $e->submitMany($jobs);
    $e->run(array("queues" => array($args["failQueue"]), "until_empty" => true, "max_seconds" => 120));
    $x = $args["xss"];
    $e->registerType("kbjobs_test.hostile", static function ($ctx) use ($x) {
      $ctx->title($x);
      $ctx->metrics(array("items" => 3, "<img src=x onerror=alert(4)>" => 1.5));
      $ctx->progress(3, 10, "<i>ph</i>");
      $ctx->log("error", $x, array("html" => $x));
      throw new \\KBJobs\\NonRetryableException($x);
    }, array("queue" => $args["xssQueue"], "max_attempts" => 1));
    $ids["xss"] = $e->submit("kbjobs_test.hostile", array("html" => $x), array("queue" => $args["xssQueue"]));
    $e->run(array("queues" => array($args["xssQueue"]), "until_empty" => true, "max_seconds" => 60));
    return $ids;`, { queue, failQueue, xssQueue, run, xss: XSS, failed: FAILED });

  // An import with a failed URL carrying markup: a partial FailureLog entry.
  const dir = mkdtempSync(join(tmpdir(), 'kbjobs-history-'));
  try {
    const fixture = env('KBJOBS_FIXTURE_URL');
    writeFileSync(join(dir, 'list.txt'), `${fixture}/page/7?run=${run}\n${fixture}/status/404?run=${run}&q="><script>alert(5)</script>\n`);
    importId = wp('kb', 'import', join(dir, 'list.txt'), '--wait', '--porcelain').split('\n')[0];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  Object.assign(users, php(`
    $made = array();
    foreach (array("subscriber" => "subscriber", "editor" => "editor", "viewer" => "subscriber") as $who => $role) {
      $login = "hist_" . $who . "_" . $args;
      $pass  = wp_generate_password(20, false);
      $id    = wp_insert_user(array("user_login" => $login, "user_pass" => $pass, "user_email" => $login . "@example.com", "role" => $role));
      if ("viewer" === $who) { (new WP_User($id))->add_cap("kbjobs_view"); }
      $made[$who] = array("id" => $id, "login" => $login, "password" => $pass);
    }
    return $made;`, run));
  admin = await loggedInPage(browser, base);
});

after(async () => {
  await browser?.close();
  if (!ids) return;
  php(`
    global $wpdb;
    require_once ABSPATH . "wp-admin/includes/user.php";
    foreach ($args["users"] as $u) { wp_delete_user($u["id"]); }
    $e = \\KBJobs_Engine::get();
    $mine = array_merge($args["ids"]["failed"], array($args["ids"]["xss"], $args["import"]));
    $e->failures()->delete($mine);
    foreach ($e->failures()->alerts() as $a) { if (empty($a["acknowledged_at"])) { $e->failures()->acknowledgeAlert((int) $a["id"]); } }
    foreach (\\KBJobs_Engine::get()->importPostIds($args["import"], "created", 0, 1000)["post_ids"] as $p) { wp_delete_post($p, true); }
    foreach (get_posts(array("post_type" => "kb_import_job", "meta_key" => "_kbjobs_job_id", "meta_value" => $args["import"], "fields" => "ids")) as $p) { wp_delete_post($p, true); }
    $queues = array($args["queue"], $args["failQueue"], $args["xssQueue"]);
    $in = implode(",", array_fill(0, count($queues), "%s"));
    $wpdb->query(kbjobs_test_jobs_sql( $wpdb->prepare("DELETE FROM {$wpdb->prefix}kbjobs_jobs WHERE queue IN ($in) OR id IN (%s, %s, %s)", array_merge($queues, array($args["import"], (string) $args["bulk"], (string) $args["again"]))) ));
    $wpdb->query($wpdb->prepare("DELETE FROM {$wpdb->prefix}kbjobs_queues WHERE name IN ($in)", $queues));
    return true;`, { users: Object.values(users), ids, import: importId, bulk: bulkId ?? '', again: resubmittedImport ?? '', queue, failQueue, xssQueue });
});

test('jobs are filtered, searched and paged through bookmarkable URLs', async () => {
  const page = admin;
  // Queue and status: the views count the queue's jobs by status.
  await page.goto(url('kbjobs-jobs', { queue }));
  assert.equal((await rowIds(page)).length, 7);
  assert.match(await page.textContent('.subsubsub .queued'), /Queued\s*\(7\)/);
  assert.match(await page.textContent('.subsubsub .all'), /All\s*\(7\)/);
  await Promise.all([page.waitForNavigation(), page.click('.subsubsub .queued a')]);
  assert.match(page.url(), new RegExp(`status=queued.*queue=${queue}|queue=${queue}.*status=queued`));
  assert.equal((await rowIds(page)).length, 7);
  await page.goto(url('kbjobs-jobs', { queue, status: 'failed' }));
  assert.equal((await rowIds(page)).length, 0);
  assert.match(await page.textContent('#the-list'), /No job matches/);

  // The search: a job id finds that job; otherwise the start of a unique key or type.
  await page.goto(url('kbjobs-jobs', { s: ids.echo[2] }));
  assert.deepEqual(await rowIds(page), [ids.echo[2]]);
  await page.goto(url('kbjobs-jobs', { s: `${run}-key-3` }));
  assert.deepEqual(await rowIds(page), [ids.echo[3]]);
  await page.goto(url('kbjobs-jobs', { s: `${run}-key` }));
  assert.deepEqual((await rowIds(page)).sort(), [...ids.echo].sort());

  // The form makes the URL (empty fields left out); a time range in the site's time.
  await page.goto(url('kbjobs-jobs'));
  await page.fill('#kbjobs-filter-queue', queue);
  await page.fill('#kbjobs-filter-type', 'diag.echo');
  await Promise.all([page.waitForURL(/queue=/), page.click('.kbjobs-filters button[type=submit]')]);
  const filtered = new URL(page.url());
  assert.equal(filtered.searchParams.get('queue'), queue);
  assert.equal(filtered.searchParams.get('type'), 'diag.echo');
  assert.equal(filtered.searchParams.has('s'), false, 'empty fields are not in the URL');
  assert.equal((await rowIds(page)).length, 7);
  await page.goto(url('kbjobs-jobs', { queue, created_after: '2999-01-01T00:00' }));
  assert.equal((await rowIds(page)).length, 0);
  await page.goto(url('kbjobs-jobs', { queue, created_before: '2037-12-31T00:00', created_after: '2000-01-01' }));
  assert.equal((await rowIds(page)).length, 7);

  // Rows per page (a screen option), then Next / First by keyset cursor.
  await page.goto(url('kbjobs-jobs', { queue }));
  await page.click('#show-settings-link');
  await page.fill('#kbjobs_jobs_per_page', '3');
  await Promise.all([page.waitForNavigation(), page.click('#screen-options-apply')]);
  const seen = [];
  const first = await rowIds(page);
  assert.equal(first.length, 3);
  seen.push(...first);
  while (await page.locator('.tablenav.top .kbjobs-next-page').count()) {
    await Promise.all([page.waitForNavigation(), page.click('.tablenav.top .kbjobs-next-page')]);
    assert.match(page.url(), /cursor=/);
    assert.equal(new URL(page.url()).searchParams.get('queue'), queue, 'the filter is kept');
    seen.push(...await rowIds(page));
  }
  assert.equal(seen.length, 7);
  assert.equal(new Set(seen).size, 7, 'no job on two pages');
  await screenshot(page, 'history-jobs-last-page');
  await Promise.all([page.waitForNavigation(), page.click('.tablenav.top .kbjobs-first-page')]);
  assert.deepEqual(await rowIds(page), first);
  await page.click('#show-settings-link');
  await page.fill('#kbjobs_jobs_per_page', '50');
  await Promise.all([page.waitForNavigation(), page.click('#screen-options-apply')]);
  await screenshot(page, 'history-jobs');
});

test('a job page follows its log without a reload and keeps the reader where they are', async () => {
  const page = admin;
  const id = ids.live;
  appendLog(id, Array.from({ length: 60 }, (_, i) => `early line ${i}`));
  await page.goto(jobUrl(id));
  await page.evaluate(() => { window.kbjobsNotReloaded = true; });
  assert.match(await page.textContent('[data-kbjobs-field="waiting.message"]'), /paused/);
  assert.equal((await logLines(page)).length, 60, 'the server rendered the log');
  const atBottom = () => page.$eval('.kbjobs-log', (el) => el.scrollHeight - el.scrollTop - el.clientHeight < 4);
  assert.equal(await atBottom(), true, 'opened at the end');

  // At the bottom: new lines appear and the view follows them.
  appendLog(id, ['follow 1', 'follow 2', XSS]);
  await page.waitForFunction(() => document.querySelectorAll('.kbjobs-log-lines li').length === 63, null, { timeout: 10000 });
  assert.equal(await atBottom(), true, 'still at the end');
  assert.ok((await logLines(page))[62].endsWith(` info ${XSS}`), 'markup in a log line is text');
  assert.equal(await page.locator('.kbjobs-log img, .kbjobs-log svg, .kbjobs-log script').count(), 0);

  // Scrolled up to read: new lines come, the view stays.
  await page.$eval('.kbjobs-log', (el) => { el.scrollTop = 120; });
  appendLog(id, ['while reading 1', 'while reading 2']);
  await page.waitForFunction(() => document.querySelectorAll('.kbjobs-log-lines li').length === 65, null, { timeout: 10000 });
  assert.equal(await page.$eval('.kbjobs-log', (el) => el.scrollTop), 120, 'the reader was not moved');
  assert.equal(await page.evaluate(() => window.kbjobsNotReloaded), true, 'no reload');
  await screenshot(page, 'history-job-live-log');
});

test('a dropped log request loses no line and repeats none', async () => {
  const page = admin;
  const id = ids.live;
  const before = (await logLines(page)).length;
  const cursors = [];
  let dropped;
  const droppedOnce = new Promise((resolve) => { dropped = resolve; });
  const isLogs = (u) => decodeURIComponent(u.href).includes(`/kbjobs/v1/jobs/${id}/logs`);
  await page.route(isLogs, async (route) => {
    const cursor = new URL(route.request().url()).searchParams.get('cursor');
    cursors.push(cursor);
    if (cursors.length === 1) {
      await route.abort('connectionreset');
      dropped(cursor);
    } else {
      await route.continue();
    }
  });
  appendLog(id, ['before the drop 1', 'before the drop 2']);
  const droppedCursor = await droppedOnce;
  appendLog(id, ['after the drop 1', 'after the drop 2']);
  await page.waitForFunction((n) => document.querySelectorAll('.kbjobs-log-lines li').length >= n, before + 4, { timeout: 15000 });
  await page.waitForTimeout(2500); // one more poll: nothing more may come
  await page.unroute(isLogs);
  assert.equal(cursors[1], droppedCursor, 'the next request asked again from the same cursor');
  const lines = await logLines(page);
  assert.equal(lines.length, before + 4);
  const tail = lines.slice(-4).map((l) => l.replace(/^\S+ info /, ''));
  assert.deepEqual(tail, ['before the drop 1', 'before the drop 2', 'after the drop 1', 'after the drop 2']);
  assert.equal(new Set(lines).size, lines.length, 'no line twice');

  // Copy and Download give the lines shown.
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
  await page.click('.kbjobs-log-copy');
  await page.waitForFunction(() => document.querySelector('.kbjobs-log-status').textContent !== '');
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), `${lines.join('\n')}\n`);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('.kbjobs-log-download')]);
  assert.equal(download.suggestedFilename(), `kbjobs-${id}.log`);
  assert.equal(readFileSync(await download.path(), 'utf8'), `${lines.join('\n')}\n`);
});

test('cancel and resume from a job page, recorded in its audit rows', async () => {
  const page = admin;
  const id = ids.cancel;
  await page.goto(jobUrl(id));
  assert.equal(await page.isVisible('.kbjobs-action-resume button'), false);
  page.once('dialog', (dialog) => dialog.accept());
  await Promise.all([page.waitForNavigation(), page.click('.kbjobs-action-cancel button')]);
  assert.equal(new URL(page.url()).searchParams.get('id'), id, 'back on the job page');
  assert.equal(await page.textContent('[data-kbjobs-field="status"]'), 'cancelled');
  assert.match(await page.textContent('.kbjobs-notice'), /Done/);
  assert.equal(jobStatus(id), 'cancelled');
  assert.equal(await page.isVisible('.kbjobs-action-cancel button'), false);
  await Promise.all([page.waitForNavigation(), page.click('.kbjobs-action-resume button')]);
  assert.equal(await page.textContent('[data-kbjobs-field="status"]'), 'queued');
  assert.equal(jobStatus(id), 'queued');
  const audit = await page.$$eval('.kbjobs-audit tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((td) => td.textContent.trim())));
  assert.deepEqual(audit.map((r) => [r[2], r[3], r[4]]), [['screen', 'job.resume', 'ok'], ['screen', 'job.cancel', 'ok']]);
  await screenshot(page, 'history-job-resumed');
});

test('the Failure Log resubmits checked rows, deletes one, shows partial imports, evictions and alerts', async () => {
  const page = admin;
  await page.goto(url('kbjobs-failures'));
  const [a, b, c] = ids.failed.slice(-3).reverse();
  assert.match(await page.textContent('.kbjobs-evicted'), /older entr(y was|ies were) dropped/);

  // The partial import: its kind, "1 of 2 URLs failed", a link to its page.
  const partial = page.locator('#the-list tr', { has: page.locator(`code:text-is("${importId}")`) });
  assert.match(await partial.locator('.column-kind').textContent(), /partial import/);
  assert.match(await partial.locator('.column-message').textContent(), /1 of 2 URLs failed/);
  assert.match(await partial.locator('.column-message a').getAttribute('href'), new RegExp(`page=kbjobs-job&id=${importId}`));

  // Two checked rows resubmitted at once.
  await page.check(`#kbjobs-cb-${a}`);
  await page.check(`#kbjobs-cb-${b}`);
  await page.selectOption('#bulk-action-selector-top', 'resubmit');
  await Promise.all([page.waitForNavigation(), page.click('#doaction')]);
  assert.match(await page.textContent('.kbjobs-notice'), /Done for 2 of 2/);
  assert.equal(await page.locator(`#kbjobs-cb-${a}`).count(), 0);
  assert.equal(jobStatus(a), 'queued');
  assert.equal(jobStatus(b), 'queued');

  // One row deleted: its job stays failed.
  const row = page.locator('#the-list tr', { has: page.locator(`#kbjobs-cb-${c}`) });
  await row.hover();
  page.once('dialog', (dialog) => dialog.accept());
  await Promise.all([page.waitForNavigation(), row.locator('.delete button').click()]);
  assert.equal(await page.locator(`#kbjobs-cb-${c}`).count(), 0);
  assert.equal(jobStatus(c), 'failed');

  // An alert for the type that kept failing, acknowledged.
  const alerts = page.locator('.kbjobs-alert', { hasText: 'diag.fail' });
  const open = await alerts.count();
  assert.ok(open >= 1, 'repeated failures raised an alert');
  await screenshot(page, 'history-failure-log');
  await Promise.all([page.waitForNavigation(), alerts.first().locator('button').click()]);
  assert.equal(await page.locator('.kbjobs-alert', { hasText: 'diag.fail' }).count(), open - 1);
});

test('everything matching a filter: preview, confirm, then the background job shows its progress', async () => {
  const page = admin;
  const left = FAILED - 2; // two were resubmitted from the Failure Log
  await page.goto(url('kbjobs-jobs', { queue: failQueue, status: 'failed' }));
  await page.selectOption('#kbjobs-bulk-preview', 'resubmit');
  await Promise.all([page.waitForNavigation(), page.click('.kbjobs-bulk-filter button')]);
  assert.equal(await page.getAttribute('.kbjobs-bulk-matched', 'data-matched'), String(left));
  assert.match(await page.textContent('.kbjobs-bulk-preview'), new RegExp(`queue: ${failQueue}`));
  assert.equal(php('return \\KBJobs_Data_Jobs::count($args);', { queue: failQueue, status: 'failed' }), left, 'the preview changed nothing');
  await screenshot(page, 'history-bulk-preview');

  await Promise.all([page.waitForURL(/page=kbjobs-job&/), page.click('.kbjobs-bulk-preview button[type=submit]')]);
  const bulk = new URL(page.url()).searchParams.get('id');
  bulkId = bulk;
  assert.match(await page.textContent('.kbjobs-job-summary'), /kbjobs\.bulk/);
  assert.match(await page.textContent('.kbjobs-notice'), new RegExp(`Started for ${left} jobs as background job ${bulk}`));
  assert.match(await page.textContent('.kbjobs-audit'), /screen\s*job\.bulk\.resubmit\s*ok/, 'who started it');
  await page.evaluate(() => { window.kbjobsNotReloaded = true; });

  // A runner takes it while the page is open: the page follows it to the end.
  const bulkQueue = php('return \\KBJobs_Engine::get()->get($args)->queue;', bulk);
  await wpAsync(join(root, 'tools/wp'), ['kb', 'work', `--queues=${bulkQueue}`, '--until-empty', '--max-seconds=60']);
  await page.waitForFunction(() => document.querySelector('[data-kbjobs-field="status"]').textContent === 'completed', null, { timeout: 15000 });
  assert.match(await page.textContent('[data-kbjobs-field="progress"]'), new RegExp(`${left} / ${left}`));
  assert.equal(await page.isVisible('.kbjobs-job-changed'), true);
  assert.equal(await page.evaluate(() => window.kbjobsNotReloaded), true);
  assert.equal(php('return \\KBJobs_Data_Jobs::count($args);', { queue: failQueue, status: 'failed' }), 0);
  assert.equal(php('return \\KBJobs_Data_Jobs::count($args);', { queue: failQueue, status: 'queued' }), FAILED);
  await screenshot(page, 'history-bulk-job');
});

test('hostile text shows as text on every history screen and runs nothing', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.addCookies(await admin.context().cookies());
  const page = await context.newPage();
  const dialogs = [];
  page.on('dialog', async (dialog) => { dialogs.push(dialog.message()); await dialog.dismiss(); });
  const visits = [
    [url('kbjobs-jobs', { queue: xssQueue }), [XSS]],
    [jobUrl(ids.xss), [XSS, '<img src=x onerror=alert(4)>', `error ${XSS}`]],
    [url('kbjobs-failures'), [XSS]],
    [jobUrl(importId), ['"><script>alert(5)</script>']],
    [url('kbjobs-jobs', { s: XSS_ATTR, created_after: XSS_ATTR }), [`Not a date and time: ${XSS_ATTR}`]],
    [url('kbjobs-jobs', { queue: XSS_ATTR, bulk_preview: 'cancel' }), [`queue: ${XSS_ATTR}`]],
  ];
  for (const [address, texts] of visits) {
    const response = await page.goto(address);
    assert.equal(response.status(), 200, address);
    await page.waitForTimeout(300); // a handler on a broken image would have fired
    const text = await page.textContent('.kbjobs-wrap');
    for (const t of texts) assert.ok(text.includes(t), `${address} shows ${t} as text`);
    assert.equal(await page.locator('.kbjobs-wrap img, .kbjobs-wrap svg, .kbjobs-wrap script, .kbjobs-wrap [onerror], .kbjobs-wrap [onload], .kbjobs-wrap [onfocus]').count(), 0, address);
  }
  await page.goto(url('kbjobs-jobs', { s: XSS_ATTR, queue: XSS_ATTR }));
  assert.equal(await page.inputValue('#kbjobs-filter-s'), XSS_ATTR, 'the search box holds the text');
  assert.equal(await page.inputValue('#kbjobs-filter-queue'), XSS_ATTR);
  assert.equal(await page.locator('[onfocus], [autofocus]').count(), 0);
  await screenshot(page, 'history-hostile-job');
  assert.deepEqual(dialogs, [], 'no alert(), confirm() or prompt() ran');
  await context.close();
});

test("an import's page shows its counts, failed URLs and posts, and imports the failed URLs again", async () => {
  const page = admin;
  await page.goto(jobUrl(importId));
  const counts = await page.$$eval('.kbjobs-import-counts li', (lis) => lis.map((li) => li.textContent.replace(/\s+/g, ' ').trim()));
  assert.deepEqual(counts, ['1 created', '0 updated', '0 unchanged', '1 failed']);
  const items = await page.$$eval('.kbjobs-failed-items tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((td) => td.textContent)));
  assert.equal(items.length, 1);
  assert.equal(items[0][0], '2', 'its line in the list');
  assert.match(items[0][3], /HTTP 404/);
  const posts = page.locator('.kbjobs-created-posts li > a:first-child');
  assert.equal(await posts.count(), 1);
  assert.match(await posts.getAttribute('href'), /post\.php\?post=\d+&action=edit/);
  await screenshot(page, 'history-import');

  await Promise.all([page.waitForNavigation(), page.click('button:text-is("Resubmit failed URLs")')]);
  const again = new URL(page.url()).searchParams.get('id');
  assert.notEqual(again, importId);
  resubmittedImport = again;
  assert.match(await page.textContent('.kbjobs-job-summary'), new RegExp(`Run again from\\s*${importId}`));
  assert.equal(php('return \\KBJobs_Engine::get()->get($args)->params["total"];', again), 1, 'only the failed URL');
});

test('subscribers and editors are refused; a viewer sees no action and cannot forge one', async () => {
  const screens = [url('kbjobs-jobs'), jobUrl(ids.echo[0]), url('kbjobs-failures')];
  for (const who of ['subscriber', 'editor']) {
    const page = await loggedInPage(browser, base, users[who].login, users[who].password);
    for (const address of screens) {
      const response = await page.goto(address);
      assert.equal(response.status(), 403, `${who}: ${address}`);
      assert.match(await page.textContent('body'), /Sorry, you are not allowed to access this page/);
    }
    await page.context().close();
  }

  const page = await loggedInPage(browser, base, users.viewer.login, users.viewer.password);
  for (const address of [url('kbjobs-jobs', { queue }), url('kbjobs-jobs', { queue, bulk_preview: 'cancel' }), jobUrl(ids.echo[0]), jobUrl(importId), url('kbjobs-failures')]) {
    const response = await page.goto(address);
    assert.equal(response.status(), 200, address);
    assert.equal(await page.locator('.kbjobs-wrap form[action*="admin-post.php"], .kbjobs-wrap button[type=submit][form], #the-list input[type=checkbox], .bulkactions, .kbjobs-bulk-filter, .kbjobs-bulk-preview').count(), 0, `${address}: nothing to act with`);
  }
  await page.goto(url('kbjobs-jobs', { queue }));
  assert.equal((await rowIds(page)).length, 7, 'the viewer sees the jobs');

  // A forged form post: without a nonce WordPress refuses it; with one made for this
  // user the action layer does (kbjobs_operate) and records the refusal.
  const target = ids.echo[0];
  const form = { action: 'kbjobs', op: 'job.cancel', id: target, _wp_http_referer: '/wp-admin/admin.php?page=kbjobs-jobs' };
  const refused = await page.request.post(`${base}/wp-admin/admin-post.php`, { form, maxRedirects: 0 });
  assert.equal(refused.status(), 403);
  const cookie = (await page.context().cookies()).find((c) => c.name.startsWith('wordpress_logged_in_'));
  const nonce = php('$_COOKIE[LOGGED_IN_COOKIE] = $args["cookie"]; wp_set_current_user($args["user"]); return wp_create_nonce("kbjobs-job.cancel");',
    { cookie: decodeURIComponent(cookie.value), user: users.viewer.id });
  const forged = await page.request.post(`${base}/wp-admin/admin-post.php`, { form: { ...form, _wpnonce: nonce }, maxRedirects: 0 });
  assert.equal(forged.status(), 302, 'the nonce passed');
  assert.equal(jobStatus(target), 'queued', 'the job was not cancelled');
  const audit = php('return \\KBJobs_Data_Audit::page(array("target" => $args, "action" => "job.cancel"))["entries"];', target);
  assert.equal(audit.length, 1);
  assert.equal(audit[0].outcome, 'denied');
  assert.equal(audit[0].user_login, users.viewer.login);
  await page.goto(url('kbjobs-jobs', { queue }));
  assert.match(await page.textContent('.kbjobs-notice'), /kbjobs_operate/);
  await page.context().close();
});

test('without JavaScript every list action still works as a plain form', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(`${base}/wp-login.php`);
  await page.fill('#user_login', env('KBJOBS_ADMIN_USER'));
  await page.fill('#user_pass', env('KBJOBS_ADMIN_PASSWORD'));
  await Promise.all([page.waitForURL(/wp-admin/), page.click('#wp-submit')]);

  // A bulk action on a checked row, then a row action on the same job.
  const id = ids.echo[1];
  await page.goto(url('kbjobs-jobs', { queue }));
  await page.check(`#kbjobs-cb-${id}`);
  await page.selectOption('#bulk-action-selector-top', 'cancel');
  await Promise.all([page.waitForNavigation(), page.click('#doaction')]);
  assert.match(await page.textContent('.kbjobs-notice'), /1 done, 0 skipped/);
  assert.equal(jobStatus(id), 'cancelled');
  assert.equal(new URL(page.url()).searchParams.get('queue'), queue, 'back on the filtered list');
  const row = page.locator('#the-list tr', { has: page.locator(`#kbjobs-cb-${id}`) });
  await Promise.all([page.waitForNavigation(), row.locator('.rerun button').click({ force: true })]);
  const notice = await page.textContent('.kbjobs-notice');
  const rerun = notice.match(/Running again as job ([0-9a-f]{16})/)?.[1];
  assert.ok(rerun, notice);
  assert.equal(php('return \\KBJobs_Engine::get()->get($args)->rerunOf;', rerun), id);

  // A Failure Log row action, and the job page's log, rendered by the server.
  await page.goto(url('kbjobs-failures'));
  const entry = page.locator('#the-list tr', { has: page.locator(`#kbjobs-cb-${ids.xss}`) });
  await Promise.all([page.waitForNavigation(), entry.locator('.resubmit button').click({ force: true })]);
  assert.match(await page.textContent('.kbjobs-notice'), /Done for 1 of 1/);
  assert.equal(jobStatus(ids.xss), 'queued');
  await page.goto(jobUrl(ids.xss));
  assert.match(await page.textContent('.kbjobs-log-lines'), /error <img src=x/);
  assert.match(await page.textContent('.kbjobs-wrap noscript'), /reload the page/);
  await context.close();
});
