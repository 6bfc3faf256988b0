<?php
/**
 * bench_reconcile.php - reconciliation of the artifact index against artifacts/ at a
 * million records (run by tests/bench/reconcile/run.sh; see tests/bench/README.md,
 * "Reconciliation"). One mode per process, so each peak RSS is its own:
 *
 *   seed N      N index rows and their files, plus damage: 100 rows without a file
 *               (ghosts), 100 files without a row (orphans), 100 files whose text no
 *               longer matches the row's content hash (drift)
 *   engine      the native `reconcile` job, reading and parsing every artifact
 *   shallow     the same with shallow: true (names and sizes only)
 *   php-names   the plain-PHP baseline for what `shallow` checks: scandir() of the tree
 *               and $wpdb->get_col() of the index's paths, compared in arrays
 *   php-full    the plain-PHP baseline for the default run: the same, and each file
 *               read, json_decode()d and its hashes compared with the row's
 *
 * WordPress is loaded with SHORTINIT in every mode (the baseline's $wpdb; the engine's
 * tables under the same prefix). Each mode prints one JSON line: seconds, peak RSS
 * (VmHWM) and the counts found, which the run script compares between the engine and
 * the baseline (equal work, or the ratio means nothing).
 */
define('SHORTINIT', true);
require getenv('KBJOBS_WP_DIR') . '/wp-load.php';

$mode = $argv[1] ?? '';
$data = getenv('KBJOBS_BENCH_RECONCILE_DATA');
if ($data === false || $data === '') {
    fwrite(STDERR, "KBJOBS_BENCH_RECONCILE_DATA is not set\n");
    exit(2);
}
$damage = 100;

function hwm_kib(): int
{
    return preg_match('/VmHWM:\s+(\d+) kB/', (string) file_get_contents('/proc/self/status'), $m) ? (int) $m[1] : 0;
}

function engine(string $data): KBJobs\Engine
{
    global $wpdb;
    $e = new KBJobs\Engine('localhost:' . getenv('KBJOBS_DB_SOCKET'), getenv('KBJOBS_DB_USER'),
        getenv('KBJOBS_DB_PASSWORD'), getenv('KBJOBS_DB_NAME'), $wpdb->prefix, $data);
    $e->migrate();
    return $e;
}

/** An artifact as the import writes it (the fields reconciliation reads). */
function artifact(int $i, string $text): array
{
    $url = "https://docs.example.test/kb/article-$i";
    $h = hash('sha256', $url);
    $title = "Article $i";
    return [$url, $h, hash('sha256', "$title\n$text"), json_encode([
        'format' => 'kbjobs-artifact/1', 'url' => $url, 'url_hash' => $h, 'title' => $title,
        'text' => $text, 'content_hash' => hash('sha256', "$title\n$text"),
    ], JSON_UNESCAPED_SLASHES)];
}

function out(array $r): void
{
    echo json_encode($r, JSON_UNESCAPED_SLASHES), "\n";
}

