<?php

/**
 * The PHP-facing API of the kbjobs extension. kbjobs_arginfo.h is generated from this
 * file by PHP's build/gen_stub.php (`make arginfo`); never edit the header by hand.
 *
 * @generate-class-entries
 */

namespace KBJobs {
    /**
     * The extension's version.
     * @var string
     * @cvalue KBJ_VERSION
     */
    const VERSION = UNKNOWN;

    /**
     * The engine's version and the run-time versions of the libraries it links,
     * keyed by name: ["kbjobs" => "0.1.0", "libmariadb" => "3.3.20", ...].
     *
     * @return array
     */
    function versions(): array {}

    /** Every runtime failure of the engine; getCode() is the engine's KBJ_E* code. */
    class Exception extends \RuntimeException {}

    /** No such job, runner or entry. */
    final class NotFoundException extends Exception {}

    /** An illegal state transition, or a write refused because the lease was lost. */
    class ConflictException extends Exception {}

    /**
     * The job's lease is gone (taken back, or run out while the runner was paused): what
     * the handler was writing must be rolled back and nothing more written. Thrown by
     * Context's writes; a handler or sink that throws it ends its attempt without
     * touching the job, which is its new holder's (or the reaper's).
     */
    final class LeaseLostException extends ConflictException {}

    /** The database refused, failed or cannot be reached, or its schema is not usable. */
    class DatabaseException extends Exception {}

    /**
     * Thrown by a job handler or an import sink whose own database connection
     * (WordPress's) was lost mid-work, so nothing of that work was committed: an import
     * tries the chunk again in place (a few times, with backoff, while its lease lasts);
     * a handler's attempt fails and is retried like any other.
     */
    final class ConnectionLostException extends DatabaseException {}

    /** A file under the data directory could not be read or written. */
    final class FilesystemException extends Exception {}

    /** Thrown by a job handler: the attempt fails and no retries are left to it. */
    class NonRetryableException extends Exception {}

    /** @strict-properties */
    final class Engine
    {
        /**
         * Options: lease_seconds, claim_batch, failure_cap, lost_after_seconds,
         * alert_threshold, alert_window_seconds, heartbeat_seconds.
         * heartbeat_seconds (1..3600, default the kbjobs.heartbeat_seconds INI setting,
         * 2): how often run()'s heartbeat records the runner alive and renews its leases
         * (at least three times per lease). lost_after_seconds (2..604800, default the
         * kbjobs.lost_after_seconds INI setting, whose 0 means four heartbeats: 8 s): a
         * runner whose last heartbeat is older is listed as lost. A heartbeat not below
         * lost_after throws ValueError.
         * @param array $options
         */
        public function __construct(
            string $host,
            string $user,
            #[\SensitiveParameter] string $password,
            string $database,
            string $prefix = "wp_",
            ?string $dataDir = null,
            array $options = []
        ) {}

        /**
         * Creates or upgrades the kbjobs tables. A migration that moves rows (14: the
         * jobs' claim state into a table of its own) runs here only while there are none
         * to move, unless $all: for `wp kb migrate`, with every runner stopped;
         * $progress(int $moved, int $atId, int $topId) is called after each batch.
         * Returns ['from' => int, 'to' => int, 'behind' => bool (still older than this
         * code works with: run it with $all)].
         */
        public function migrate(bool $all = false, ?callable $progress = null): array {}

        /**
         * ['version' => the stored schema, 'min_code' => the oldest code it allows,
         * 'code' => this code's, 'oldest' => the oldest schema this code works with,
         * 'behind' => version < oldest: every other method throws until `wp kb migrate`].
         * @return array
         */
        public function schemaInfo(): array {}

        /**
         * Options: queue, priority, run_at, delay, max_attempts, backoff, on_expiry,
         * concurrency_key, unique_key, unique_scope, resources (a list of resource names
         * or of ['name' => ..., 'op' => ...]), backlog (a name: the job belongs to that
         * backlog), hold (bool: inserted "held", claimed by no runner until
         * releaseBacklog(); needs a backlog).
         * @param array $params
         * @param array $options
         */
        public function submit(string $type, array $params = [], array $options = []): string {}

        /**
         * Each job: type, params, and submit()'s options.
         * @param array $jobs
         * @return array
         */
        public function submitMany(array $jobs): array {}

        /**
         * Submits a combined job: phases (each ['name' => ..., 'type' => ..., 'params' =>
         * [...], 'weight' => int], weights summing to 100) run in order as one job.
         * Options as submit(). An invalid chain throws ValueError with its first error.
         * @param array $phases
         * @param array $options
         * @return array
         */
        public function submitCombined(array $phases, array $options = []): array {}

