// The import screens in a real browser: the Import screen checks a list and shows its
// rejected lines by number before anything runs, then starts it and lands on its job
// page; an interrupted import of the same key is asked about first (Resume, Start fresh,
// Cancel); the Imports screen lists imports; the KB Articles list shows where each post
// came from, filters by import and re-fetches a post; hostile titles and URLs show as
// text; and who may see and do what.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { env, launch, loggedInPage, screenshot } from './lib.mjs';

const base = env('KBJOBS_WP_URL');
const fx = env('KBJOBS_FIXTURE_URL');
const tools = join(env('KBJOBS_ROOT'), 'tools');
// Source URLs of their own per run (the fixture ignores the query): an unchanged URL
// imported before would write no post.
const run = `${process.pid}-${Date.now()}`;
const dir = mkdtempSync(join(tmpdir(), 'kbjobs-import-screens-'));

// The real WP-CLI against the test instance.
const wp = (...args) => execFileSync(join(tools, 'wp'), args, { encoding: 'utf8' }).trim();
const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });
const importCount = () => Number(wp('kb', 'job', 'list', '--type=import', '--format=count'));
const job = (id) => JSON.parse(wp('kb', 'job', 'get', id, '--format=json'));

let browser;
const users = {};
const articles = [];
let dialogs = [];

before(async () => {
  browser = await launch();
  for (const [name, role, cap] of [['sub', 'subscriber', ''], ['editor', 'editor', ''], ['viewer', 'editor', 'kbjobs_view']]) {
    const login = `impscr_${name}_${process.pid}`;
    const password = `pw-${run}-${name}-Aa1!`;
    const id = wp('user', 'create', login, `${login}@example.test`, `--role=${role}`, `--user_pass=${password}`, '--porcelain');
    if (cap) wp('user', 'add-cap', id, cap);
    users[name] = { id, login, password };
  }
});

after(async () => {
  await browser?.close();
  for (const u of Object.values(users)) wp('user', 'delete', u.id, '--yes');
  // The imported articles of this run (an article's guid is its source URL).
  const posts = JSON.parse(wp('post', 'list', '--post_type=kb_article', '--post_status=any', '--posts_per_page=1000',
    '--fields=ID,guid', '--format=json'));
  const ours = posts.filter((p) => p.guid.includes(run)).map((p) => String(p.ID));
  if (ours.length) wp('post', 'delete', ...ours, '--force');
  rmSync(dir, { recursive: true, force: true });
});

// A page logged in as `user` (default: the admin) that records dialogs and fails on
// script errors.
async function pageAs(user) {
  let page;
  if (user) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on('pageerror', (err) => { throw err; });
    await page.goto(`${base}/wp-login.php`);
    await page.fill('#user_login', user.login);
    await page.fill('#user_pass', user.password);
    await Promise.all([page.waitForURL(/wp-admin/), page.click('#wp-submit')]);
  } else {
    page = await loggedInPage(browser, base);
  }
  page.on('dialog', async (dialog) => { dialogs.push(dialog.message()); await dialog.dismiss(); });
  return page;
}

// Step 1 and 2: pastes `urls` (and a key), checks them; returns the check page.
async function check(page, urls, key = '') {
  await page.goto(`${base}/wp-admin/admin.php?page=kbjobs-import`);
  await page.fill('#kbjobs-urls', urls.join('\n'));
  if (key) await page.fill('#kbjobs-key', key);
  await Promise.all([page.waitForURL(/page=kbjobs-import&upload=[0-9a-f]{32}$/), page.click('#kbjobs-check')]);
  return page;
}

async function click(page, selector, url) {
  await Promise.all([page.waitForURL(url), page.click(selector)]);
}

