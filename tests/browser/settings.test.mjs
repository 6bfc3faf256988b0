// The Settings screen: saving, refusing with the old value kept, a setting forced by a
// constant, the write-only webhook secret, hostile text, and who may open it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { env, launch, loggedInPage, php, screenshot } from './lib.mjs';

const OPTIONS = ['kbjobs_retention_jobs_days', 'kbjobs_alert_email_to', 'kbjobs_alert_webhook_url',
  'kbjobs_alert_webhook_secret', 'kbjobs_alert_email'];
const run = Date.now().toString(36);
let browser;
let admin;
let viewer;
const base = env('KBJOBS_WP_URL');
const url = `${base}/wp-admin/admin.php?page=kbjobs-settings`;

before(async () => {
  browser = await launch();
  php('foreach ($args as $o) { delete_option($o); } return true;', OPTIONS);
  viewer = php(`
    $login = "settings_viewer_" . $args;
    $pass  = wp_generate_password(20, false);
    $id    = wp_insert_user(array("user_login" => $login, "user_pass" => $pass, "user_email" => $login . "@example.com", "role" => "subscriber"));
    (new WP_User($id))->add_cap("kbjobs_view");
    return array("id" => $id, "login" => $login, "password" => $pass);`, run);
  admin = await loggedInPage(browser, base);
});

after(async () => {
  await browser?.close();
  php(`require_once ABSPATH . "wp-admin/includes/user.php";
    wp_delete_user($args["id"]);
    foreach ($args["options"] as $o) { delete_option($o); }
    return true;`, { id: viewer?.id ?? 0, options: OPTIONS });
});

async function save(page) {
  await Promise.all([page.waitForURL(/settings-updated=true/), page.click('form.kbjobs-settings-form #submit')]);
}

test('an administrator saves a setting and sees it; a bad value is refused with the old one kept', async () => {
  const response = await admin.goto(url);
  assert.equal(response.status(), 200);
  assert.equal(await admin.textContent('h1'), 'Settings');
  assert.equal(await admin.inputValue('#kbjobs_retention_jobs_days'), '30', 'the default');
  await admin.fill('#kbjobs_retention_jobs_days', '45');
  await admin.fill('#kbjobs_alert_email_to', 'ops@example.com, oncall@example.com');
  await save(admin);
  assert.match(await admin.textContent('.notice, .updated'), /Settings saved/);
  assert.equal(await admin.inputValue('#kbjobs_retention_jobs_days'), '45');
  assert.equal(php('return KBJobs_Settings::get("retention_jobs_days");'), 45);

  await admin.fill('#kbjobs_alert_email_to', 'not an address');
  await admin.fill('#kbjobs_retention_jobs_days', '46');
  await save(admin);
  const error = admin.locator('#setting-error-kbjobs_alert_email_to');
  assert.match(await error.textContent(), /Email recipients: "not an address" is not an email address\. The previous value was kept\./);
  assert.equal(await admin.inputValue('#kbjobs_alert_email_to'), 'ops@example.com, oncall@example.com');
  assert.equal(await admin.inputValue('#kbjobs_retention_jobs_days'), '46', 'the valid field of the same form is saved');
  const audit = php('return KBJobs_Engine::get()->auditLog(array("action" => "settings.update", "limit" => 5))["entries"];');
  assert.ok(audit.some((e) => e.target === 'kbjobs_retention_jobs_days' && e.source === 'screen'), JSON.stringify(audit));
  await screenshot(admin, 'settings');
});

test('a setting forced by a constant is disabled and names its constant', async () => {
  await admin.goto(url);
  // The test site's wp-config.php defines KBJOBS_FETCH_ALLOW and KBJOBS_DATA_DIR.
  const field = admin.locator('#kbjobs_fetch_allow');
  assert.equal(await field.isDisabled(), true);
  assert.equal(await field.inputValue(), '127.0.0.1');
  assert.match(await admin.textContent('#kbjobs_fetch_allow-description'), /Set by KBJOBS_FETCH_ALLOW in wp-config\.php\./);
  assert.match(await admin.textContent('.kbjobs-settings-form'), /Set by KBJOBS_DATA_DIR in wp-config\.php\./);
  assert.equal(await admin.isDisabled('#kbjobs_fetch_max_per_host'), false, 'an unforced one is editable');
});

test('the webhook secret is write-only and hostile input shows as text', async () => {
  const secret = `s3cret-${run}`;
  const hostileUrl = 'https://hooks.example.com/in?x="><svg/onload=window.__kbjobsXss=1>';
  await admin.goto(url);
  assert.equal((await admin.textContent('.kbjobs-secret-state')).trim(), 'Not set.');
  await admin.fill('#kbjobs_alert_webhook_secret', secret);
  await admin.fill('#kbjobs_alert_webhook_url', hostileUrl);
  await admin.fill('#kbjobs_alert_email_to', '<img src=x onerror=window.__kbjobsXss=1>');
  await save(admin);
  assert.equal((await admin.textContent('.kbjobs-secret-state')).trim(), 'Set.');
  assert.equal(await admin.inputValue('#kbjobs_alert_webhook_secret'), '');
  assert.equal((await admin.content()).includes(secret), false, 'the secret is never sent back');
  assert.equal(await admin.inputValue('#kbjobs_alert_webhook_url'), hostileUrl);
  assert.match(await admin.textContent('#setting-error-kbjobs_alert_email_to'), /"<img src=x onerror=window.__kbjobsXss=1>" is not an email address/);
  assert.equal(await admin.locator('.kbjobs-wrap img, .kbjobs-wrap svg').count(), 0);
  assert.equal(await admin.evaluate(() => window.__kbjobsXss), undefined);

  // Left empty, the secret is kept; the box removes it.
  await save(admin);
  assert.equal(php('return get_option("kbjobs_alert_webhook_secret");'), secret);
  await admin.check('input[name="kbjobs_alert_webhook_secret_clear"]');
  await save(admin);
  assert.equal((await admin.textContent('.kbjobs-secret-state')).trim(), 'Not set.');
  assert.equal(php('return get_option("kbjobs_alert_webhook_secret");'), '');
});

test('a kbjobs_view user has no Settings page', async () => {
  const page = await loggedInPage(browser, base, viewer.login, viewer.password);
  await page.goto(`${base}/wp-admin/admin.php?page=kbjobs`);
  assert.equal(await page.locator('#adminmenu a[href="admin.php?page=kbjobs-settings"]').count(), 0);
  const response = await page.goto(url);
  assert.equal(response.status(), 403);
  assert.equal(await page.locator('#kbjobs_retention_jobs_days').count(), 0);
  await page.context().close();
});