switch ($mode) {
case 'seed':
    $n = (int) ($argv[2] ?? 1000000);
    engine($data); // the tables
    $wpdb->query("TRUNCATE TABLE {$wpdb->prefix}kbjobs_artifacts");
    $text = str_repeat('A paragraph of a knowledge-base article, as imported. ', 6);
    $old = time() - 7200; // past the grace period (600 s): every file is checked
    for ($hh = 0; $hh < 256; $hh++) {
        @mkdir(sprintf('%s/artifacts/%02x', $data, $hh), 0775, true);
    }
    $t = microtime(true);
    $values = [];
    for ($i = 0; $i < $n + $damage; $i++) {
        [$url, $h, $ch, $json] = artifact($i, $text);
        $rel = 'artifacts/' . substr($h, 0, 2) . "/$h.json";
        $ghost = $i < $damage;
        $orphan = $i >= $n;
        $drift = $i >= $damage && $i < 2 * $damage;
        if (!$ghost) {
            file_put_contents("$data/$rel", $drift ? str_replace('A paragraph', 'An edited paragraph', $json) : $json);
            touch("$data/$rel", $old); // every file past the grace period, or the engine would skip reading it
        }
        if (!$orphan) {
            $values[] = "('$h', '$url', '$rel', '$ch', NOW(6), NOW(6))";
        }
        if (count($values) === 2000 || ($i === $n + $damage - 1 && $values)) {
            $wpdb->query("INSERT INTO {$wpdb->prefix}kbjobs_artifacts (url_hash, url, path, content_hash, fetched_at, updated_at) VALUES "
                . implode(',', $values));
            $values = [];
        }
    }
    out(['mode' => 'seed', 'records' => $n, 'files' => $n, 'ghosts' => $damage, 'orphans' => $damage,
        'drift' => $damage, 'seconds' => round(microtime(true) - $t, 1)]);
    break;

case 'engine':
case 'shallow':
    $e = engine($data);
    $t = microtime(true);
    $id = $e->submit('reconcile', ['shallow' => $mode === 'shallow'], ['queue' => 'bench-reconcile']);
    $e->run(['queues' => 'bench-reconcile', 'until_empty' => true, 'max_seconds' => 3600]);
    $secs = microtime(true) - $t;
    $job = $e->get($id)->toArray();
    $result = is_string($job['result'] ?? null) ? json_decode($job['result'], true) : ($job['result'] ?? []);
    out(['mode' => $mode, 'status' => $job['status'], 'seconds' => round($secs, 2), 'rss_kib' => hwm_kib(),
        'counts' => $result['counts'] ?? null, 'scanned' => $result['scanned'] ?? null]);
    break;

case 'php-names':
case 'php-full':
    // As a WordPress developer would write it: the index's paths (and hashes) in one
    // query, the tree by scandir, both compared as arrays.
    $t = microtime(true);
    $full = $mode === 'php-full';
    $records = [];
    if ($full) {
        foreach ($wpdb->get_results("SELECT path, url_hash, content_hash FROM {$wpdb->prefix}kbjobs_artifacts", ARRAY_N) as $r) {
            $records[$r[0]] = [$r[1], $r[2]];
        }
    } else {
        $records = array_flip($wpdb->get_col("SELECT path FROM {$wpdb->prefix}kbjobs_artifacts"));
    }
    $files = [];
    foreach (scandir("$data/artifacts") as $hh) {
        if ($hh[0] === '.') {
            continue;
        }
        foreach (scandir("$data/artifacts/$hh") as $name) {
            if ($name[0] !== '.') {
                $files["artifacts/$hh/$name"] = true;
            }
        }
    }
    $ghosts = count(array_diff_key($records, $files));
    $orphans = 0;
    $drift = 0;
    $grace = time() - 600;
    foreach ($files as $rel => $_) {
        if (!isset($records[$rel])) {
            $orphans += filemtime("$data/$rel") < $grace ? 1 : 0;
            continue;
        }
        if ($full) {
            $doc = json_decode((string) file_get_contents("$data/$rel"), true);
            if (!is_array($doc) || ($doc['url_hash'] ?? '') !== $records[$rel][0]
                || ($doc['content_hash'] ?? '') !== $records[$rel][1]
                || hash('sha256', ($doc['title'] ?? '') . "\n" . ($doc['text'] ?? '')) !== $doc['content_hash']) {
                $drift += filemtime("$data/$rel") < $grace ? 1 : 0;
            }
        }
    }
    out(['mode' => $mode, 'seconds' => round(microtime(true) - $t, 2), 'rss_kib' => hwm_kib(),
        'php_peak_kib' => intdiv(memory_get_peak_usage(true), 1024),
        'counts' => ['ghost' => $ghosts, 'orphan' => $orphans, 'drift' => $drift], 'scanned' => count($files) + count($records)]);
    break;

default:
    fwrite(STDERR, "usage: bench_reconcile.php seed N | engine | shallow | php-names | php-full\n");
    exit(2);
}
