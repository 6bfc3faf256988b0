// The Scheduled Queue with WP-Cron on kbjobs, in a real browser against the test site:
// events scheduled through core's API with their arguments (hostile text as text), next
// run, lateness, recurrence, last run and failure streak; Run now, Pause/Resume, Edit
// (next run in the site's timezone, recurrence) and Delete as forms, each with its notice
// and audit entry; an event's page with its runs; who may see and act; the list's pages
// (First, Previous, Next, keeping the filter) and its state filter.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { env, launch, loggedInPage, php, screenshot } from './lib.mjs';

const root = env('KBJOBS_ROOT');
const site = env('KBJOBS_WP_URL');
const wp = (...args) => execFileSync(join(root, 'tools/wp'), args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
const list = `${site}/wp-admin/admin.php?page=kbjobs-cron`;
const eventUrl = (id) => `${list}&event=${id}`;
const muPlugin = join(env('KBJOBS_WP_DIR'), 'wp-content/mu-plugins/kbjobs-live-test.php');

// The test mu-plugin's hooks: OK prints its arguments and makes one query and one HTTP
// request, FAIL throws. EDIT has no callback: it is only steered.
const HOOK = { ok: 'kbtest_cron_ok', fail: 'kbtest_cron_fail', edit: 'kbtest_cron_edit' };
const XSS = ['<img src=x onerror="alert(\'cron\')">', { k: '<script>alert("cron")</script><svg onload=alert(1)>' }];
const password = `Pw-${process.pid}-${Date.now().toString(36)}`;
// Users kbjobs_live_* go with `wp kbtest cleanup`.
const USERS = { view: 'kbjobs_live_cron_view', sub: 'kbjobs_live_cron_sub' };
const TIMEZONE = 'America/New_York';

let browser;
let admin;
let oldTimezone;
const ids = {};
const dialogs = [];

// Records (and dismisses) every dialog a page opens that a test did not expect.
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
  return (await page.locator('.kbjobs-notice p').textContent()).trim();
}

const row = (page, id) => page.locator(`tr[data-kbjobs-row="${id}"]`);
const cell = (r, key) => r.locator(`[data-kbjobs-cell="${key}"]`);
const event = (id) => JSON.parse(wp('kb', 'cron', 'event', 'get', String(id), '--format=json'));
// The audit entries of an action on an event (target: hook#id), newest first.
const audited = (action, hook, id) => JSON.parse(wp('kb', 'audit', 'list', `--action=${action}`, `--target=${hook}#${id}`, '--format=json'));

// An event page's runs as {heading: text}, newest first.
async function runs(page) {
  return page.locator('.kbjobs-cron-runs').evaluate((table) => {
    const headings = [...table.tHead.rows[0].cells].map((th) => th.textContent.trim());
    return [...table.tBodies[0].rows].map((tr) => Object.fromEntries(headings.map((h, i) => [h, tr.cells[i]?.textContent.trim()])));
  });
}

function clearHooks() {
  php(`global $wpdb;
    foreach ($args as $hook) {
      wp_unschedule_hook($hook);
      $wpdb->query($wpdb->prepare("DELETE FROM {$wpdb->prefix}kbjobs_cron_runs WHERE hook = %s", $hook));
    }
    return true;`, Object.values(HOOK));
}

before(async () => {
  copyFileSync(join(dirname(fileURLToPath(import.meta.url)), 'mu-plugins/kbjobs-live-test.php'), muPlugin);
  clearHooks();
  oldTimezone = wp('option', 'get', 'timezone_string');
  wp('option', 'update', 'timezone_string', TIMEZONE);
  ids.ok = wp('kbtest', 'cron-add', HOOK.ok, JSON.stringify(XSS), '-600', 'hourly');
  ids.fail = wp('kbtest', 'cron-add', HOOK.fail, '[]', '-120', 'hourly');
  ids.edit = wp('kbtest', 'cron-add', HOOK.edit, '[7]', '3600');
  wp('kbtest', 'users', password, `${USERS.sub}:subscriber`, `${USERS.view}:subscriber:kbjobs_view`);
  browser = await launch();
  admin = watchDialogs(await loggedInPage(browser, site));
});

after(async () => {
  await browser?.close();
  try {
    clearHooks();
    wp('kbtest', 'cleanup', 'kbjobs-cron-screen-none');
    if (oldTimezone !== undefined) wp('option', 'update', 'timezone_string', oldTimezone);
  } finally {
    rmSync(muPlugin, { force: true });
  }
});