// An import with `key` interrupted mid-way: a runner with a 2 s lease takes it, is killed
// with SIGKILL once `atLeast` URLs are done, and the lease runs out; a runner that finds
// nothing to do reaps it.
async function interrupt(id, atLeast) {
  const runner = spawn(join(tools, 'wp'), ['kb', 'work', '--queues=import'], {
    env: { ...process.env, WP_CLI_PHP_ARGS: '-d kbjobs.lease_seconds=2' }, stdio: 'ignore',
  });
  try {
    const deadline = Date.now() + 60000;
    while (job(id).progress_done < atLeast) {
      assert.ok(Date.now() < deadline, `import ${id} reached ${atLeast} URLs`);
      await sleep(200);
    }
  } finally {
    runner.kill('SIGKILL');
  }
  await sleep(2500);
  wp('kb', 'work', '--until-empty', '--queues=impscr-reap', '--due-within=0');
  assert.equal(job(id).status, 'interrupted');
  return job(id).progress_done;
}

let imported = null; // the import made from the Import screen: { id, accepted }

test('an import from pasted URLs shows its bad lines by number before anything runs, then lands on its job page', async () => {
  dialogs = [];
  const page = await pageAs();
  const urls = [
    `${fx}/page/1?run=${run}`,
    '"><img src=x onerror=alert(\'line2\')>',
    `${fx}/page/2?run=${run}`,
    `${fx}/hostile/xss-title?run=${run}`,
    `${fx}/page/3?run=${run}&q="><script>alert('url')</script>`,
    'javascript:alert(document.domain)',
  ];
  await page.goto(`${base}/wp-admin/admin.php?page=kbjobs-import`);
  assert.match(await page.textContent('#kbjobs-max-upload'), /Maximum upload size: \d/);
  assert.match(await page.textContent('.kbjobs-import-form'), /imports\/uploads/);
  assert.match(await page.textContent('.kbjobs-import-form'), /wp kb import/);
  const before = importCount();
  await check(page, urls);

  assert.match(await page.textContent('.kbjobs-check-summary'), /^6 lines: 4 URLs to import, 0 duplicates dropped, 2 lines rejected\.$/);
  const rows = await page.$$eval('.kbjobs-rejections tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((td) => td.textContent)));
  assert.deepEqual(rows.map((r) => r[0]), ['2', '6']);
  assert.equal(rows[0][2], '"><img src=x onerror=alert(\'line2\')>', 'the line shows as text');
  assert.equal(rows[1][2], 'javascript:alert(document.domain)');
  assert.equal(await page.locator('.kbjobs-rejections img, .kbjobs-rejections script').count(), 0);
  assert.equal(importCount(), before, 'nothing runs before the confirmation');
  await screenshot(page, 'import-check');

  await click(page, '#kbjobs-start', /page=kbjobs-job&id=[0-9a-f]{16}$/);
  const id = new URL(page.url()).searchParams.get('id');
  assert.equal(importCount(), before + 1);
  assert.equal(job(id).type, 'import');
  assert.match(await page.textContent('.kbjobs-notice'), new RegExp(`^Import ${id} submitted: 4 URLs accepted, 0 duplicates dropped, 2 lines rejected\\.`));
  await screenshot(page, 'import-job-page');
  imported = { id, accepted: 4 };
  assert.deepEqual(dialogs, []);
});

test('a .csv file is read by its URL column, its header skipped, rows numbered as lines', async () => {
  const page = await pageAs();
  const file = join(dir, 'list.csv');
  writeFileSync(file, `url,title\n${fx}/page/9?run=${run},Nine\n"${fx}/page/10?run=${run}",Ten\nnot-a-url,Bad\n`);
  await page.goto(`${base}/wp-admin/admin.php?page=kbjobs-import`);
  await page.setInputFiles('#kbjobs-list-file', file);
  await click(page, '#kbjobs-check', /upload=[0-9a-f]{32}$/);
  assert.match(await page.textContent('h2'), /Checked: list\.csv/);
  assert.match(await page.textContent('.kbjobs-check-summary'), /^4 lines: 2 URLs to import, 0 duplicates dropped, 1 lines rejected\.$/);
  assert.equal(await page.textContent('.kbjobs-rejections tbody tr td'), '4');
  await click(page, '#kbjobs-cancel', /page=kbjobs-import$/);
  assert.match(await page.textContent('.kbjobs-notice'), /Nothing was started\./);
});

test('a file over the upload limit is refused with where a large list goes instead', async () => {
  const page = await pageAs();
  await page.goto(`${base}/wp-admin/admin.php?page=kbjobs-import`);
  const limit = (await page.textContent('#kbjobs-max-upload')).match(/Maximum upload size: ([\d.]+) (KB|MB|GB)\./);
  const bytes = Math.ceil(Number(limit[1]) * { KB: 1024, MB: 1048576, GB: 1073741824 }[limit[2]]) + 65536;
  const line = `${fx}/page/1?run=${run}&pad=${'x'.repeat(60)}\n`;
  const file = join(dir, 'big.txt');
  writeFileSync(file, line.repeat(Math.ceil(bytes / line.length)));
  const before = importCount();
  await page.setInputFiles('#kbjobs-list-file', file);
  await click(page, '#kbjobs-check', /page=kbjobs-import$/);
  const notice = await page.textContent('.kbjobs-notice');
  assert.match(notice, /imports\/uploads/);
  assert.match(notice, /wp kb import/);
  assert.equal(importCount(), before);
});

test('the Imports screen lists the import with its list, numbers, status and a link to its page', async () => {
  assert.ok(imported, 'the first test made an import');
  const page = await pageAs();
  await page.goto(`${base}/wp-admin/admin.php?page=kbjobs-imports`);
  const row = page.locator(`tr[data-kbjobs-import="${imported.id}"]`);
  assert.equal(await row.count(), 1);
  assert.equal(await row.locator('.column-source').textContent(), 'pasted URLs');
  assert.equal(await row.locator('.column-lines').textContent(), '6');
  assert.equal(await row.locator('.column-accepted').textContent(), '4');
  assert.equal(await row.locator('.column-rejected').textContent(), '2');
  assert.match(await row.locator('.column-status').textContent(), /queued|running|completed/);
  assert.match(await row.locator('.column-import a').getAttribute('href'), new RegExp(`page=kbjobs-job&id=${imported.id}$`));
  await screenshot(page, 'imports');
  // The import records' own admin list leads here.
  await page.goto(`${base}/wp-admin/edit.php?post_type=kb_import_job`);
  assert.match(page.url(), /admin\.php\?page=kbjobs-imports$/);
});

test('KB Articles shows source URL, fetched time, HTTP status and import, filters by import and re-fetches a post', async () => {
  assert.ok(imported, 'the first test made an import');
  wp('kb', 'work', '--until-empty', '--queues=import');
  assert.equal(job(imported.id).status, 'completed');
  // Another import, not the first's.
  writeFileSync(join(dir, 'other.txt'), `${fx}/page/4?run=${run}\n`);
  const other = wp('kb', 'import', join(dir, 'other.txt'), '--wait', '--porcelain').split('\n')[0];

  dialogs = [];
  const page = await pageAs();
  await page.goto(`${base}/wp-admin/edit.php?post_type=kb_article`);
  const heads = await page.$$eval('#posts-filter thead th', (ths) => ths.map((th) => th.textContent.trim()));
  for (const h of ['Source URL', 'Fetched', 'HTTP', 'Import']) assert.ok(heads.includes(h), `column ${h}`);

  await page.selectOption('#kbjobs-import-filter', imported.id);
  await click(page, '#post-query-submit', new RegExp(`kbjobs_import=${imported.id}`));
  const rows = await page.$$eval('#the-list tr', (trs) => trs.map((tr) => ({
    title: tr.querySelector('.row-title')?.textContent ?? '',
    source: tr.querySelector('.column-kbjobs_source')?.textContent ?? '',
    fetched: tr.querySelector('.column-kbjobs_fetched time')?.getAttribute('title') ?? '',
    http: tr.querySelector('.column-kbjobs_http')?.textContent ?? '',
    import: tr.querySelector('.column-kbjobs_import code')?.textContent ?? '',
    markup: tr.querySelectorAll('.row-title img, .row-title script, .row-title svg, .column-kbjobs_source script').length,
  })));
  assert.equal(rows.length, imported.accepted, 'only the posts of that import');
  for (const r of rows) {
    assert.ok(r.source.includes(`run=${run}`), r.source);
    assert.match(r.fetched, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'UTC on hover');
    assert.equal(r.http, '200');
    assert.equal(r.import, imported.id);
    assert.equal(r.markup, 0);
  }
  assert.ok(!rows.some((r) => r.source.includes('/page/4')), 'the other import\'s post is not listed');
  const hostile = rows.find((r) => r.source.includes('/hostile/xss-title'));
  assert.match(hostile.title, /^Hostile title /, 'a hostile title is text');
  assert.ok(rows.find((r) => r.source.includes('/page/3')).source.includes('script'), 'a hostile URL is text');
  assert.match(await page.textContent('.kbjobs-import-filter-notice'), new RegExp(`import ${imported.id}`));
  await page.waitForTimeout(200);
  assert.deepEqual(dialogs, [], 'no alert(), confirm() or prompt() ran');
  await screenshot(page, 'kb-articles-by-import');

  // The other import's filter lists its one post.
  await page.goto(`${base}/wp-admin/edit.php?post_type=kb_article&kbjobs_import=${other}`);
  assert.equal(await page.locator('#the-list tr').count(), 1);

  // Re-fetch a post: a one-URL import of its source.
  await page.goto(`${base}/wp-admin/edit.php?post_type=kb_article&kbjobs_import=${imported.id}`);
  const first = page.locator('#the-list tr').first();
  await first.hover();
  const before = importCount();
  await Promise.all([page.waitForURL(/edit\.php/), first.locator('.kbjobs-refetch').click()]);
  const notice = await page.textContent('.kbjobs-notice');
  const refetch = notice.match(/import ([0-9a-f]{16})/)[1];
  assert.match(notice, /^Fetching “.+” again: import [0-9a-f]{16}\./);
  assert.equal(importCount(), before + 1);
  assert.equal(job(refetch).params.chunk_size, 1);
  wp('kb', 'work', '--until-empty', '--queues=import');
  assert.equal(job(refetch).status, 'completed');
  await screenshot(page, 'kb-articles-refetch');
});

test('an interrupted import of the same key is asked about first: Cancel, Start fresh, Resume', async () => {
  const key = `impscr-${run}`;
  const list = join(dir, 'slow.txt');
  writeFileSync(list, Array.from({ length: 60 }, (_, i) => `${fx}/page/${200 + i}?sleep_ms=150&run=${run}`).join('\n') + '\n');
  const id = wp('kb', 'import', list, `--unique-key=${key}`, '--chunk-size=5', '--porcelain').split('\n')[0];
  await interrupt(id, 5);

  const page = await pageAs();
  const ask = async () => {
    await check(page, [`${fx}/page/999?run=${run}`], key);
    await click(page, '#kbjobs-start', /page=kbjobs-import&upload=[0-9a-f]{32}$/);
    const text = await page.textContent('.kbjobs-existing');
    assert.match(text, /Incomplete job found \(\d+ %, .+ ago\)/);
    assert.match(await page.locator('.kbjobs-existing a').getAttribute('href'), new RegExp(`page=kbjobs-job&id=${id}$`));
    return text;
  };

  const imports = importCount();
  await ask();
  await screenshot(page, 'import-incomplete-prompt');
  await click(page, '#kbjobs-cancel', /page=kbjobs-import$/);
  assert.match(await page.textContent('.kbjobs-notice'), /Nothing was started\./);
  assert.equal(job(id).status, 'interrupted', 'Cancel leaves it as it was');
  assert.equal(importCount(), imports, 'and starts nothing');

  await ask();
  await click(page, '#kbjobs-fresh', new RegExp(`page=kbjobs-job&id=${id}$`));
  assert.equal(job(id).status, 'queued');
  assert.equal(job(id).progress_done, 0, 'Start fresh starts from its first URL');
  assert.equal(importCount(), imports);

  const done = await interrupt(id, 5);
  await ask();
  await click(page, '#kbjobs-resume', new RegExp(`page=kbjobs-job&id=${id}$`));
  assert.equal(job(id).status, 'queued');
  assert.equal(job(id).progress_done, done, 'Resume keeps its place');
  assert.equal(importCount(), imports);
  wp('kb', 'job', 'cancel', id);
});

test('subscribers and editors are not allowed on the import screens; a kbjobs_view user sees no actions and a forged POST changes nothing', async () => {
  for (const who of ['sub', 'editor']) {
    const page = await pageAs(users[who]);
    for (const slug of ['kbjobs-import', 'kbjobs-imports']) {
      const response = await page.goto(`${base}/wp-admin/admin.php?page=${slug}`);
      assert.equal(response.status(), 403, `${who} on ${slug}`);
      assert.match(await page.textContent('body'), /Sorry, you are not allowed to access this page\./);
    }
    await page.context().close();
  }
  // An editor without kbjobs_view sees the articles without our columns.
  const editor = await pageAs(users.editor);
  await editor.goto(`${base}/wp-admin/edit.php?post_type=kb_article`);
  assert.equal(await editor.locator('th#kbjobs_source').count(), 0);
  await editor.context().close();

  const page = await pageAs(users.viewer);
  await page.goto(`${base}/wp-admin/admin.php?page=kbjobs-import`);
  assert.equal(await page.locator('#kbjobs-check, .kbjobs-import-form').count(), 0, 'no form');
  assert.match(await page.textContent('.kbjobs-wrap'), /kbjobs_operate/);
  await page.goto(`${base}/wp-admin/admin.php?page=kbjobs-imports`);
  assert.equal(await page.locator('.page-title-action').count(), 0, 'no "Import a list"');
  await page.goto(`${base}/wp-admin/edit.php?post_type=kb_article`);
  assert.ok(await page.locator('th#kbjobs_source').count() > 0, 'the columns are there');
  assert.equal(await page.locator('.kbjobs-refetch, #kbjobs-refetch-form').count(), 0, 'no Re-fetch');
  await screenshot(page, 'import-screens-viewer');

  // Forged posts: no nonce, and the admin's own nonce (bound to the admin's session).
  const admin = await pageAs();
  await admin.goto(`${base}/wp-admin/admin.php?page=kbjobs-import`);
  const adminNonce = await admin.getAttribute('.kbjobs-import-form input[name="_wpnonce"]', 'value');
  await admin.context().close();
  const imports = importCount();
  const post = wp('post', 'list', '--post_type=kb_article', '--format=ids', '--posts_per_page=1').split(/\s+/)[0];
  for (const form of [
    { action: 'kbjobs', op: 'import.check', urls: `${fx}/page/1?forged=${run}` },
    { action: 'kbjobs', op: 'import.check', urls: `${fx}/page/1?forged=${run}`, _wpnonce: adminNonce },
    { action: 'kbjobs', op: 'import.refetch', post, _wpnonce: adminNonce },
  ]) {
    const response = await page.request.post(`${base}/wp-admin/admin-post.php`, { form, maxRedirects: 0 });
    assert.equal(response.status(), 403, `${form.op} refused`);
  }
  assert.equal(importCount(), imports, 'nothing was imported');
  await page.context().close();
});