        /**
         * Validates a chain of phases: ['valid' => bool, 'errors' => [...], 'warnings' => [...]].
         * @param array $phases
         * @return array
         */
        public function validateChain(array $phases): array {}

        /**
         * Stores a URL list and submits an import of it (job type "import", queue
         * "import"). $list is a file path, an open stream, or a list of URL strings (line
         * n is element n). $params: chunk_size (1..500, default 10), posts (default true)
         * and whatever the sink reads. $options as submit(). The list is UTF-8 (a
         * byte-order mark is skipped); UTF-16, UTF-32, binary data, a list without a valid
         * URL and a list over max_list_bytes or max_list_lines (see configureImport())
         * throw a ValueError that says why. Returns the job id and the list's counts:
         * lines, accepted, duplicates, rejected, and rejections (at most 1,000 of
         * ['line', 'reason', 'excerpt']), rejections_truncated, and existed: true when
         * $options' unique key is held by an existing job, whose id is returned; nothing
         * is submitted then and the list given is not kept.
         * @param array $params
         * @param array $options
         * @return array
         */
        public function import(mixed $list, array $params = [], array $options = []): array {}

        /**
         * Reads a URL list as import() would (a file path, an open stream, or a list of
         * URL strings; the same caps), without storing it or submitting anything: a check
         * before an import. Returns ['valid' => bool, 'error' => ?string (when not valid:
         * why import() would refuse it, the message of its ValueError), 'lines',
         * 'accepted', 'duplicates', 'rejected', 'rejections' (at most 1,000 of ['line',
         * 'reason', 'excerpt']), 'rejections_truncated'], the counts and rejected lines
         * being those import() reports for the same list.
         * @return array
         */
        public function checkList(mixed $list): array {}

        /**
         * Fetcher and normaliser settings for the imports this engine runs: allow (a
         * comma-separated list of addresses and CIDR ranges allowed although private or
         * special), proxy, user_agent, ca_file (a PEM file of the CA certificates trusted
         * instead of the system's, for sites with a private CA; certificates are always
         * verified), host_limits (max_per_host for some hosts: "docs.example.com=2,
         * example.org:8443=16", 1..100 each; a list that does not parse is a ValueError),
         * max_total, max_per_host (requests at once per host, default 6: connections over
         * HTTP/1.1, streams over HTTP/2), connect_timeout_ms,
         * timeout_ms, low_speed_bytes, low_speed_seconds, max_body, max_decoded,
         * max_redirects, retries, retry_base_ms, retry_after_max_ms, max_text, max_depth;
         * and the caps on the lists import() takes: max_list_bytes (1..2^40, default 1 GiB)
         * and max_list_lines (every line, blank and comment lines included; 1..100,000,000,
         * default 5,000,000). Unset keys take their defaults.
         * @param array $settings
         */
        public function configureImport(array $settings): void {}

        /**
         * The artifact index entry of a normalised URL, or null.
         * @return array|null
         */
        public function artifact(string $url): ?array {}

        /**
         * Where imported posts came from, from the artifact index, in one query:
         * [post id => ['post_id' => int, 'url' => string (credentials replaced by "***"),
         * 'fetched_at' => ?float, 'http_status' => int, 'job_id' => ?string (the import
         * job that last wrote it), 'created_job' => ?string (the one that made the
         * post), 'import_id' => ?string and 'created_import' => ?string (the same
         * resolved to the import when the job is a range of an import split into
         * ranges)]], in post id order, for the posts of $postIds (1 to 1000 positive
         * ints) the index knows; the others are left out.
         * @param array $postIds
         * @return array
         */
        public function postSources(array $postIds): array {}

        /**
         * A page of the post ids of an import (its ranges' too), in increasing order,
         * after post id $after: $by "created" (the posts it made), "written" (the posts
         * it wrote last) or "any". Returns ['post_ids' => int[], 'next_cursor' => ?int
         * (pass it as $after for the next page; null after the last)]. $limit 1..1000.
         * Each page is a few index range reads, whatever the import's size.
         * @return array
         */
        public function importPostIds(string $importId, string $by = "any", int $after = 0, int $limit = 100): array {}

        /**
         * A page of the failed items of an import (or of one of its ranges: its own
         * items), in list order: ['items' => [['index' => int, 'url' => string (no
         * credentials), 'class' => 'transient'|'permanent'|'sink', 'error' => string,
         * 'http_status' => int, 'tries' => int, 'at' => float], ...], 'next_cursor' =>
         * ?int]. The cursor is a list index: the items at or above it are returned, at
         * most $limit (1..1000); pass next_cursor back for the next page (null after the
         * last). An item recorded twice (a chunk replayed after a crash) appears once,
         * as its last record says; a torn last line is ignored. A job of another type has
         * no failed items; an unknown id throws NotFoundException.
         * @return array
         */
        public function failedItems(string $id, int $cursor = 0, int $limit = 100): array {}

