// The dashboard's live screens (Active Jobs, Queue, Queues, Runners, Interrupted,
// Scheduled Queue) in a real browser against the test site: their data, live updates
// without a reload, the plain forms, hostile text shown as text, polling paused in a
// hidden tab, and who may see and act.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { env, launch, loggedInPage, screenshot } from './lib.mjs';

const root = env('KBJOBS_ROOT');
const site = env('KBJOBS_WP_URL');
const wp = (...args) => execFileSync(join(root, 'tools/wp'), args, { encoding: 'utf8' }).trim();
const screen = (slug) => `${site}/wp-admin/admin.php?page=${slug === 'overview' ? 'kbjobs' : `kbjobs-${slug}`}`;

// Everything this file creates is named after the run: queues live-<tag>-*, users
// kbjobs_live_*; `wp kbtest cleanup` removes it.
const tag = `live-${process.pid.toString(36)}`;
const Q = { pause: `${tag}-pause`, slow: `${tag}-slow`, xss: `${tag}-xss`, int: `${tag}-int` };
const HOOK = 'kbjobs_live_test_hook';
const XSS = {
  params: '<img src=x onerror="alert(\'params\')">',
  title: '<script>alert(\'title\')</script><img src=x onerror="alert(\'title\')">',
  cron: '<svg onload="alert(\'cron\')"></svg>',
};
const SCREENS = ['active', 'queue', 'queues', 'runners', 'interrupted', 'cron'];
const LIVE = ['active', 'queue', 'queues', 'runners'];
const password = `Pw-${process.pid}-${Date.now().toString(36)}`;
const muPlugin = join(env('KBJOBS_WP_DIR'), 'wp-content/mu-plugins/kbjobs-live-test.php');

let browser;
let admin;
let queuedId;
let interruptedId;
const runners = [];
const dialogs = [];

// Records (and dismisses) every alert, confirm or prompt a page opens.
function watchDialogs(page) {
  page.on('dialog', async (dialog) => { dialogs.push(`${dialog.type()}: ${dialog.message()}`); await dialog.dismiss(); });
  return page;
}

async function loginAs(login) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = watchDialogs(await context.newPage());
  await page.goto(`${site}/wp-login.php`);
  await page.fill('#user_login', login);
  await page.fill('#user_pass', password);
  await Promise.all([page.waitForURL(/wp-admin/), page.click('#wp-submit')]);
  return page;
}

// Submits a form button and waits for the page it leads back to (with its notice).
async function submit(page, button) {
  await Promise.all([page.waitForEvent('load'), button.click()]);
  return (await page.locator('.kbjobs-notice').textContent()).trim();
}

function exited(child, ms) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`runner ${child.pid} still running after ${ms} ms`)), ms);
    child.once('exit', () => { clearTimeout(timer); resolve(); });
  });
}

before(async () => {
  copyFileSync(join(dirname(fileURLToPath(import.meta.url)), 'mu-plugins/kbjobs-live-test.php'), muPlugin);
  queuedId = wp('kbtest', 'submit', JSON.stringify([
    { type: 'diag.echo', params: { note: XSS.params }, options: { queue: Q.pause, delay: 3600 } },
  ]));
  interruptedId = wp('kbtest', 'interrupted', Q.int);
  wp('kbtest', 'cron-add', HOOK, JSON.stringify([XSS.cron, { k: '<script>alert("cron")</script>' }]), '-300');
  wp('kbtest', 'users', password, 'kbjobs_live_sub:subscriber', 'kbjobs_live_editor:editor', 'kbjobs_live_view:subscriber:kbjobs_view');
  browser = await launch();
  admin = watchDialogs(await loggedInPage(browser, site));
});

after(async () => {
  for (const child of runners) if (child.exitCode === null) child.kill('SIGKILL');
  await browser?.close();
  try {
    wp('kbtest', 'cleanup', tag);
    wp('kbtest', 'cron-clear', HOOK);
  } finally {
    rmSync(muPlugin, { force: true });
  }
});

