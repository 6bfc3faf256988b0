// Accessibility of every dashboard screen: axe-core (pinned in package.json) run in
// Chromium on our content only (`#wpbody-content .wrap`, not WordPress's own chrome),
// with some data on each screen (jobs queued, running, failed, an import, a WP-Cron
// event with a run), as an administrator. No serious or critical violation is allowed;
// the lesser ones are printed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { env, launch, loggedInPage, php } from './lib.mjs';

const require = createRequire(import.meta.url);
const axePath = require.resolve('axe-core/axe.min.js');
const base = env('KBJOBS_WP_URL');
const queue = `a11y-${process.pid}`;

let browser;
let page;
let ids;

before(async () => {
  browser = await launch();
  ids = php(`
    $e = \\KBJobs_Engine::get();
    $queued = $e->submit("diag.echo", array("a11y" => true), array("queue" => $args, "delay" => 3600));
    $failed = $e->submit("diag.fail", array("message" => "a11y failure", "retryable" => false), array("queue" => $args, "max_attempts" => 1));
    $e->run(array("queues" => array($args), "until_empty" => true, "max_seconds" => 60));
    $e->log($queued, "info", "a line for the log");
    // A WP-Cron event that ran once (its page lists the run), through core's API.
    wp_schedule_event(time() + 3600, "hourly", "kbjobs_a11y_cron", array($args));
    $event = $e->cronEvents(array("hook" => "kbjobs_a11y_cron"))[0]["id"];
    \KBJobs_Runner::run(array("cron_event" => $event, "cron_only" => true) + \KBJobs_Cron_Runner::run_options("cli"));
    return array("queued" => $queued, "failed" => $failed, "event" => $event);`, queue);
  page = await loggedInPage(browser, base);
});

after(async () => {
  await browser?.close();
  if (ids) {
    php(`global $wpdb;
      \\KBJobs_Engine::get()->failures()->delete(array($args["failed"]));
      $wpdb->query(kbjobs_test_jobs_sql( $wpdb->prepare("DELETE FROM {$wpdb->prefix}kbjobs_jobs WHERE queue = %s", $args["queue"]) ));
      wp_unschedule_hook("kbjobs_a11y_cron");
      $wpdb->query("DELETE FROM {$wpdb->prefix}kbjobs_cron_runs WHERE hook = 'kbjobs_a11y_cron'");
      return true;`, { ...ids, queue });
  }
});

const screens = () => [
  ['overview', 'admin.php?page=kbjobs'],
  ['active', 'admin.php?page=kbjobs-active'],
  ['queue', 'admin.php?page=kbjobs-queue'],
  ['interrupted', 'admin.php?page=kbjobs-interrupted'],
  ['jobs', 'admin.php?page=kbjobs-jobs'],
  ['job', `admin.php?page=kbjobs-job&id=${ids.queued}`],
  ['failed job', `admin.php?page=kbjobs-job&id=${ids.failed}`],
  ['failures', 'admin.php?page=kbjobs-failures'],
  ['queues', 'admin.php?page=kbjobs-queues'],
  ['runners', 'admin.php?page=kbjobs-runners'],
  ['resources', 'admin.php?page=kbjobs-resources'],
  ['builder', 'admin.php?page=kbjobs-builder'],
  ['cron', 'admin.php?page=kbjobs-cron'],
  ['cron event', `admin.php?page=kbjobs-cron&event=${ids.event}`],
  ['import', 'admin.php?page=kbjobs-import'],
  ['imports', 'admin.php?page=kbjobs-imports'],
  ['settings', 'admin.php?page=kbjobs-settings'],
  ['health', 'admin.php?page=kbjobs-health'],
  ['articles', 'edit.php?post_type=kb_article'],
];

test('every dashboard screen has no serious or critical accessibility violation', async () => {
  const problems = [];
  for (const [name, path] of screens()) {
    const response = await page.goto(`${base}/wp-admin/${path}`, { waitUntil: 'load' });
    assert.equal(response.status(), 200, `${name} loads`);
    await page.addScriptTag({ path: axePath });
    const results = await page.evaluate(async () => {
      // eslint-disable-next-line no-undef
      const r = await axe.run('#wpbody-content .wrap', { resultTypes: ['violations'] });
      return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
    });
    for (const v of results) {
      const line = `${name}: ${v.impact} ${v.id} (${v.help}) at ${v.nodes.join(', ')}`;
      if (v.impact === 'serious' || v.impact === 'critical') problems.push(line);
      else console.log(`note: ${line}`);
    }
  }
  assert.deepEqual(problems, [], 'no serious or critical violations');
});