        /**
         * Imports the failed items of a finished import again: a new import of exactly
         * those URLs (with their credentials, from the original list by index), with the
         * original's params and options and rerun_of set to it; the import's partial
         * FailureLog entry, if any, is removed. Returns ['id' => new import id, 'urls' =>
         * int]. An import that is not finished, or has no failed items, throws
         * ConflictException; a range of an import, or a job of another type, ValueError.
         * @return array
         */
        public function resubmitFailedItems(string $importId): array {}

        /**
         * Checks params against a registered type's schema without submitting anything:
         * null when a submit would accept them, else why not (the field named, as
         * submit()'s ValueError would say it), or "unknown job type" for a type not
         * registered in this process. "combined" is a ValueError: validateChain() checks
         * a chain.
         * @param array $params
         */
        public function checkParams(string $type, array $params): ?string {}

        /**
         * Every registered type: name, label, category, queue (null: "default"),
         * max_attempts, has_handler (runs in this process), schema (its params' JSON
         * Schema as an array, null for any object), resources (['name', 'op']), rules
         * (the chain ordering rules it declares: ['before', 'after', 'severity' =>
         * 'warning'|'error', 'message']) and origin ('php': registered here with a
         * callable; 'native').
         * @return array
         */
        public function types(): array {}

        /**
         * The jobs holding these unique keys (1..1000 strings): [key => Job], the newest
         * job for each key; keys no job holds are left out. One indexed read per key.
         * @param array $keys
         * @return array
         */
        public function jobsByUniqueKeys(array $keys): array {}

        public function get(string $id): Job {}

        /**
         * Filter: status, type, queue, concurrency_key, created_after, created_before,
         * search, unique_key_prefix, backlog, limit, cursor. search: a job id (16 hex characters)
         * finds that job only; any other text finds the jobs whose type or unique key
         * starts with it ('%' and '_' are plain characters; keys compare without case).
         * unique_key_prefix: the jobs whose unique key starts with it. "" filters nothing.
         * @param array $filter
         * @return array
         */
        public function list(array $filter = []): array {}

        // ---- counts and bulk actions ---------------------------------------------------

        /**
         * How many jobs match the filter: the keys of list(), whose limit and cursor are
         * ignored (so the array a list page uses can be passed as it is).
         * @param array $filter
         */
        public function count(array $filter = []): int {}

        /**
         * The jobs matching the filter by status, in this order with every key present:
         * ['queued' => int, 'running' => int, 'completed' => int, 'failed' => int,
         * 'cancelled' => int, 'interrupted' => int]. The filter is list()'s; its status,
         * limit and cursor are ignored. Each count reads at most 191 rows: exact up to
         * 190, above it the index's estimate, or with a filter no index serves (type,
         * search, dates, keys; a queue is served) 191 meaning "more than 190". $estimated
         * receives the counts that are not exact: ['completed' => 'estimate', 'failed' =>
         * 'more'], [] when all are. $exact: every count exact, reading every matching row.
         * @param array $filter
         * @param array|null $estimated
         * @return array
         */
        public function statusCounts(array $filter = [], bool $exact = false, &$estimated = null): array {}

        /**
         * Applies an action to up to 1000 jobs by id, in transactions of 500:
         * "cancel" (queued or interrupted: cancelled; running: a cancel request),
         * "resume" (interrupted, cancelled or failed: queued again), "rerun" (completed,
         * failed, cancelled or interrupted: a new job with rerun_of set), "resubmit"
         * (failed: queued again, attempts reset, its FailureLog entry removed). Returns
         * ['done' => int, 'skipped' => int, 'missing' => int], one count per distinct id:
         * skipped when the action does not apply to the job's status, missing when no
         * job has the id. For every job a filter matches, submit a "kbjobs.bulk" job:
         * submit('kbjobs.bulk', ['action' => ..., 'filter' => [...]]).
         * @param array $ids
         * @return array
         */
        public function applyToJobs(string $action, array $ids): array {}

        /** Returns true when the job was running (a cancel request was recorded). */
        public function cancel(string $id): bool {}

        public function resume(string $id): void {}

        public function rerun(string $id): string {}

        /** @return array */
        public function attempts(string $id): array {}

        /** @param array $context */
        public function log(string $id, string $level, string $message, array $context = []): void {}