test('Active Jobs shows running jobs as they start, with runner, progress and a hostile title as text; Cancel stops one', async () => {
  const response = await admin.goto(screen('active'));
  assert.equal(response.status(), 200);
  const [slowId, xssId] = wp('kbtest', 'submit', JSON.stringify([
    { type: 'diag.sleep', params: { seconds: 20 }, options: { queue: Q.slow } },
    { type: 'kbjobs_test.titled', params: { title: XSS.title, seconds: 60 }, options: { queue: Q.xss } },
  ])).split('\n');
  for (const queue of [Q.slow, Q.xss]) {
    runners.push(spawn(join(root, 'tools/wp'), ['kb', 'work', `--queues=${queue}`, '--until-empty', '--max-seconds=90', '--no-cron'], { stdio: 'ignore' }));
  }
  // The rows arrive through the snapshot, without a reload (copies of the row template).
  const slow = admin.locator(`tr[data-kbjobs-row="${slowId}"]`);
  const xss = admin.locator(`tr[data-kbjobs-row="${xssId}"]`);
  await slow.locator('[data-kbjobs-cell="progress"]').filter({ hasText: / \/ 20$/ }).waitFor({ timeout: 30000 });
  await xss.locator('[data-kbjobs-cell="title"]').filter({ hasText: 'alert' }).waitFor({ timeout: 30000 });
  assert.equal(await xss.locator('[data-kbjobs-cell="title"]').textContent(), XSS.title);
  assert.equal(await admin.locator('.kbjobs-table img, .kbjobs-table tbody script, .kbjobs-table svg').count(), 0);
  assert.equal(await slow.locator('[data-kbjobs-cell="type"]').textContent(), 'diag.sleep');
  assert.match(await slow.locator('[data-kbjobs-cell="runner"]').textContent(), /, pid \d+$/);
  assert.match(await slow.locator('time[data-kbjobs-cell="started"]').getAttribute('datetime'), /^\d{4}-\d\d-\d\dT/);
  assert.equal(await slow.locator('progress').count(), 1);
  await slow.locator('[data-kbjobs-cell="rate"]').filter({ hasText: 'items/s' }).waitFor({ timeout: 10000 });
  await screenshot(admin, 'live-active');

  // Runners: the two runners, active, each with its job.
  const runnersPage = watchDialogs(await admin.context().newPage());
  assert.equal((await runnersPage.goto(screen('runners'))).status(), 200);
  const mine = runnersPage.locator('tr[data-kbjobs-row]').filter({ has: runnersPage.locator(`[data-kbjobs-cell="job_ids"]:text-is("${slowId}")`) });
  assert.equal(await mine.count(), 1);
  assert.equal(await mine.locator('[data-kbjobs-cell="state"]').textContent(), 'active');
  assert.equal(await mine.locator('[data-kbjobs-cell="jobs"]').textContent(), '1');
  assert.match(await mine.locator('[data-kbjobs-cell="memory"]').textContent(), /\d+(\.\d)? (MB|KB|GB)/);
  assert.match(await mine.locator('[data-kbjobs-cell="pid"]').textContent(), /^\d+$/);
  await screenshot(runnersPage, 'live-runners');
  await runnersPage.close();

  // Cancel, from a row the script added (its form's job id came from the row's texts).
  // The page returned to shows the request at once; the runner sees it at its next
  // heartbeat (a third of the lease), and the row goes.
  const notice = await submit(admin, slow.getByRole('button', { name: 'Cancel' }));
  assert.match(notice, /Done/);
  assert.match(await slow.locator('[data-kbjobs-cell="cancel_requested"]').textContent(), /^Cancel requested/);
  assert.equal(await slow.getByRole('button', { name: 'Cancel' }).isVisible(), false);
  wp('kb', 'job', 'cancel', xssId);
  await Promise.all(runners.map((child) => exited(child, 45000)));
  assert.equal(wp('kb', 'job', 'get', slowId, '--field=status'), 'cancelled');
  await admin.locator('.kbjobs-table .kbjobs-empty-row').waitFor({ state: 'visible', timeout: 10000 });
  assert.equal(await admin.locator('tr[data-kbjobs-row]').count(), 0);
});

