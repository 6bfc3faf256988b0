--TEST--
Engine, JobTracker and FailureLog cannot be cloned; no kbjobs class can be serialized or built without its constructor
--EXTENSIONS--
kbjobs
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/connect.inc';
$engine = kbjobs_test_engine('not_cloneable');
$job = $engine->get($engine->submit('t.a'));

function attempt(string $what, callable $call): void
{
    try {
        $call();
        echo "$what: allowed\n";
    } catch (Throwable $e) {
        echo "$what: ", get_class($e), ': ', $e->getMessage(), "\n";
    }
}

foreach (['engine' => $engine, 'tracker' => $engine->tracker(), 'failures' => $engine->failures()] as $name => $obj) {
    attempt("clone $name", fn() => clone $obj);
}
$copy = clone $job;
var_dump($copy->id === $job->id, $copy !== $job);

foreach (['engine' => $engine, 'tracker' => $engine->tracker(), 'failures' => $engine->failures(), 'job' => $job] as $name => $obj) {
    attempt("serialize $name", fn() => serialize($obj));
}
foreach (['Engine', 'Job', 'Context', 'JobTracker', 'FailureLog'] as $class) {
    $fq = "KBJobs\\$class";
    attempt("unserialize $class", fn() => unserialize('O:' . strlen($fq) . ':"' . $fq . '":0:{}'));
}
foreach (['Job', 'Context', 'JobTracker', 'FailureLog'] as $class) {
    $fq = "KBJobs\\$class";
    attempt("new $class", fn() => new $fq());
}
attempt('Engine without its constructor', fn() => (new ReflectionClass(KBJobs\Engine::class))->newInstanceWithoutConstructor());
attempt('constructing twice', fn() => $engine->__construct('localhost', 'u', 'p', 'd'));
attempt('dynamic property', function () use ($engine) { $engine->extra = 1; });
foreach (['Engine', 'Job', 'Context', 'JobTracker', 'FailureLog', 'NotFoundException'] as $class) {
    echo $class, ' final: ', var_export((new ReflectionClass("KBJobs\\$class"))->isFinal(), true), "\n";
}
// The engine still works after all that.
var_dump($engine->get($job->id)->status);
?>
--EXPECT--
clone engine: Error: Trying to clone an uncloneable object of class KBJobs\Engine
clone tracker: Error: Trying to clone an uncloneable object of class KBJobs\JobTracker
clone failures: Error: Trying to clone an uncloneable object of class KBJobs\FailureLog
bool(true)
bool(true)
serialize engine: Exception: Serialization of 'KBJobs\Engine' is not allowed
serialize tracker: Exception: Serialization of 'KBJobs\JobTracker' is not allowed
serialize failures: Exception: Serialization of 'KBJobs\FailureLog' is not allowed
serialize job: Exception: Serialization of 'KBJobs\Job' is not allowed
unserialize Engine: Exception: Unserialization of 'KBJobs\Engine' is not allowed
unserialize Job: Exception: Unserialization of 'KBJobs\Job' is not allowed
unserialize Context: Exception: Unserialization of 'KBJobs\Context' is not allowed
unserialize JobTracker: Exception: Unserialization of 'KBJobs\JobTracker' is not allowed
unserialize FailureLog: Exception: Unserialization of 'KBJobs\FailureLog' is not allowed
new Job: Error: Call to private KBJobs\Job::__construct() from global scope
new Context: Error: Call to private KBJobs\Context::__construct() from global scope
new JobTracker: Error: Call to private KBJobs\JobTracker::__construct() from global scope
new FailureLog: Error: Call to private KBJobs\FailureLog::__construct() from global scope
Engine without its constructor: ReflectionException: Class KBJobs\Engine is an internal class marked as final that cannot be instantiated without invoking its constructor
constructing twice: Error: KBJobs\Engine is already constructed
dynamic property: Error: Cannot create dynamic property KBJobs\Engine::$extra
Engine final: true
Job final: true
Context final: true
JobTracker final: true
FailureLog final: true
NotFoundException final: true
string(6) "queued"
