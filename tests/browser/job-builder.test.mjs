// The Job Builder in Chromium: three steps added from the palette (weights 34/33/33, a
// params form drawn from a schema), reordered from the keyboard (Alt+ArrowUp, announced)
// so that the test type runs before diag.crud and the engine's warning appears beside
// both steps, then by drag and drop back so it goes away; saved as a template, the page
// reloaded, the template loaded and run; the combined job's page shows it completing.
// A screenshot of each state under the test output folder.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { env, launch, loggedInPage, php, screenshot } from './lib.mjs';

const base = env('KBJOBS_WP_URL');
const url = `${base}/wp-admin/admin.php?page=kbjobs-builder`;
const muPlugin = join(env('KBJOBS_WP_DIR'), 'wp-content/mu-plugins/kbjobs-builder-test.php');
const queue = `builder-test-${process.pid}`;
const name = `Builder test ${process.pid}`;
let browser;
let page;

before(async () => {
  copyFileSync(join(dirname(fileURLToPath(import.meta.url)), 'mu-plugins/kbjobs-builder-test.php'), muPlugin);
  browser = await launch();
  page = await loggedInPage(browser, base);
});

after(async () => {
  await browser?.close();
  php(`foreach (KBJobs_Data_Chain_Templates::all() as $t) { if ($t["name"] === $args) { KBJobs_Data_Chain_Templates::delete($t["id"]); } }
    return true;`, name);
  try { unlinkSync(muPlugin); } catch { /* gone already */ }
});

const types = () => page.$$eval('[data-kbjobs-steps] > li', (lis) => lis.map((li) => li.getAttribute('data-kbjobs-type')));
const warnings = () => page.locator('[data-kbjobs-steps] .kbjobs-step-messages li.kbjobs-warning');

test('build, reorder by keyboard and drag, validate, save, reload, load, run, watch it complete', async () => {
  assert.equal((await page.goto(url)).status(), 200);
  assert.equal(await page.textContent('h1'), 'Job Builder');
  assert.equal(await page.locator('noscript').count(), 1);

  for (const type of ['diag.echo', 'diag.crud', 'kbjobs_test.publish']) {
    await page.click(`[data-kbjobs-palette] [data-kbjobs-add="${type}"]`);
  }
  assert.deepEqual(await types(), ['diag.echo', 'diag.crud', 'kbjobs_test.publish']);
  assert.deepEqual(await page.$$eval('[data-kbjobs-weight]', (ws) => ws.map((w) => w.value)), ['34', '33', '33']);
  // The schema's form: defaults filled, the required field marked, a list as lines.
  await page.click('[data-kbjobs-steps] > li:nth-child(3) .kbjobs-step-toggle');
  const form = page.locator('[data-kbjobs-steps] > li:nth-child(3) .kbjobs-step-params');
  assert.equal(await form.locator('[data-kbjobs-param="title"]').inputValue(), 'Hello');
  assert.equal(await form.locator('[data-kbjobs-param="title"]').getAttribute('aria-required'), 'true');
  assert.equal(await form.locator('[data-kbjobs-param="copies"]').getAttribute('type'), 'number');
  assert.equal(await form.locator('[data-kbjobs-param="format"]').inputValue(), 'html');
  assert.equal(await form.locator('[data-kbjobs-param="tags"]').evaluate((el) => el.tagName), 'TEXTAREA');
  await form.locator('[data-kbjobs-param="tags"]').fill('alpha\nbeta');
  await page.fill('[data-kbjobs-queue]', queue);
  await page.click('[data-kbjobs-validate]');
  await page.waitForFunction(() => /The chain is valid\.$/.test(document.querySelector('[data-kbjobs-status]').textContent));
  assert.equal(await warnings().count(), 0);
  await screenshot(page, 'job-builder-1-three-steps');

  // Keyboard: the test type up above diag.crud; announced; the engine warns on both steps.
  await page.focus('[data-kbjobs-steps] > li:nth-child(3)');
  await page.keyboard.press('Alt+ArrowUp');
  assert.deepEqual(await types(), ['diag.echo', 'kbjobs_test.publish', 'diag.crud']);
  await page.waitForFunction(() => /position 2 of 3/.test(document.querySelector('[data-kbjobs-announce]').textContent));
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('data-kbjobs-type')), 'kbjobs_test.publish');
  await warnings().first().waitFor();
  assert.match(await warnings().first().textContent(), /diag\.crud should run before kbjobs_test\.publish; check the database/);
  assert.equal(await page.locator('[data-kbjobs-steps] > li:nth-child(2) .kbjobs-warning').count(), 1);
  assert.equal(await page.locator('[data-kbjobs-steps] > li:nth-child(3) .kbjobs-warning').count(), 1);
  await screenshot(page, 'job-builder-2-keyboard-warning');

  // Drag: the test type back below diag.crud; the warning goes away.
  await page.dragAndDrop('[data-kbjobs-steps] > li:nth-child(2) .kbjobs-step-handle', '[data-kbjobs-steps] > li:nth-child(3)');
  assert.deepEqual(await types(), ['diag.echo', 'diag.crud', 'kbjobs_test.publish']);
  await page.waitForFunction(() => document.querySelectorAll('[data-kbjobs-steps] .kbjobs-warning').length === 0
    && /The chain is valid\.$/.test(document.querySelector('[data-kbjobs-status]').textContent));
  await screenshot(page, 'job-builder-3-dragged-back');

  // Save as a template; reload; load it.
  await page.fill('[data-kbjobs-template-name]', name);
  await page.click('[data-kbjobs-save]');
  await page.waitForFunction((n) => document.querySelector('[data-kbjobs-status]').textContent.includes(`Saved the template "${n}"`), name);
  await page.reload();
  assert.equal(await page.locator('[data-kbjobs-steps] > li').count(), 0);
  await page.selectOption('[data-kbjobs-templates]', { label: name });
  await page.click('[data-kbjobs-load]');
  assert.deepEqual(await types(), ['diag.echo', 'diag.crud', 'kbjobs_test.publish']);
  assert.equal(await page.inputValue('[data-kbjobs-queue]'), queue);
  await page.click('[data-kbjobs-steps] > li:nth-child(3) .kbjobs-step-toggle');
  assert.equal(await page.inputValue('[data-kbjobs-steps] > li:nth-child(3) [data-kbjobs-param="tags"]'), 'alpha\nbeta');
  await screenshot(page, 'job-builder-4-template-loaded');

  // Run: the combined job's page; a runner takes it; the page shows it completed.
  await Promise.all([page.waitForURL(/page=kbjobs-job&id=[0-9a-f]{16}/), page.click('[data-kbjobs-run]')]);
  const id = /id=([0-9a-f]{16})/.exec(page.url())[1];
  await screenshot(page, 'job-builder-5-job-page');
  const status = php(`$e = KBJobs_Engine::get();
    $e->run(array("queues" => array($args), "until_empty" => true, "max_seconds" => 30));
    return $e->get(${JSON.stringify(id)})->status;`, queue);
  assert.equal(status, 'completed');
  await page.waitForFunction(() => /Completed/i.test(document.querySelector('[data-kbjobs-field="status"]').textContent),
    null, { timeout: 15000 });
  const result = php(`return KBJobs_Engine::get()->get($args)->result;`, id);
  assert.ok(JSON.stringify(result).includes('alpha'), `the params reached the step: ${JSON.stringify(result)}`);
  await screenshot(page, 'job-builder-6-completed');
});