        /**
         * Complete lines from byte $cursor; $maxBytes 0 means 256 KiB, and it is raised to
         * at least 64 KiB + 1 (one longest line) and capped at 4 MiB.
         * @return array
         */
        public function logs(string $id, int $cursor = 0, int $maxBytes = 0): array {}

        /** @return array */
        public function tail(string $id, int $lines = 100): array {}

        /**
         * Deletes finished jobs older than $days with their files (logs, reconcile
         * reports, checkpoints, URL lists a rerun does not still read). Returns how many.
         */
        public function retention(int $days = 30): int {}

        /**
         * Moves one file, named by its path relative to the data directory, to
         * quarantine/<Y-m-d>/<the same path> and returns that new relative path. Never
         * follows a symlink (a symlink is moved itself), never replaces a file already
         * in quarantine (a numbered suffix instead). ValueError for an absolute path,
         * "." or "..", a path in quarantine/, a folder or a symlinked folder on the way;
         * NotFoundException when there is no such file.
         */
        public function quarantine(string $relPath): string {}

        /**
         * The job metrics of a window: ['since' => int (the first bucket's start), 'until'
         * => int (now), 'step' => 60|3600, 'totals' => ROW, 'queues' => [name => ROW],
         * 'types' => [name => ROW], 'series' => [['t' => int] + ROW, ...] (every bucket,
         * zeros included)], ROW = ['started', 'completed', 'failed', 'retried' => int,
         * 'wait_p50_ms', 'wait_p95_ms', 'run_p50_ms', 'run_p95_ms' => ?float] (the upper
         * bound of the histogram bucket holding that rank; null without samples).
         * Options: since (seconds back, 1..7776000, default 3600), step (60 or 3600;
         * default 60 up to 48 hours back, else 3600; 60 only up to 48 hours), queue,
         * type (string|null). A bad option throws ValueError naming it.
         * @param array $options
         * @return array
         */
        public function stats(array $options = []): array {}

        /**
         * Runs a cleanup now, in this process (what the native "cleanup" job does):
         * finished jobs older than jobs_days with their files, logs of finished jobs
         * older than logs_days, the metrics rollup and deletes (hourly rows after
         * metrics_days), audit rows, quarantined files, stale checkpoints
         * (checkpoint_days); `batch` rows per transaction, until max_seconds. Options
         * (days 1..36500): jobs_days (30), logs_days (30), metrics_days (90), audit_days
         * (90), quarantine_days (30), checkpoint_days (7), batch (1..10000, 1000),
         * max_seconds (up to 3600, 20), dry_run (bool: count, change nothing). Returns
         * ['jobs', 'logs', 'checkpoints', 'lists', 'failed_items', 'metrics_rolled_up',
         * 'metrics_deleted', 'audit', 'quarantine', 'bytes_freed' => int, 'more' => bool
         * (work left for the next run), 'dry_run' => bool].
         * @param array $options
         * @return array
         */
        public function cleanup(array $options = []): array {}

        /**
         * Merges the runners' own minute rows left (runners merge them once a minute)
         * into runner-free minute rows, then rolls the complete hours of minute metrics
         * not rolled up yet into hourly rows (an hour once it ended 10 minutes ago), one
         * hour per transaction. Returns ['rows' => rows merged and minute rows rolled
         * up]. The plugin runs it every hour (kbjobs_hourly), so a day's charts read
         * hourly rows; the daily cleanup does too.
         * @return array
         */
        public function rollupMetrics(): array {}

        /** @return array */
        public function interrupted(int $limit = 50): array {}

        /** The job's checkpoint, or null when it has none; a corrupt one throws. */
        public function checkpoint(string $id): ?array {}

        /** "Start fresh": removes an interrupted, cancelled or failed job's checkpoint. */
        public function discardCheckpoint(string $id): void {}

        public function cleanupCheckpoints(int $days = 7): int {}

        /**
         * Sets a queue's limits for every runner: at most $concurrency running jobs
         * (0: no limit) and at most $rate starts per $periodMs (0: no rate limit).
         */
        public function setQueue(string $queue, int $concurrency = 0, int $rate = 0, int $periodMs = 0): void {}

        public function pauseQueue(string $queue): void {}

        public function resumeQueue(string $queue): void {}