test('pausing a queue on the Queues screen (a plain form) shows as paused on the Overview and the Queue screen without a reload', async () => {
  const context = admin.context();
  const overview = watchDialogs(await context.newPage());
  assert.equal((await overview.goto(screen('overview'))).status(), 200);
  const waiting = watchDialogs(await context.newPage());
  const polls = [];
  waiting.on('request', (r) => { if (/kbjobs(\/|%2F)v1(\/|%2F)waiting/.test(r.url())) polls.push(Date.now()); });
  const waitingLoaded = Date.now();
  assert.equal((await waiting.goto(`${screen('queue')}&queue=${Q.pause}`)).status(), 200);
  const job = waiting.locator(`tr[data-kbjobs-row="${queuedId}"]`);
  assert.equal(await job.locator('[data-kbjobs-cell="reason_code"]').textContent(), 'scheduled');
  for (const page of [overview, waiting]) await page.evaluate(() => { window.kbjobsNotReloaded = true; });

  await admin.goto(screen('queues'));
  const row = admin.locator(`tr[data-kbjobs-row="${Q.pause}"]`);
  assert.equal(await row.locator('[data-kbjobs-cell="paused"]').textContent(), 'No');
  assert.match(await submit(admin, row.getByRole('button', { name: 'Pause' })), /Done/);
  assert.equal(await row.locator('[data-kbjobs-cell="paused"]').textContent(), 'Yes');
  assert.equal(await row.getByRole('button', { name: 'Resume' }).isVisible(), true);
  assert.equal(await row.getByRole('button', { name: 'Pause' }).isVisible(), false);

  await overview.waitForFunction((q) => [...document.querySelectorAll('[data-kbjobs-key="status.queues"] tr')]
    .some((tr) => tr.cells[0]?.textContent === q && tr.cells[5]?.textContent === 'Paused'), Q.pause, { timeout: 15000 });
  await job.locator('[data-kbjobs-cell="reason_code"]').filter({ hasText: /^paused$/ }).waitFor({ timeout: 15000 });
  assert.equal(await job.locator('[data-kbjobs-cell="reason"]').textContent(), 'Queue paused');
  assert.match(await job.locator('[data-kbjobs-cell="reason_message"]').textContent(), /paus/);
  for (const page of [overview, waiting]) assert.equal(await page.evaluate(() => window.kbjobsNotReloaded), true, 'not reloaded');
  await screenshot(overview, 'live-overview-paused');
  await screenshot(waiting, 'live-queue');
  // The Queue screen asks at most every five seconds (a count, not a timing).
  const seconds = (Date.now() - waitingLoaded) / 1000;
  assert.ok(polls.length >= 1 && polls.length <= Math.floor(seconds / 5) + 1, `${polls.length} polls in ${seconds} s`);
  await overview.close();
  await waiting.close();

  // Limits: an error comes back as an error notice and changes nothing; then saved.
  await row.locator('summary').click();
  await row.locator('input[name="concurrency"]').fill('2');
  await row.locator('input[name="rate"]').fill('5');
  await row.locator('input[name="period_ms"]').fill('0');
  assert.match(await submit(admin, row.getByRole('button', { name: 'Save limits' })), /rate and period_ms go together/);
  assert.equal(await admin.locator('.kbjobs-notice.notice-error').count(), 1);
  assert.equal(await row.locator('[data-kbjobs-cell="concurrency"]').textContent(), 'no limit');
  await row.locator('summary').click();
  await row.locator('input[name="concurrency"]').fill('2');
  await row.locator('input[name="rate"]').fill('5');
  await row.locator('input[name="period_ms"]').fill('1000');
  assert.match(await submit(admin, row.getByRole('button', { name: 'Save limits' })), /Done/);
  assert.equal(await row.locator('[data-kbjobs-cell="concurrency"]').textContent(), '2');
  assert.equal(await row.locator('[data-kbjobs-cell="rate"]').textContent(), '5 per 1 s');
  await screenshot(admin, 'live-queues');
  assert.match(await submit(admin, row.getByRole('button', { name: 'Resume' })), /Done/);
  assert.equal(await row.locator('[data-kbjobs-cell="paused"]').textContent(), 'No');
});

