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
     * @return array<string, string>
     */
    function versions(): array {}
}