        /**
         * One queue's settings, numbers, and why it is not starting jobs. Its queued,
         * running, due and backlog (held) counts are exact up to 190 and the index's
         * estimate above; 'estimated' lists those that are estimates (['queued', 'due'],
         * or []). 'reason': why no job of it starts now ("paused", "held: N in backlog X",
         * "nothing due", "at concurrency N/N", "rate limited until HH:MM:SS UTC") or null
         * when a due job may start; 'reason_code' (paused, held, idle, concurrency, rate
         * or null); 'reason_until' (rate: the Unix time of the next token, else null);
         * 'backlog_name': the backlog of its first held job, or null.
         * $exact: exact counts, reading every matching row.
         */
        public function queue(string $queue, bool $exact = false): array {}

        /**
         * Every queue with settings or unfinished jobs, as queue() reports it.
         * @return array
         */
        public function queues(bool $exact = false): array {}

        /**
         * Releases a backlog: its held jobs become queued, 1000 per transaction (runners
         * start on the first ones while the rest are released). Returns how many.
         */
        public function releaseBacklog(string $name): int {}

        /**
         * Every backlog with jobs in the table, by name: name => ['held' => n, 'queued' => n,
         * 'running' => n, 'completed' => n, 'failed' => n, 'cancelled' => n,
         * 'interrupted' => n, 'estimated' => [statuses whose count is the index's
         * estimate]]. Counts are exact up to 190 unless $exact.
         * @return array
         */
        public function backlogs(bool $exact = false): array {}

        /** Known resources, busy or idle, with the job and operation holding each. */
        public function resources(): array {}

        public function reap(): int {}

        /**
         * Why a queued job is not running, or null when the job is not queued (running,
         * interrupted or finished); an unknown id throws NotFoundException. The first
         * reason that applies, in this order: 'paused' (its queue is paused),
         * 'scheduled' (not due yet, never attempted), 'retrying' (not due yet after a
         * failed attempt), 'concurrency_key' (a running job holds its concurrency key),
         * 'resource' (a running job holds one of its resources), 'concurrency' (its
         * queue runs as many jobs as its limit allows), 'rate_limited' (its queue's token
         * bucket is empty), 'ready' (due and free: waiting for a runner). Returns
         * ['code' => string, 'message' => string (a sentence, times in ISO 8601 UTC),
         * 'until' => ?float (the Unix time it may start at the earliest: scheduled,
         * retrying, rate_limited), 'queue' => string, 'holder' => ?string (the running job
         * holding the key or resource), 'resource' => ?string, 'attempt' => int (attempts
         * made so far), 'running' => int (jobs of its queue running now), 'limit' => ?int
         * (its queue's concurrency limit, null when none)].
         * @return array|null
         */
        public function why(string $id): ?array {}

        /**
         * Records an operator action in the audit log and returns its id. $entry:
         * 'source' => 'screen'|'rest'|'cli'|'cron'|'api', 'action' => string (1 to 64 of
         * a-z, 0-9, '_', '.', '-', such as "job.cancel") and 'outcome' =>
         * 'ok'|'error'|'denied'|'partial' are required; 'user_id' => int (0 or more),
         * 'user_login' => string (at most 60 bytes), 'target' => string (at most 191
         * bytes, such as "job:0123456789abcdef") and 'detail' => array (a JSON object of
         * at most 65,535 bytes) are optional. Texts are kept as given (ill-formed UTF-8
         * made U+FFFD): escape them where they are shown. An unknown key, a value of the
         * wrong type or out of its range throws ValueError naming the key.
         * @param array $entry
         */
        public function audit(array $entry): int {}

        /**
         * Audit log entries, newest first, a page at a time: ['entries' => [['id' => int,
         * 'at' => float, 'user_id' => int, 'user_login' => string, 'source' => string,
         * 'action' => string, 'target' => string, 'outcome' => string, 'detail' =>
         * ?array], ...], 'next_cursor' => ?string (pass it back as 'cursor' for the next
         * page; null after the last)]. Filter keys: user_id, user_login, action, target,
         * source, outcome (each exact), after (at or after, a Unix time), before (before,
         * a Unix time), limit (1..1000, default 50), cursor. A bad key or value throws
         * ValueError naming the key.
         * @param array $filter
         * @return array
         */
        public function auditLog(array $filter = []): array {}

        /** Deletes audit entries older than $days (1..36500); returns how many. */
        public function auditRetention(int $days = 90): int {}

