// The Operations dashboard with the extension loaded.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { env, launch, loggedInPage, screenshot } from './lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('operations page shows the extension and its libraries', async () => {
  const page = await loggedInPage(browser, env('KBJOBS_WP_URL'));
  const response = await page.goto(`${env('KBJOBS_WP_URL')}/wp-admin/admin.php?page=kbjobs`);
  assert.equal(response.status(), 200);
  assert.equal(await page.textContent('h1'), 'KB Jobs Operations');
  const rows = await page.$$eval('table.kbjobs-versions tbody tr',
    (trs) => Object.fromEntries(trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent.trim()))));
  for (const lib of ['extension', 'libmariadb', 'libcurl', 'jansson', 'libxml2']) {
    assert.match(rows[lib] ?? '', /^\d+\.\d+/, `${lib} version shown`);
  }
  assert.equal(await page.locator('.kbjobs-requirements-notice').count(), 0);
  // The menu entry leads to the same screen.
  assert.equal(await page.locator('#adminmenu a[href="admin.php?page=kbjobs"]').count() > 0, true);
  await screenshot(page, 'operations');
});
