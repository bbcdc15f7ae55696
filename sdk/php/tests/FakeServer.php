<?php

declare(strict_types=1);

namespace Paymux\Tests;

/**
 * A scripted HTTP/1.1 server with keep-alive, in its own PHP process (tests/fake_server.php),
 * for the retry tests. Each request takes the next step of the script:
 *   ['status' => 503, 'headers' => [...], 'body' => '...']  answer it (the connection stays open)
 *   ['close' => true]                                       read it, close without answering
 *   ['bad_chunk' => true]                                   send a status line and headers, then a
 *                                                           broken chunk, and close (curl error 56
 *                                                           after the headers)
 * With 'replay_guard' set, a request whose nonce was already seen answers 401
 * replayed_request without taking a step, as paymux does. Every request is logged with its
 * connection number, headers, body, and whether its signature verifies.
 */
final class FakeServer
{
    /** @var resource */
    private $process;
    private string $log;
    private string $dir;
    public readonly string $url;

    /** @param array<string, mixed> $script ['secret' => …, 'steps' => [...], 'replay_guard' => bool] */
    public function __construct(array $script)
    {
        $dir = sys_get_temp_dir() . '/paymux-php-fake-' . bin2hex(random_bytes(6));
        mkdir($dir);
        $this->dir = $dir;
        file_put_contents($dir . '/script.json', json_encode($script));
        $this->log = $dir . '/requests.jsonl';
        $command = [PHP_BINARY, __DIR__ . '/fake_server.php', $dir . '/script.json', $this->log];
        $process = proc_open($command, [1 => ['pipe', 'w'], 2 => ['file', $dir . '/stderr', 'w']], $pipes);
        if (!is_resource($process)) {
            throw new \RuntimeException('the fake server did not start');
        }
        $this->process = $process;
        $port = trim((string) fgets($pipes[1]));
        if (!ctype_digit($port)) {
            throw new \RuntimeException('the fake server did not say its port: ' . file_get_contents($dir . '/stderr'));
        }
        $this->url = 'http://127.0.0.1:' . $port;
    }

    /** @return list<array<string, mixed>> the requests received so far */
    public function requests(): array
    {
        $lines = is_file($this->log) ? file($this->log, FILE_IGNORE_NEW_LINES | FILE_SKIP_EMPTY_LINES) : [];

        return array_map(static fn (string $line) => json_decode($line, true), $lines ?: []);
    }

    public function stop(): void
    {
        proc_terminate($this->process);
        proc_close($this->process);
        array_map('unlink', glob($this->dir . '/*') ?: []);
        rmdir($this->dir);
    }

    // ---- the server side (run by fake_server.php) ----

    /** @param array<string, mixed> $script */
    public static function serve(array $script, string $log): void
    {
        $listener = stream_socket_server('tcp://127.0.0.1:0', $errno, $error);
        if ($listener === false) {
            throw new \RuntimeException($error);
        }
        echo parse_url('tcp://' . stream_socket_get_name($listener, false), PHP_URL_PORT), "\n";
        fflush(STDOUT);
        $state = ['steps' => $script['steps'], 'nonces' => [], 'connections' => 0];
        $clients = [];
        while (true) {
            $read = [$listener, ...array_column($clients, 'socket')];
            $write = $except = null;
            if (stream_select($read, $write, $except, null) === false) {
                return;
            }
            foreach ($read as $socket) {
                if ($socket === $listener) {
                    $client = stream_socket_accept($listener);
                    $clients[(int) $client] = ['socket' => $client, 'buffer' => '', 'number' => ++$state['connections']];
                    continue;
                }
                $chunk = fread($socket, 65536);
                if ($chunk === '' || $chunk === false) {
                    fclose($socket);
                    unset($clients[(int) $socket]);
                    continue;
                }
                $clients[(int) $socket]['buffer'] .= $chunk;
                if (!self::answerBuffered($clients[(int) $socket], $script, $state, $log)) {
                    fclose($socket);
                    unset($clients[(int) $socket]);
                }
            }
        }
    }