        /**
         * Schedules a WP-Cron event with core's semantics and returns ['id' => int,
         * 'duplicate' => bool]. $event: 'hook' (1 to 191 bytes of UTF-8), 'timestamp'
         * (UTC Unix time of its next run) and 'args_key' (32 lowercase hex: core's
         * md5(serialize($args))) are required; 'args_json' (a JSON array or object,
         * default "[]"), 'args_php' (bytes handed back unchanged when it runs; may hold
         * NUL bytes), 'schedule' (?string, null for a single event) with 'interval'
         * (seconds, 1 to 10 years), 'paused', 'parallel' (bool), 'max_attempts' (0..100)
         * and 'retry_seconds' (0..86400) are optional. $mode: "single"
         * (wp_schedule_single_event(): refused as 'duplicate' => true, 'id' being the
         * event in the way, when an event of the same hook and args_key is due within
         * core's ten-minute window around $event's timestamp), "recurring"
         * (wp_schedule_event(): the event of the same hook, args_key and timestamp is
         * replaced in place, keeping its id and an operator's pause) or "exact" (an import:
         * the same replacement, single or recurring). $now: the caller's clock for the
         * window (0: time()). A missing or unknown key, or a bad value, throws
         * ValueError (TypeError for a wrong type) naming the key.
         * @param array $event
         * @return array
         */
        public function cronSchedule(array $event, string $mode = "single", int $now = 0): array {}

        /**
         * wp_unschedule_event(): deletes the event with exactly this hook, args_key and
         * timestamp (not a single event already being run); returns how many (0 or 1).
         */
        public function cronUnschedule(string $hook, string $argsKey, int $timestamp): int {}

        /**
         * wp_clear_scheduled_hook() with an $argsKey, wp_unschedule_hook() without (any
         * arguments): deletes the hook's events and returns how many. A run in progress
         * finishes and is recorded; its recurring event is not scheduled again.
         */
        public function cronClear(string $hook, ?string $argsKey = null): int {}

        /**
         * Events as arrays: 'id', 'hook', 'args_key', 'args_json', 'args_php',
         * 'schedule' (?string), 'interval', 'timestamp' (next run), 'due_at' (?int:
         * when it may next be claimed; null while it runs), 'paused', 'parallel',
         * 'visible' (what core's API sees: not a single event being run or waiting for a
         * retry), 'running' (held by a live lease) (bools), 'max_attempts',
         * 'retry_seconds', 'run_of' (?int: the due time being run or retried), 'attempt',
         * 'run_id' (?int), 'runner' (?string), 'last_run_at' (?float), 'last_outcome'
         * (?string: ok, failed, lost), 'fail_streak', 'created_at', 'updated_at'
         * (floats). Filter keys: id, hook, hook_prefix, args_key (with hook),
         * visible_only, due_only (bools), state ("due", "paused", "running",
         * "failing"; each read from an index of its own), order ("next_run", the
         * default, then id; with state "due" its due_at, then id; or "id"), limit (0:
         * all), and the keyset cursor: after (the id of the last event of the page
         * before) with after_time (its timestamp, or its due_at with state "due") in
         * time order; backward (bool): the page before after/after_time instead, still
         * in the list's order.
         * @param array $filter
         * @return array
         */
        public function cronEvents(array $filter = []): array {}

        /**
         * One event as cronEvents() gives it, or null when there is none.
         * @return array|null
         */
        public function cronEvent(int $id): ?array {}

        /**
         * ['events' => int, 'paused' => int, 'due' => int (due now and not paused: late
         * when nothing runs them), 'running' => int, 'failing' => int (their last run
         * failed or was lost), 'estimated' => ['events' => bool, ...]]: each count reads
         * at most 51 rows; above 50 it is the optimizer's estimate, flagged in
         * 'estimated'.
         * @return array
         */
        public function cronCounts(): array {}

        /**
         * The schedules recurring events use, in name order, at most 100: ['schedule'
         * => string, 'events' => int, 'estimated' => bool (above 50 the count is the
         * optimizer's estimate)].
         * @return array
         */
        public function cronScheduleUses(): array {}

        /**
         * Changes an event in place: 'timestamp' (its next run), 'schedule' (?string;
         * null makes it a single event) with 'interval', 'paused' (bool). Changing the
         * time or schedule of a running event, or moving it to the time of another event
         * of the same hook and args, throws ConflictException; an unknown id
         * NotFoundException.
         * @param array $changes
         */
        public function cronUpdate(int $id, array $changes): void {}

        /** Deletes an event (its runs stay in the history); NotFoundException when none. */
        public function cronDelete(int $id): void {}

        /**
         * Makes an event due now: the next claim runs it at once with trigger "run-now",
         * leaving a recurring event's schedule as it was. NotFoundException when there
         * is no such event, ConflictException when it is running.
         */
        public function cronRunNow(int $id): void {}

        /**
         * Options: label, category, queue, max_attempts, backoff, on_expiry, resources,
         * schema (a JSON Schema of the params, as an array or a JSON string), rules (a
         * list of ['before' => type, 'after' => type, 'severity' => 'warning'|'error',
         * 'message' => string]).
         * @param array $options
         */
        public function registerType(string $type, callable $handler, array $options = []): void {}

