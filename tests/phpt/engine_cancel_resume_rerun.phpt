--TEST--
Engine::cancel(), resume() and rerun() move jobs between states and refuse illegal transitions with ConflictException
--EXTENSIONS--
kbjobs
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/connect.inc';
$engine = kbjobs_test_engine('cancel_resume');

function attempt(string $what, callable $call): void
{
    try {
        $r = $call();
        echo "$what: ok ", var_export($r, true), "\n";
    } catch (Throwable $e) {
        echo "$what: ", get_class($e), ' (', $e->getCode(), '): ', preg_replace('/[0-9a-f]{16}/', 'ID', $e->getMessage()), "\n";
    }
}

$id = $engine->submit('doc.render', ['doc' => 1], ['priority' => 4, 'queue' => 'docs']);

// A queued job is cancelled at once: cancel() returns false (it was not running).
attempt('cancel queued', fn() => $engine->cancel($id));
$j = $engine->get($id);
var_dump($j->status, $j->finishedAt !== null);
attempt('cancel again', fn() => $engine->cancel($id));

// resume() puts it back in its queue with its attempts reset.
attempt('resume cancelled', fn() => $engine->resume($id));
$j = $engine->get($id);
var_dump($j->status, $j->attempts, $j->finishedAt);
attempt('resume queued', fn() => $engine->resume($id));
attempt('rerun queued', fn() => $engine->rerun($id));

// Run it to completion; a completed job cannot be cancelled or resumed, but can be rerun.
$engine->registerType('doc.render', fn(KBJobs\Context $ctx) => ['rendered' => $ctx->params()['doc']]);
$report = $engine->run(['queues' => 'docs', 'until_empty' => true]);
var_dump($report['completed'], $engine->get($id)->status);
attempt('cancel completed', fn() => $engine->cancel($id));
attempt('resume completed', fn() => $engine->resume($id));

$new = $engine->rerun($id);
var_dump($new !== $id);
$n = $engine->get($new);
var_dump($n->status, $n->rerunOf === $id, $n->type, $n->queue, $n->priority, $n->params, $n->result);
var_dump($engine->get($id)->status, $engine->get($id)->rerunOf);

// Unknown and malformed ids.
attempt('cancel unknown', fn() => $engine->cancel('0000000000000000'));
attempt('resume unknown', fn() => $engine->resume('0000000000000000'));
attempt('rerun unknown', fn() => $engine->rerun('0000000000000000'));
attempt('get unknown', fn() => $engine->get('0000000000000000'));
attempt('cancel malformed', fn() => $engine->cancel('not-an-id'));
?>
--EXPECT--
cancel queued: ok false
string(9) "cancelled"
bool(true)
cancel again: KBJobs\ConflictException (-7): job ID is cancelled: only held, queued, running or interrupted jobs can be cancelled
resume cancelled: ok NULL
string(6) "queued"
int(0)
NULL
resume queued: KBJobs\ConflictException (-7): job ID is queued: only interrupted, cancelled or failed jobs can be resumed
rerun queued: KBJobs\ConflictException (-7): job ID is queued: only finished or interrupted jobs can be rerun
int(1)
string(9) "completed"
cancel completed: KBJobs\ConflictException (-7): job ID is completed: only held, queued, running or interrupted jobs can be cancelled
resume completed: KBJobs\ConflictException (-7): job ID is completed: only interrupted, cancelled or failed jobs can be resumed
bool(true)
string(6) "queued"
bool(true)
string(10) "doc.render"
string(4) "docs"
int(4)
array(1) {
  ["doc"]=>
  int(1)
}
NULL
string(9) "completed"
NULL
cancel unknown: KBJobs\NotFoundException (-6): no job ID
resume unknown: KBJobs\NotFoundException (-6): no job ID
rerun unknown: KBJobs\NotFoundException (-6): no job ID
get unknown: KBJobs\NotFoundException (-6): no job ID
cancel malformed: ValueError (-1): "not-an-id" is not a job id (16 hex characters)
