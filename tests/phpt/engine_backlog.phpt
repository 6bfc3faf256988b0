--TEST--
Engine: submit with backlog and hold, list by backlog, backlogs(), releaseBacklog(), a held job cancelled, queue rows' backlog and reason
--EXTENSIONS--
kbjobs
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/connect.inc';
$e = kbjobs_test_engine('backlog');
$e->registerType('bl.t', function () { return ['ok' => true]; });
$e->setQueue('bq', 1);

// held jobs: status held, the backlog kept on the job, found by list()
$ids = $e->submitMany([
    ['type' => 'bl.t', 'queue' => 'bq', 'backlog' => 'night', 'hold' => true],
    ['type' => 'bl.t', 'queue' => 'bq', 'backlog' => 'night', 'hold' => true],
]);
$one = $e->submit('bl.t', [], ['queue' => 'bq', 'backlog' => 'night', 'hold' => true, 'unique_key' => 'line-1']);
var_dump($one === $e->submit('bl.t', [], ['queue' => 'bq', 'backlog' => 'night', 'hold' => true, 'unique_key' => 'line-1']));
$job = $e->get($ids[0]);
echo $job->status, ' ', $job->backlog, ' ', $job->toArray()['backlog'], "\n";
var_dump($e->get($e->submit('bl.t', [], ['queue' => 'other']))->backlog);
echo count($e->list(['backlog' => 'night'])['jobs']), " in night\n";
echo count($e->list(['status' => 'held'])['jobs']), " held\n";

// a runner takes none of them
$r = $e->run(['queues' => ['bq'], 'until_empty' => true, 'max_seconds' => 5]);
echo "claimed while held: {$r['claimed']}\n";
$q = $e->queue('bq');
printf("backlog=%d queued=%d reason=%s code=%s name=%s until=%s\n", $q['backlog'], $q['queued'], $q['reason'],
       $q['reason_code'], $q['backlog_name'], var_export($q['reason_until'], true));

// a held job can be cancelled
$e->cancel($one);
echo $e->get($one)->status, "\n";
print_r($e->backlogs());

// bad options
foreach ([['hold' => true], ['backlog' => 'Bad Name'], ['backlog' => 7], ['hold' => 'yes']] as $opts) {
    try {
        $e->submit('bl.t', [], $opts);
    } catch (Throwable $t) {
        echo get_class($t), ': ', $t->getMessage(), "\n";
    }
}
try {
    $e->releaseBacklog('');
} catch (Throwable $t) {
    echo get_class($t), ': ', $t->getMessage(), "\n";
}

// released: queued (the limit of 1 now the reason once one runs), then run
echo $e->releaseBacklog('night'), " released\n";
echo $e->releaseBacklog('night'), " released again\n";
$q = $e->queue('bq');
printf("backlog=%d queued=%d reason=%s\n", $q['backlog'], $q['queued'], var_export($q['reason'], true));
$r = $e->run(['queues' => ['bq'], 'until_empty' => true, 'max_seconds' => 10]);
echo "completed: {$r['completed']}\n";
$b = $e->backlogs()['night'];
echo "held={$b['held']} completed={$b['completed']} cancelled={$b['cancelled']}\n";
echo $e->queue('bq')['reason'], "\n";
$e->pauseQueue('bq');
echo $e->queue('bq')['reason'], "\n";
?>
--EXPECTF--
bool(true)
held night night
NULL
3 in night
3 held
claimed while held: 0
backlog=3 queued=0 reason=held: 3 in backlog night code=held name=night until=NULL
cancelled
Array
(
    [night] => Array
        (
            [held] => 2
            [queued] => 0
            [running] => 0
            [completed] => 0
            [failed] => 0
            [cancelled] => 1
            [interrupted] => 0
            [estimated] => Array
                (
                )

        )

)
ValueError: a held job needs a backlog to be released by
ValueError: backlog "Bad Name" must be 1 to 64 characters of a-z, 0-9, '_', '.' and '-'
TypeError: option "backlog" must be a string
TypeError: option "hold" must be a bool
ValueError: backlog "" must be 1 to 64 characters of a-z, 0-9, '_', '.' and '-'
2 released
0 released again
backlog=0 queued=2 reason=NULL
completed: 2
held=0 completed=2 cancelled=1
nothing due
paused
