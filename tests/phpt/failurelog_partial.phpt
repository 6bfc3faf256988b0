--TEST--
FailureLog entries of kind "partial" for imports that complete with failed items: listed with their counts, counted and capped apart from job entries, resubmitted as a new import of exactly the failed URLs (credentials intact, rerun_of set), or deleted
--EXTENSIONS--
kbjobs
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/connect.inc';
$base = getenv('KBJOBS_FIXTURE_URL') ?: die("KBJOBS_FIXTURE_URL is not set\n");
$s = kbjobs_test_settings('partial');
$engine = kbjobs_test_engine('partial', ['failure_cap' => 2]);
$engine->configureImport(['allow' => '127.0.0.1', 'retries' => 0, 'timeout_ms' => 5000]);
$host = substr($base, 7);
$log = $engine->failures();
$import = function (array $urls, array $params = []) use ($engine) {
    $id = $engine->import($urls, ['posts' => false] + $params)['id'];
    $engine->run(['queues' => ['import'], 'until_empty' => true]);
    return $id;
};
$entry = fn ($e) => implode(' ', [$e['kind'], $e['failed_items'], $e['total_items'], $e['message'], $e['attempts']]);

// Five URLs, two failing (one behind credentials): one partial entry; the import completed.
$a = $import(["$base/page/1", "$base/status/404", "http://user:s3cret@$host/status/410", "$base/page/2",
              "$base/page/3"], ['chunk_size' => 2, 'mode' => 'drafts']);
echo $engine->get($a)->status, "\n";
$list = $log->list();
echo count($list), ' ', $list[0]['job_id'] === $a ? 'a' : '?', ' ', $entry($list[0]), "\n";
var_dump($log->count(), $log->count('partial'), count($log->list(10, 0, 'job')), count($log->list(10, 0, 'partial')));

// Resubmitted: a new import of the two failed URLs, in list order, with their credentials.
$r = $engine->resubmitFailedItems($a);
var_dump(array_keys($r), $r['urls'], $log->count('partial'));
$new = $engine->get($r['id']);
echo $new->type, ' ', $new->status, ' ', $new->rerunOf === $a ? 'rerun of a' : 'not a rerun', ' ',
     $new->params['mode'], ' ', $new->params['chunk_size'], ' ', $new->params['total'], "\n";
echo str_replace($host, 'HOST', file_get_contents($s['data_dir'] . "/lists/{$r['id']}.urls"));
$engine->run(['queues' => ['import'], 'until_empty' => true]);
echo $entry($log->list(1)[0]), "\n";
// Through the FailureLog: the same, and the entry goes.
var_dump($log->resubmit($r['id']), $log->count('partial'));

// Each kind is capped on its own (failure_cap 2): three more partial entries, two failed jobs.
foreach ([7, 8, 9] as $i) {
    $import(["$base/page/$i", "$base/status/404?i=$i"]);
}
$engine->registerType('t.bad', fn () => throw new KBJobs\NonRetryableException('bad'));
$engine->submit('t.bad');
$engine->submit('t.bad');
$engine->run(['until_empty' => true]);
var_dump($log->count('partial'), $log->evicted('partial'), $log->count(), $log->evicted());
echo implode(',', array_column($log->list(), 'kind')), "\n";

// Delete acknowledges a partial entry; the import stays completed.
$last = $log->list(1, 0, 'partial')[0]['job_id'];
var_dump($log->delete($last), $log->count('partial'), $engine->get($last)->status);
// ... and it can still be resubmitted directly.
var_dump($engine->resubmitFailedItems($last)['urls']);

foreach ([
    'no failed items' => fn () => $engine->resubmitFailedItems($import(["$base/page/20"])),
    'not finished' => fn () => $engine->resubmitFailedItems($engine->import(["$base/page/21"])['id']),
    'not an import' => fn () => $engine->resubmitFailedItems($engine->submit('diag.echo')),
    'unknown id' => fn () => $engine->resubmitFailedItems('0123456789abcdef'),
    'unknown kind' => fn () => $log->count('jobs'),
    'unknown kind in list' => fn () => $log->list(10, 0, 'partials'),
] as $what => $call) {
    try {
        $call();
        echo "$what: no exception\n";
    } catch (Throwable $e) {
        echo "$what: ", get_class($e), ': ', preg_replace('/[0-9a-f]{16}/', 'ID', $e->getMessage()), "\n";
    }
}
?>
--EXPECT--
completed
1 a partial 2 5 2 of 5 URLs failed 1
int(0)
int(1)
int(0)
int(1)
array(2) {
  [0]=>
  string(2) "id"
  [1]=>
  string(4) "urls"
}
int(2)
int(0)
import queued rerun of a drafts 2 2
http://HOST/status/404
http://user:s3cret@HOST/status/410
partial 2 2 2 of 2 URLs failed 1
int(1)
int(0)
int(2)
int(2)
int(2)
int(0)
job,job,partial,partial
int(1)
int(1)
string(9) "completed"
int(1)
no failed items: KBJobs\ConflictException: import ID has no failed items
not finished: KBJobs\ConflictException: import ID is queued: only a finished import's failed items can be resubmitted
not an import: ValueError: job ID is not an import
unknown id: KBJobs\NotFoundException: no job ID
unknown kind: ValueError: unknown kind "jobs": job or partial
unknown kind in list: ValueError: unknown kind "partials": job or partial