test('each screen loads for an administrator with its data and help; hostile params and cron arguments show as text', async () => {
  for (const slug of SCREENS) {
    const response = await admin.goto(screen(slug));
    assert.equal(response.status(), 200, slug);
    assert.equal(await admin.locator(`#tab-panel-kbjobs-${slug}`).count(), 1, `${slug} has a help tab`);
    assert.equal(await admin.locator('.kbjobs-wrap noscript').count(), LIVE.includes(slug) ? 1 : 0, `${slug} noscript note`);
  }
  await admin.goto(`${screen('queue')}&queue=${Q.pause}`);
  assert.equal(await admin.locator('#kbjobs-queue-filter').inputValue(), Q.pause);
  const job = admin.locator(`tr[data-kbjobs-row="${queuedId}"]`);
  assert.equal(await job.locator('[data-kbjobs-cell="what"]').textContent(), JSON.stringify({ note: XSS.params }));
  assert.match(await admin.locator('.kbjobs-where').textContent(), /exactly one of these five/);

  await admin.goto(screen('cron'));
  const event = admin.locator('.kbjobs-table tbody tr').filter({ has: admin.locator(`[data-kbjobs-cell="hook"]:text-is("${HOOK}")`) });
  assert.equal(await event.count(), 1);
  assert.equal(await event.locator('[data-kbjobs-cell="args"]').textContent(), JSON.stringify([XSS.cron, { k: '<script>alert("cron")</script>' }]));
  assert.match(await event.locator('[data-kbjobs-cell="late"]').textContent(), /^Late by /);
  assert.equal(await event.locator('.kbjobs-ours').count(), 1);
  assert.equal(await event.locator('[data-kbjobs-cell="recurrence"]').textContent(), 'Once');
  assert.equal(await admin.locator('.kbjobs-table svg, .kbjobs-table img, .kbjobs-table tbody script').count(), 0);
  await screenshot(admin, 'live-cron');

  await admin.goto(screen('interrupted'));
  const row = admin.locator(`tr[data-kbjobs-row="${interruptedId}"]`);
  assert.equal(await row.locator('[data-kbjobs-cell="progress"]').textContent(), '3 / 10');
  assert.match(await row.locator('[data-kbjobs-cell="checkpoint"]').textContent(), /^saved /);
  for (const name of ['Resume', 'Start fresh', 'Discard']) assert.equal(await row.getByRole('button', { name }).count(), 1, name);
  await screenshot(admin, 'live-interrupted');
  // Discard asks first: dismissed, nothing happens; accepted, the job is cancelled.
  const asked = [];
  admin.removeAllListeners('dialog');
  admin.once('dialog', async (d) => { asked.push(d.message()); await d.dismiss(); });
  await row.getByRole('button', { name: 'Discard' }).click();
  await admin.waitForTimeout(300);
  assert.match(asked[0] ?? '', /^Discard job [0-9a-f]{16}\?/);
  assert.equal(wp('kb', 'job', 'get', interruptedId, '--field=status'), 'interrupted');
  admin.once('dialog', async (d) => { asked.push(d.message()); await d.accept(); });
  assert.match(await submit(admin, row.getByRole('button', { name: 'Discard' })), /Done/);
  watchDialogs(admin);
  assert.equal(await admin.locator(`tr[data-kbjobs-row="${interruptedId}"]`).count(), 0);
  assert.equal(wp('kb', 'job', 'get', interruptedId, '--field=status'), 'cancelled');
});

