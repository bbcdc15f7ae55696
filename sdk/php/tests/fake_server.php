<?php

declare(strict_types=1);

// php fake_server.php <script.json> <requests.jsonl>: see FakeServer (prints its port, then serves).
require __DIR__ . '/FakeServer.php';
\Paymux\Tests\FakeServer::serve(json_decode((string) file_get_contents($argv[1]), true), $argv[2]);
