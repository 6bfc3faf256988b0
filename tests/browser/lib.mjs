// Shared helpers of the browser tests: Debian's Chromium driven by playwright-core,
// a login through WordPress's real form, screenshots under the test output folder, PHP
// run against the test site.
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export function env(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the browser tests through \`make test-browser\``);
  return value;
}

export const outputDir = join(env('KBJOBS_TEST_OUTPUT'), 'browser');
mkdirSync(outputDir, { recursive: true });

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// Opens a new context logged in as the admin of the site at baseUrl (or as user, with
// password).
export async function loggedInPage(browser, baseUrl, user = env('KBJOBS_ADMIN_USER'),
  password = env('KBJOBS_ADMIN_PASSWORD')) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.on('pageerror', (err) => { throw err; });
  await page.goto(`${baseUrl}/wp-login.php`);
  await page.fill('#user_login', user);
  await page.fill('#user_pass', password);
  await Promise.all([page.waitForURL(/wp-admin/), page.click('#wp-submit')]);
  return page;
}

export async function screenshot(page, name) {
  await page.screenshot({ path: join(outputDir, `${name}.png`), fullPage: true });
}

// PHP against the test site (eval.php: the WP-CLI here has no `eval`), with $args decoded
// from args; returns what the code returns.
export function php(code, args = null) {
  const root = env('KBJOBS_ROOT');
  const out = execFileSync('php', [
    '-d', `extension=${join(root, 'modules/kbjobs.so')}`,
    '-d', `auto_prepend_file=${join(root, 'tools/php/prepend.php')}`,
    join(root, 'tests/browser/eval.php'), code, JSON.stringify(args),
  ], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop());
}