        /**
         * Options: queues, max_seconds, max_jobs, max_memory, idle_ms (the longest pause
         * between looks for due jobs when nothing is due, default 200), idle_min_ms (the first pause
         * after a claim that found work, default 50; it doubles up to idle_ms), wake
         * (default true: wake within milliseconds when a process on this host submits
         * to the same site; false: poll only), until_empty,
         * until_empty_wait (seconds a job due soon is waited for, default 2),
         * grace_seconds, checkpoint_seconds, checkpoint_items, claim_batch (jobs claimed
         * at once, at most the engine's; 1 for long jobs), and sink: the callable
         * that imports hand their documents to, fn(array $docs, Context $ctx): array
         * returning one post id (or an error message) per document.
         * WP-Cron events: cron, the event runner, fn(array $run): ?array, called for each
         * claimed event with ['event_id', 'run_id', 'hook', 'args_key', 'args_json',
         * 'args_php' (the bytes given when it was scheduled), 'schedule' (?string),
         * 'interval', 'due', 'attempt', 'trigger'] and returning null (it ran) or
         * ['error' => ?string (set: the run failed), 'memory_peak' => int, 'queries' =>
         * int, 'http_requests' => int, 'output' => string]; a Throwable fails the run
         * with "Class: message", exit() and fatal errors fail it and then end the run as
         * in a job handler. With it: cron_trigger (recorded with each run, default
         * "runner"), cron_batch (events per round before the jobs, default 10),
         * cron_event (an event id: run only that one, now, and return), cron_only (no
         * jobs). The report counts cron_ran, cron_failed and cron_lost, and wakeups (idle
         * waits ended by a local wake-up).
         * @param array $options
         * @return array
         */
        public function run(array $options = []): array {}

        /**
         * The WP-Cron run history, newest first: ['id', 'event_id', 'hook', 'args_key',
         * 'args_json', 'schedule' (?string), 'due', 'attempt', 'trigger', 'runner'
         * (?string), 'host', 'pid', 'started_at' (float), 'ended_at' (?float), 'outcome'
         * (running, ok, failed, lost), 'error' (?string), 'memory_peak', 'queries',
         * 'http_requests' (?int each), 'output' (?string, the first 4 KiB)]. Filter
         * keys: event_id, hook, outcome, trigger, before (a run id: the page after it),
         * limit (1..1000, default 50).
         * @param array $filter
         * @return array
         */
        public function cronRuns(array $filter = []): array {}

        /**
         * Removes finished runs older than $days (0: no age limit) and, per hook, all but
         * the newest $perHook (0: no cap), and guard rows no event uses; returns the
         * runs removed.
         */
        public function cronPrune(int $days = 30, int $perHook = 100): int {}

        /** Whether a live runner (heartbeat within lost_after_seconds) takes events. */
        public function cronRunnerAlive(): bool {}

        /**
         * Asks run() to stop at the next safe point. Safe in a signal handler. A request
         * made while no run() is going makes the next run() return at once.
         */
        public function requestStop(): void {}

        public function tracker(): JobTracker {}

        public function failures(): FailureLog {}
    }

    /** @strict-properties */
    final class Job
    {
        public readonly string $id;
        public readonly string $type;
        public readonly string $queue;
        public readonly string $status;
        public readonly int $priority;
        public readonly array $params;
        public readonly mixed $result;
        public readonly ?string $error;
        public readonly array $metrics;
        public readonly ?string $title;
        public readonly ?string $phase;
        public readonly int $progressDone;
        public readonly int $progressTotal;
        public readonly int $attempts;
        public readonly int $maxAttempts;
        public readonly ?string $concurrencyKey;
        public readonly ?string $uniqueKey;
        public readonly array $resources;
        public readonly bool $cancelRequested;
        public readonly ?string $runner;
        public readonly ?string $rerunOf;
        public readonly ?float $runAt;
        public readonly ?float $createdAt;
        public readonly ?float $startedAt;
        public readonly ?float $progressAt;
        public readonly ?float $finishedAt;
        public readonly ?float $updatedAt;
        public readonly ?string $backlog;

        private function __construct() {}

        /** Items per second since the job started, or null when it cannot be known yet. */
        public function rate(): ?float {}

        /** Seconds left at the current rate, or null when it cannot be known yet. */
        public function eta(): ?float {}

        /** @return array */
        public function toArray(): array {}
    }

    /** @strict-properties */
    final class Context
    {
        private function __construct() {}

