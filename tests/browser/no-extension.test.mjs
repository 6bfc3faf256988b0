// The same site served by a PHP without kbjobs.so: every admin page still renders and
// shows a notice that explains what is missing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { env, launch, loggedInPage, screenshot } from './lib.mjs';

const pages = {
  dashboard: '/wp-admin/index.php',
  plugins: '/wp-admin/plugins.php',
  posts: '/wp-admin/edit.php',
  pages: '/wp-admin/edit.php?post_type=page',
  media: '/wp-admin/upload.php',
  users: '/wp-admin/users.php',
  tools: '/wp-admin/tools.php',
  settings: '/wp-admin/options-general.php',
  'site-health': '/wp-admin/site-health.php',
};

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('every admin page renders with a notice naming the missing extension', async () => {
  const base = env('KBJOBS_NOEXT_URL');
  const page = await loggedInPage(browser, base);
  for (const [name, path] of Object.entries(pages)) {
    const response = await page.goto(base + path);
    assert.equal(response.status(), 200, `${name} answers 200`);
    assert.equal(await page.locator('#wpbody-content').count(), 1, `${name} rendered the admin body`);
    const body = await page.textContent('body');
    assert.doesNotMatch(body, /critical error|Fatal error/i, `${name} has no fatal error`);
    const notice = page.locator('.kbjobs-requirements-notice');
    assert.equal(await notice.count(), 1, `${name} shows the notice once`);
    assert.match(await notice.textContent(), /kbjobs PHP extension is not loaded/);
    assert.match(await notice.textContent(), /extension=kbjobs\.so/);
    await screenshot(page, `no-extension-${name}`);
  }
  // The Operations screen does not exist without the engine.
  const response = await page.goto(`${base}/wp-admin/admin.php?page=kbjobs`);
  assert.equal(response.status(), 403);
});