test('a hidden tab does not poll the snapshot, and polls again once shown', async () => {
  const SNAPSHOT = /kbjobs(\/|%2F)v1(\/|%2F)snapshot/;
  // The Overview's own poll and the other screens' (data-kbjobs-poll), side by side.
  const pages = await Promise.all(['overview', 'active'].map(async (slug) => {
    const page = watchDialogs(await admin.context().newPage());
    await page.addInitScript(() => {
      window.kbjobsHidden = true;
      Object.defineProperty(Document.prototype, 'hidden', { configurable: true, get: () => window.kbjobsHidden });
      Object.defineProperty(Document.prototype, 'visibilityState', { configurable: true, get: () => (window.kbjobsHidden ? 'hidden' : 'visible') });
    });
    page.kbjobsRequests = 0;
    page.on('request', (r) => { if (SNAPSHOT.test(r.url())) page.kbjobsRequests++; });
    await page.goto(screen(slug));
    return page;
  }));
  const setHidden = (page, hidden) => page.evaluate((h) => { window.kbjobsHidden = h; document.dispatchEvent(new Event('visibilitychange')); }, hidden);
  await pages[0].waitForTimeout(4500); // more than two polling periods
  for (const page of pages) assert.equal(page.kbjobsRequests, 0, `${page.url()}: no request while hidden`);
  await Promise.all(pages.map((page) => Promise.all([page.waitForResponse(SNAPSHOT, { timeout: 5000 }), setHidden(page, false)])));
  await Promise.all(pages.map((page) => setHidden(page, true)));
  await pages[0].waitForTimeout(300); // a request already in flight may finish
  const shown = pages.map((page) => page.kbjobsRequests);
  await pages[0].waitForTimeout(4500);
  assert.deepEqual(pages.map((page) => page.kbjobsRequests), shown, 'no request once hidden again');
  for (const page of pages) await page.close();
});

test('subscribers and editors get WordPress\'s "not allowed" page on every one of these screens', async () => {
  for (const login of ['kbjobs_live_sub', 'kbjobs_live_editor']) {
    const first = await loginAs(login);
    await Promise.all(SCREENS.map(async (slug) => {
      const page = watchDialogs(await first.context().newPage());
      const response = await page.goto(screen(slug));
      assert.equal(response.status(), 403, `${login} on ${slug}`);
      assert.match(await page.textContent('body'), /not allowed to access this page/);
    }));
    await first.context().close();
  }
});

test('a kbjobs_view user sees every screen without action buttons, and a forged form post is refused and changes nothing', async () => {
  const page = await loginAs('kbjobs_live_view');
  await Promise.all(SCREENS.map(async (slug) => {
    const tab = watchDialogs(await page.context().newPage());
    const response = await tab.goto(slug === 'queue' ? `${screen(slug)}&queue=${Q.pause}` : screen(slug));
    assert.equal(response.status(), 200, slug);
    assert.equal(await tab.locator('.kbjobs-wrap form[method="post"], .kbjobs-inline-form, .kbjobs-limits-form').count(), 0, `${slug}: no action form`);
    assert.equal(await tab.locator('th.column-actions').count(), 0, `${slug}: no Actions column`);
    if (slug === 'queue') assert.equal(await tab.locator(`tr[data-kbjobs-row="${queuedId}"]`).count(), 1, 'the view user sees the data');
    await tab.close();
  }));

  const paused = () => JSON.parse(wp('kb', 'queue', 'list', '--format=json')).find((q) => q.name === Q.pause).paused;
  const before = paused();
  const referer = screen('queues');
  const form = { action: 'kbjobs', op: 'queue.pause', name: Q.pause, _wp_http_referer: '/wp-admin/admin.php?page=kbjobs-queues' };
  // Without a nonce: WordPress refuses before anything runs.
  const bare = await page.request.post(`${site}/wp-admin/admin-post.php`, { form, headers: { Referer: referer }, maxRedirects: 0 });
  assert.equal(bare.status(), 403);
  // With this user's own valid nonce: the action layer refuses (kbjobs_operate).
  const nonce = (await (await page.request.get(`${site}/wp-admin/admin-ajax.php?action=kbjobs_test_nonce&op=queue.pause`)).json()).nonce;
  const forged = await page.request.post(`${site}/wp-admin/admin-post.php`, { form: { ...form, _wpnonce: nonce }, headers: { Referer: referer } });
  assert.equal(forged.status(), 200);
  assert.match(await forged.text(), /notice-error[^>]*><p>You need the kbjobs_operate capability/);
  assert.equal(paused(), before, 'the queue is as it was');
  await page.context().close();
});

test('no page opened a dialog: hostile text stayed text', () => {
  assert.deepEqual(dialogs, []);
});