test('events scheduled through core\'s API show with their arguments as text, next run, lateness and recurrence; after runs, the last run, its outcome and the failure streak', async () => {
  assert.equal((await admin.goto(list)).status(), 200);
  const ok = row(admin, ids.ok);
  assert.equal(await cell(ok, 'args').textContent(), JSON.stringify(XSS));
  assert.equal(await cell(ok, 'recurrence').textContent(), 'Once Hourly');
  assert.match(await cell(ok, 'late').textContent(), /^Late by 10 mins$/);
  assert.match(await cell(ok, 'next').getAttribute('datetime'), /^\d{4}-\d\d-\d\dT/);
  assert.match(await ok.locator('.column-last').textContent(), /^Never$/);
  const edit = row(admin, ids.edit);
  assert.equal(await cell(edit, 'recurrence').textContent(), 'Once');
  assert.equal(await edit.locator('.kbjobs-late').count(), 0, 'not late');
  assert.equal(await admin.locator('.kbjobs-table img, .kbjobs-table svg, .kbjobs-table tbody script').count(), 0);

  // A runner takes the two due events (and whatever else of the site is due); the
  // failing one runs a second time from the command line.
  wp('kb', 'work', '--until-empty', '--due-within=0');
  assert.throws(() => wp('kb', 'cron', 'event', 'run', ids.fail), /1 of 1 events failed/);
  await admin.reload();
  assert.equal(await cell(ok, 'last_outcome').textContent(), 'OK');
  assert.match(await cell(ok, 'last_run').getAttribute('datetime'), /^\d{4}-\d\d-\d\dT/);
  assert.equal(await ok.locator('.kbjobs-late').count(), 0, 'rescheduled an hour on');
  assert.ok(Date.parse(await cell(ok, 'next').getAttribute('datetime')) > Date.now(), 'next run in the future');
  const fail = row(admin, ids.fail);
  assert.equal(await cell(fail, 'last_outcome').textContent(), 'Failed');
  assert.equal(await cell(fail, 'streak').textContent(), '2 failures in a row');
  assert.match(await fail.getAttribute('class'), /kbjobs-cron-failing/);
  assert.equal(await cell(fail, 'recurrence').textContent(), 'Once Hourly', 'a failed recurring event stays scheduled');
  assert.match(await admin.locator('.kbjobs-summary').textContent(), /failing/);
  await screenshot(admin, 'cron-list');
});

test('an event\'s page lists its runs with outcome, trigger, duration, queries, HTTP requests and the output in a <details>; a failed run its error', async () => {
  assert.equal((await admin.goto(eventUrl(ids.ok))).status(), 200);
  assert.equal(await admin.locator('h2 code').first().textContent(), HOOK.ok);
  assert.equal(JSON.parse(await admin.locator('.kbjobs-facts pre.kbjobs-params').textContent()).length, 2);
  const [run] = await runs(admin);
  assert.equal(run.Trigger, 'runner');
  assert.equal(run.Outcome, 'ok');
  assert.match(run.Duration, /^\d[\d,]* ms$/);
  assert.match(run.Queries, /^[1-9]\d*$/, 'the callback\'s query counted');
  assert.equal(run.HTTP, '1');
  assert.match(run.Memory, /\d (B|KB|MB)$/);
  const details = admin.locator('.kbjobs-cron-runs details').first();
  assert.equal(await details.evaluate((d) => d.open), false);
  await details.locator('summary').click();
  assert.equal(await details.locator('pre').textContent(), `${HOOK.ok} ran with ${JSON.stringify(XSS)}`);
  assert.equal(await admin.locator('.kbjobs-wrap img, .kbjobs-wrap svg, .kbjobs-cron-runs script').count(), 0);
  await screenshot(admin, 'cron-event');

  await admin.goto(eventUrl(ids.fail));
  const failed = await runs(admin);
  assert.deepEqual(failed.map((r) => r.Trigger), ['cli', 'runner']);
  for (const r of failed) assert.equal(r.Outcome, 'failedRuntimeException: kbtest failure <b>as text</b>');
  assert.equal(await admin.locator('.kbjobs-cron-runs b').count(), 0);
  assert.match(await admin.locator('.kbjobs-facts').textContent(), /2 failures in a row/);
});

test('Run now makes an event due; a runner runs it with the trigger run-now, and its schedule stays', async () => {
  await admin.goto(list);
  const ok = row(admin, ids.ok);
  const before = event(ids.ok);
  assert.match(await submit(admin, ok.getByRole('button', { name: 'Run now' })), /^Done\.$/);
  assert.equal(audited('cron.run', HOOK.ok, ids.ok)[0]?.source, 'screen');
  wp('kb', 'work', '--until-empty', '--due-within=0');
  await admin.goto(eventUrl(ids.ok));
  const [run] = await runs(admin);
  assert.equal(run.Trigger, 'run-now');
  assert.equal(run.Outcome, 'ok');
  assert.equal(event(ids.ok).next_run, before.next_run, 'a recurring event keeps its schedule');
});