    /**
     * Answers every whole request in the connection's buffer; false: close the connection.
     *
     * @param array<string, mixed> $client
     * @param array<string, mixed> $script
     * @param array<string, mixed> $state
     */
    private static function answerBuffered(array &$client, array $script, array &$state, string $log): bool
    {
        while (($request = self::takeRequest($client['buffer'])) !== null) {
            $nonce = self::authorizationPairs($request['headers']['authorization'] ?? '')['nonce'] ?? '';
            $replayed = ($script['replay_guard'] ?? false) && isset($state['nonces'][$nonce]);
            $state['nonces'][$nonce] = true;
            $step = $replayed
                ? ['status' => 401, 'body' => '{"error":{"code":"replayed_request","message":"this nonce was already used"}}']
                : (array_shift($state['steps']) ?? ['status' => 500, 'body' => '{"error":{"code":"script_exhausted","message":"no step left"}}']);
            $request['connection'] = $client['number'];
            $request['signature_valid'] = self::signatureValid($request, (string) $script['secret']);
            $request['answer'] = isset($step['close']) ? 'closed' : (isset($step['bad_chunk']) ? 'bad_chunk' : $step['status']);
            $request['body_base64'] = base64_encode($request['body']);
            unset($request['body']);
            file_put_contents($log, json_encode($request) . "\n", FILE_APPEND);
            if (isset($step['close'])) {
                return false;
            }
            if (isset($step['bad_chunk'])) {
                fwrite($client['socket'], "HTTP/1.1 200 Fake\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");

                return false;
            }
            $body = (string) ($step['body'] ?? '{}');
            $head = sprintf("HTTP/1.1 %d Fake\r\nContent-Type: application/json\r\nContent-Length: %d\r\n", $step['status'], strlen($body));
            foreach ($step['headers'] ?? [] as $name => $value) {
                $head .= "{$name}: {$value}\r\n";
            }
            fwrite($client['socket'], $head . "\r\n" . $body);
        }

        return true;
    }

    /** @return array{method: string, target: string, headers: array<string, string>, body: string}|null */
    private static function takeRequest(string &$buffer): ?array
    {
        $end = strpos($buffer, "\r\n\r\n");
        if ($end === false) {
            return null;
        }
        $lines = explode("\r\n", substr($buffer, 0, $end));
        [$method, $target] = explode(' ', array_shift($lines));
        $headers = [];
        foreach ($lines as $line) {
            [$name, $value] = array_pad(explode(':', $line, 2), 2, '');
            $headers[strtolower(trim($name))] = trim($value);
        }
        $length = (int) ($headers['content-length'] ?? 0);
        if (strlen($buffer) < $end + 4 + $length) {
            return null;
        }
        $body = substr($buffer, $end + 4, $length);
        $buffer = substr($buffer, $end + 4 + $length);

        return ['method' => $method, 'target' => $target, 'headers' => $headers, 'body' => $body];
    }

    /** @return array<string, string> */
    public static function authorizationPairs(string $header): array
    {
        preg_match_all('/(\w+)="([^"]*)"/', $header, $matches, PREG_SET_ORDER);

        return array_column($matches, 2, 1);
    }

    /** Recomputed here from docs/authentication.md, not with the SDK's signer. */
    private static function signatureValid(array $request, string $secret): bool
    {
        $pairs = self::authorizationPairs($request['headers']['authorization'] ?? '');
        $lines = ['PAYMUX-HMAC-SHA256', $request['method'], $request['target'], $pairs['timestamp'] ?? '', $pairs['nonce'] ?? '', hash('sha256', $request['body'])];

        return hash_equals(hash_hmac('sha256', implode("\n", $lines) . "\n", $secret), $pairs['signature'] ?? '');
    }
}
