// An imported article on the site's front end, as a visitor (not logged in) sees it: a
// page whose <title> carried scripts and handlers shows its title as text and opens no
// dialog.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { env, launch, screenshot } from './lib.mjs';

// The real WP-CLI against the test instance (KBJOBS_HOME).
const wp = (...args) => execFileSync(join(env('KBJOBS_ROOT'), 'tools/wp'), args, { encoding: 'utf8' }).trim();

let browser;
const created = [];
before(async () => { browser = await launch(); });
after(async () => {
  await browser?.close();
  if (created.length) wp('post', 'delete', ...created, '--force');
});

test('an article with a hostile title shows it as text and opens no dialog', async () => {
  // A source URL of its own per run (the fixture ignores the query): a re-import of a
  // known, unchanged URL writes no post, even when its post was deleted.
  const source = `${env('KBJOBS_FIXTURE_URL')}/hostile/xss-title?run=${process.pid}-${Date.now()}`;
  const dir = mkdtempSync(join(tmpdir(), 'kbjobs-browser-'));
  try {
    writeFileSync(join(dir, 'list.txt'), `${source}\n`);
    const job = wp('kb', 'import', join(dir, 'list.txt'), '--wait', '--porcelain').split('\n')[0];
    created.push(...wp('post', 'list', '--post_type=kb_import_job', '--meta_key=_kbjobs_job_id',
      `--meta_value=${job}`, '--field=ID').split('\n').filter(Boolean));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const [id, url] = wp('post', 'list', '--post_type=kb_article', '--meta_key=_kbjobs_source_url',
    `--meta_value=${source}`, '--fields=ID,url', '--format=csv').split('\n')[1].split(',');
  created.push(id);

  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const dialogs = [];
  page.on('dialog', async (dialog) => { dialogs.push(dialog.message()); await dialog.dismiss(); });
  const response = await page.goto(url, { waitUntil: 'load' });
  assert.equal(response.status(), 200);
  await page.waitForTimeout(200); // a handler on a loaded image or a late script would have fired by now
  assert.deepEqual(dialogs, [], 'no alert(), confirm() or prompt() ran');
  // document.title collapses white space.
  const heading = (await page.textContent('h1.wp-block-post-title')).replace(/\s+/g, ' ').trim();
  assert.match(heading, /^Hostile title /);
  assert.ok((await page.title()).startsWith(heading), 'the document title starts with the post title');
  assert.equal(await page.locator('.wp-block-post-title img, .wp-block-post-title script, .wp-block-post-title svg').count(), 0);
  assert.match(await page.textContent('.wp-block-post-content'), /Hostile marker text for xss-title\./);
  await screenshot(page, 'front-end-hostile-title');
  await context.close();
});