test('Pause and Resume: the state shows, the event stays scheduled (core\'s API still sees it)', async () => {
  await admin.goto(list);
  const edit = row(admin, ids.edit);
  const next = () => php('return wp_next_scheduled($args[0], $args[1]);', [HOOK.edit, [7]]);
  const at = next();
  assert.ok(at > 0);
  assert.match(await submit(admin, edit.getByRole('button', { name: 'Pause' })), /^Done\.$/);
  assert.equal(await cell(edit, 'state').textContent(), 'Paused');
  assert.equal(await edit.getByRole('button', { name: 'Resume' }).count(), 1);
  assert.equal(await edit.getByRole('button', { name: 'Pause' }).count(), 0);
  assert.equal(event(ids.edit).paused, true);
  assert.equal(next(), at, 'still scheduled');
  assert.equal(audited('cron.pause', HOOK.edit, ids.edit)[0]?.source, 'screen');
  await screenshot(admin, 'cron-paused');

  assert.match(await submit(admin, edit.getByRole('button', { name: 'Resume' })), /^Done\.$/);
  assert.equal(await cell(edit, 'state').count(), 0);
  assert.equal(await edit.getByRole('button', { name: 'Pause' }).count(), 1);
  assert.equal(event(ids.edit).paused, false);
  assert.equal(audited('cron.resume', HOOK.edit, ids.edit)[0]?.source, 'screen');
});

test('Edit on the event\'s page: a new recurrence and next run (in the site\'s timezone) show, and core\'s API answers them', async () => {
  await admin.goto(list);
  await Promise.all([admin.waitForEvent('load'), row(admin, ids.edit).getByRole('link', { name: 'Edit', exact: true }).click()]);
  assert.equal(admin.url(), eventUrl(ids.edit));
  assert.match(await admin.locator('label[for="kbjobs-cron-next"]').textContent(), new RegExp(TIMEZONE));
  // 09:30 in New York on 15 January (EST, UTC-5) is 14:30 UTC.
  await admin.locator('#kbjobs-cron-next').fill('2030-01-15T09:30:00');
  await admin.locator('#kbjobs-cron-schedule').selectOption('twicedaily');
  assert.match(await submit(admin, admin.getByRole('button', { name: 'Save' })), /^Done\.$/);
  const facts = admin.locator('.kbjobs-facts');
  assert.equal(await facts.locator('time').first().getAttribute('datetime'), '2030-01-15T14:30:00Z');
  assert.match(await facts.textContent(), /Twice Daily/);
  assert.match(await admin.locator('#kbjobs-cron-next').inputValue(), /^2030-01-15T09:30(:00)?$/);
  assert.equal(await admin.locator('#kbjobs-cron-schedule').inputValue(), 'twicedaily');
  assert.equal(php('return wp_get_scheduled_event($args[0], $args[1]);', [HOOK.edit, [7]]).schedule, 'twicedaily');
  assert.equal(php('return wp_next_scheduled($args[0], $args[1]);', [HOOK.edit, [7]]), Date.UTC(2030, 0, 15, 14, 30) / 1000);
  const [entry] = audited('cron.edit', HOOK.edit, ids.edit);
  assert.equal(entry?.source, 'screen');

  // A time that is not one comes back as an error notice and changes nothing.
  await admin.locator('#kbjobs-cron-next').evaluate((input) => { input.type = 'text'; input.value = 'soon'; });
  assert.match(await submit(admin, admin.getByRole('button', { name: 'Save' })), /next_run must be a time/);
  assert.equal(await admin.locator('.kbjobs-notice.notice-error').count(), 1);
  assert.equal(event(ids.edit).next_run, '2030-01-15T14:30:00Z');
});

