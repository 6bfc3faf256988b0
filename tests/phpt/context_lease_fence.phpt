--TEST--
Context::leaseRemaining(), assertLease(), fenceStatement() and recordPostsStatement(); LeaseLostException and ConnectionLostException thrown by a handler
--EXTENSIONS--
kbjobs
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--INI--
kbjobs.lease_seconds=30
--FILE--
<?php
require __DIR__ . '/connect.inc';
$engine = kbjobs_test_engine('lease_fence');
$prefix = kbjobs_test_settings('lease_fence')['prefix'];

var_dump(is_subclass_of(KBJobs\LeaseLostException::class, KBJobs\ConflictException::class),
         is_subclass_of(KBJobs\ConnectionLostException::class, KBJobs\DatabaseException::class));

$hash = str_repeat('a', 64);
$content = str_repeat('b', 64);
$engine->registerType('t.fence', function (KBJobs\Context $ctx) use ($prefix, $hash, $content) {
    $left = $ctx->leaseRemaining();
    var_dump($left > 25 && $left <= 30);
    $ctx->assertLease();
    $sql = $ctx->fenceStatement();
    var_dump(preg_match('/^SELECT id FROM `' . preg_quote($prefix) . 'kbjobs_job_state` WHERE id = \d+ AND lease_token = \d+'
                        . " AND status = 'running' AND lease_expires > NOW\(6\) FOR UPDATE$/", $sql));
    echo $ctx->recordPostsStatement([
        ['url_hash' => $hash, 'post_id' => 7, 'content_hash' => $content, 'created' => true],
        ['url_hash' => str_repeat('c', 64), 'post_id' => 8, 'content_hash' => $content, 'created' => false],
    ]), "\n";
    foreach ([
        [],
        [['url_hash' => 'x', 'post_id' => 7, 'content_hash' => $content]],
        [['url_hash' => $hash, 'post_id' => 0, 'content_hash' => $content]],
        [['url_hash' => "a' OR 1=1 -- " . str_repeat('a', 51), 'post_id' => 1, 'content_hash' => $content]],
    ] as $bad) {
        try {
            $ctx->recordPostsStatement($bad);
        } catch (ValueError $e) {
            echo get_class($e), ': ', $e->getMessage(), "\n";
        }
    }
    foreach ([[['post_id' => 1]], [['url_hash' => $hash, 'content_hash' => $content, 'post_id' => '1']], ['x']] as $bad) {
        try {
            $ctx->recordPostsStatement($bad);
        } catch (TypeError $e) {
            echo get_class($e), ': ', $e->getMessage(), "\n";
        }
    }
    return 'ok';
});
$engine->registerType('t.lost', function (KBJobs\Context $ctx) {
    try {
        $ctx->assertLease('the fence found another holder');
    } catch (KBJobs\LeaseLostException $e) {
        echo get_class($e), ': ', $e->getMessage(), "\n";
    }
    var_dump($ctx->leaseRemaining(), $ctx->shouldStop());
    try {
        $ctx->progress(1, 2);
    } catch (KBJobs\LeaseLostException $e) {
        echo "progress refused\n";
    }
    throw new KBJobs\LeaseLostException('gone');
});
$engine->registerType('t.disconnected', function (KBJobs\Context $ctx) {
    throw new KBJobs\ConnectionLostException('WordPress lost its connection');
});

$a = $engine->submit('t.fence');
$b = $engine->submit('t.lost');
$c = $engine->submit('t.disconnected', [], ['max_attempts' => 1]);
$r = $engine->run(['until_empty' => true]);
var_dump($r['completed'], $r['lost'], $r['failed']);
var_dump($engine->get($a)->status, $engine->get($a)->result);
$lost = $engine->get($b);
var_dump($lost->status, $lost->runner !== null);   // left to the reaper, untouched
echo $engine->get($c)->status, ': ', $engine->get($c)->error, "\n";
?>
--EXPECTF--
bool(true)
bool(true)
bool(true)
int(1)
UPDATE `%skbjobs_artifacts` SET post_id = CASE url_hash WHEN 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' THEN 7 WHEN 'cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc' THEN 8 END, post_hash = CASE url_hash WHEN 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' THEN 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb' WHEN 'cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc' THEN 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb' END, created_job = CASE WHEN url_hash IN ('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa') THEN '%x' ELSE created_job END, updated_at = UTC_TIMESTAMP(6) WHERE url_hash IN ('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa','cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc')
ValueError: 1 to 1000 posts are recorded at once
ValueError: post 0: url_hash and content_hash must be 64 lowercase hex digits
ValueError: post 0: the post id must be positive
ValueError: post 0: url_hash and content_hash must be 64 lowercase hex digits
TypeError: KBJobs\Context::recordPostsStatement(): Argument #1 ($posts) entry 0 must have a string "url_hash"
TypeError: KBJobs\Context::recordPostsStatement(): Argument #1 ($posts) entry 0 must have an int "post_id"
TypeError: KBJobs\Context::recordPostsStatement(): Argument #1 ($posts) entry 0 must be an array
KBJobs\LeaseLostException: the lease on job %x was lost: the fence found another holder
float(0)
bool(true)
progress refused
int(1)
int(1)
int(1)
string(9) "completed"
string(2) "ok"
string(7) "running"
bool(true)
failed: KBJobs\ConnectionLostException: WordPress lost its connection