        public function id(): string {}

        public function type(): string {}

        public function attempt(): int {}

        /** @return array */
        public function params(): array {}

        public function progress(int $done, int $total = 0, ?string $phase = null): void {}

        public function title(string $title): void {}

        /** @param array $context */
        public function log(string $level, string $message, array $context = []): void {}

        /** @param array $metrics */
        public function metrics(array $metrics): void {}

        /**
         * True when the job was cancelled, the runner was asked to stop, or the lease was
         * lost: return at the next safe point, after calling stopEarly().
         */
        /**
         * Saves a checkpoint when the cadence says so (or always with $force): the
         * progress last reported and the given cursor, counts and state. Returns true
         * when one was written.
         * @param array $counts
         */
        public function checkpoint(mixed $cursor = null, array $counts = [], mixed $state = null, bool $force = false): bool {}

        /** The job's last checkpoint (from this attempt or an earlier one), or null. */
        public function lastCheckpoint(): ?array {}

        public function shouldStop(): bool {}

        public function cancelled(): bool {}

        /**
         * Marks the job as left unfinished on purpose: when the handler returns, the job is
         * cancelled (if that was asked) or given back to its queue (if the runner is
         * stopping) instead of completing.
         */
        public function stopEarly(): void {}

        /**
         * Seconds left on the job's lease by this runner's own clock, which goes on
         * while the process is paused (0 once it ran out or was lost).
         */
        public function leaseRemaining(): float {}

        /**
         * Throws LeaseLostException (the lease marked lost) when the lease ran out or
         * was lost; with $lostBecause, marks it lost for that reason and throws.
         */
        public function assertLease(?string $lostBecause = null): void {}

        /**
         * The statement that fences a transaction on another connection (WordPress's
         * $wpdb): run first inside it, it returns one row while this runner holds the
         * lease and locks the job's row until the transaction ends, so nobody takes the
         * job over meanwhile. No row: the lease is gone, roll back. See
         * kbjobs_fenced_transaction() in the plugin.
         */
        public function fenceStatement(): string {}

        /**
         * For import sinks: the statement that records, inside the sink's fenced
         * transaction, the posts written for the chunk's documents in the artifact index
         * (so posts and index commit together). $posts: a list of ['url_hash' => string,
         * 'post_id' => int, 'content_hash' => string, 'created' => bool].
         * @param array $posts
         */
        public function recordPostsStatement(array $posts): string {}
    }

    /** @strict-properties */
    final class JobTracker
    {
        private function __construct() {}

        /**
         * Runners seen in the last $hours (1..8760), newest first: ['id', 'host', 'pid',
         * 'version', 'queues', 'state' => 'active'|'lost'|'stopped', 'started_at',
         * 'heartbeat_at', 'stopped_at' (float or null), 'running_jobs', 'memory' => int
         * (the runner process's resident memory in bytes at its last heartbeat; 0 when
         * unknown)].
         * @return array
         */
        public function runners(int $hours = 24): array {}

        /** @return array */
        public function activeJobs(): array {}
    }

    /** @strict-properties */
    final class FailureLog
    {
        private function __construct() {}

        /**
         * The newest entries first: ['job_id', 'type', 'message', 'attempts',
         * 'failed_at', 'kind', 'failed_items', 'total_items']. kind "job": a job that
         * failed for good (failed_items and total_items 0); kind "partial": an import
         * that completed with failed items, failed_items of total_items URLs ("7 of 205
         * URLs failed"; the import itself stays completed). $kind: only that kind
         * (null: both).
         * @return array
         */
        public function list(int $limit = 50, int $offset = 0, ?string $kind = null): array {}

        /**
         * How many entries of one kind there are: "job" by default (failed jobs, the
         * count it always was), or "partial". Each kind is capped at failure_cap on its
         * own.
         */
        public function count(string $kind = "job"): int {}

        /** How many entries of one kind ("job" by default, or "partial") the cap evicted. */
        public function evicted(string $kind = "job"): int {}

        /**
         * Resubmits entries by job id and removes them; returns how many had an entry. A
         * job entry's failed job is queued again (attempts reset); a partial entry's
         * import gets a new import of exactly its failed URLs (see
         * Engine::resubmitFailedItems()).
         * @param string|array $ids
         */
        public function resubmit(string|array $ids): int {}

        /**
         * Acknowledges and removes entries of either kind by job id; failed jobs stay
         * failed, imports stay completed.
         * @param string|array $ids
         */
        public function delete(string|array $ids): int {}

        /** @return array */
        public function alerts(): array {}

        public function acknowledgeAlert(int $id): void {}
    }
}