test('a kbjobs_view user sees the list and an event\'s page without any action; a subscriber cannot open the screen', async () => {
  const view = await loginAs(USERS.view);
  for (const url of [list, eventUrl(ids.ok)]) {
    assert.equal((await view.goto(url)).status(), 200, url);
    assert.equal(await view.locator('.kbjobs-wrap form[method="post"], .kbjobs-inline-form, .kbjobs-cron-edit').count(), 0, `${url}: no form`);
    assert.deepEqual(await view.locator(".kbjobs-wrap button:not(.notice-dismiss)").evaluateAll((b) => b.map((x) => x.outerHTML)), [], `${url}: no button`);
    assert.equal(await view.locator('th.column-actions').count(), 0);
    assert.equal(await view.getByRole('link', { name: 'Edit', exact: true }).count(), 0);
  }
  assert.equal(await row(view, ids.ok).count(), 0, 'the event page is not the list');
  await view.goto(list);
  assert.equal(await cell(row(view, ids.ok), 'args').textContent(), JSON.stringify(XSS), 'the view user sees the data');
  await view.context().close();

  const sub = await loginAs(USERS.sub);
  for (const url of [list, eventUrl(ids.ok)]) {
    const response = await sub.goto(url);
    assert.equal(response.status(), 403, url);
    assert.match(await sub.textContent('body'), /not allowed to access this page/);
  }
  await sub.context().close();
});

test('Delete asks first; dismissed, nothing happens; accepted on the event\'s page, the event goes and the list shows the notice', async () => {
  await admin.goto(eventUrl(ids.edit));
  const asked = [];
  admin.removeAllListeners('dialog');
  admin.once('dialog', async (d) => { asked.push(d.message()); await d.dismiss(); });
  await admin.getByRole('button', { name: 'Delete' }).click();
  await admin.waitForTimeout(300);
  assert.equal(asked[0], `Delete the WP-Cron event ${HOOK.edit}? Its runs stay in the history.`);
  assert.equal(event(ids.edit).id, Number(ids.edit));
  admin.once('dialog', async (d) => { asked.push(d.message()); await d.accept(); });
  assert.match(await submit(admin, admin.getByRole('button', { name: 'Delete' })), /^Done\.$/);
  watchDialogs(admin);
  assert.equal(asked.length, 2);
  assert.equal(admin.url(), list, 'back to the list, not to the page of an event that is gone');
  assert.equal(await row(admin, ids.edit).count(), 0);
  assert.equal(php('return wp_next_scheduled($args[0], $args[1]);', [HOOK.edit, [7]]), false);
  assert.equal(audited('cron.delete', HOOK.edit, ids.edit)[0]?.source, 'screen');
});

test('the list pages 50 at a time with First, Previous and Next keeping the filter; the state filter shows only its events', async () => {
  const PAGED = 'kbtest_cron_paged';
  php('$t = time() + 7 * DAY_IN_SECONDS; for ($i = 1; $i <= 55; $i++) { wp_schedule_single_event($t + $i, $args[0], array($i)); } return true;', [PAGED]);
  try {
    await admin.goto(list);
    await admin.locator('#kbjobs-cron-search').fill(PAGED);
    await Promise.all([admin.waitForEvent('load'), admin.locator('.kbjobs-cron-filter input[type="submit"]').click()]);
    assert.match(admin.url(), /search=kbtest_cron_paged/);
    const rows = admin.locator('tr[data-kbjobs-row]');
    assert.equal(await rows.count(), 50);
    assert.equal(await admin.locator('.kbjobs-prev-page').count(), 0);
    await Promise.all([admin.waitForEvent('load'), admin.locator('.kbjobs-next-page').click()]);
    assert.match(admin.url(), /search=kbtest_cron_paged.*cursor=|cursor=.*search=kbtest_cron_paged/);
    assert.equal(await rows.count(), 5);
    assert.equal(await cell(rows.last(), 'args').textContent(), '[55]', 'the last page ends with the latest');
    assert.equal(await admin.locator('.kbjobs-next-page').count(), 0);
    await Promise.all([admin.waitForEvent('load'), admin.locator('.kbjobs-prev-page').click()]);
    assert.equal(await rows.count(), 50);
    assert.equal(await cell(rows.first(), 'args').textContent(), '[1]');
    assert.equal(await admin.locator('#kbjobs-cron-search').inputValue(), PAGED, 'the filter stays');
    await screenshot(admin, 'cron-paged');

    await admin.goto(list);
    await admin.locator('#kbjobs-cron-state').selectOption('failing');
    await Promise.all([admin.waitForEvent('load'), admin.locator('.kbjobs-cron-filter input[type="submit"]').click()]);
    assert.match(admin.url(), /state=failing/);
    assert.equal(await row(admin, ids.fail).count(), 1, 'the event that failed');
    assert.equal(await row(admin, ids.ok).count(), 0, 'one that ran well');
  } finally {
    php('return wp_unschedule_hook($args[0]);', [PAGED]);
  }
});

test('no page opened a dialog: hostile text stayed text', () => {
  assert.deepEqual(dialogs, []);
});
