<?php

declare(strict_types=1);

/*
 * Builds the SDK offline with PHP's own tools:
 *
 *     php -d phar.readonly=0 sdk/php/bin/build.php [output directory]   (default: sdk/php/build, git-ignored)
 *
 * 1. `php -l` on every PHP file of the SDK (src, tests, examples, bin, init.php);
 * 2. checks composer.json: its PSR-4 map (Paymux\ → src/) holds for every class in src/;
 * 3. packs src/ and init.php into <output>/paymux.phar (`require 'paymux.phar';` loads the SDK);
 * 4. loads every class from that phar in a fresh PHP process.
 */

$root = dirname(__DIR__);
$out = $argv[1] ?? $root . '/build';

function fail(string $message): never
{
    fwrite(STDERR, "build failed: {$message}\n");
    exit(1);
}

/** @return list<string> */
function phpFiles(string $dir): array
{
    $files = [];
    foreach (new RecursiveIteratorIterator(new RecursiveDirectoryIterator($dir, FilesystemIterator::SKIP_DOTS)) as $file) {
        if ($file->getExtension() === 'php' && !str_contains($file->getPathname(), '/build/') && !str_contains($file->getPathname(), '/vendor/')) {
            $files[] = $file->getPathname();
        }
    }
    sort($files);

    return $files;
}

function run(array $command): string
{
    $process = proc_open($command, [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
    $output = stream_get_contents($pipes[1]) . stream_get_contents($pipes[2]);
    if (proc_close($process) !== 0) {
        fail(implode(' ', $command) . ":\n" . $output);
    }

    return $output;
}

$files = phpFiles($root);
foreach ($files as $file) {
    run([PHP_BINARY, '-l', $file]);
}
printf("php -l: %d files, no syntax errors\n", count($files));

$composer = json_decode((string) file_get_contents($root . '/composer.json'), true);
if (($composer['autoload']['psr-4']['Paymux\\'] ?? null) !== 'src/') {
    fail('composer.json must map Paymux\\ to src/ (PSR-4)');
}
$classes = [];
foreach (phpFiles($root . '/src') as $file) {
    $relative = substr($file, strlen($root . '/src/'), -strlen('.php'));
    $class = 'Paymux\\' . str_replace('/', '\\', $relative);
    $source = (string) file_get_contents($file);
    $namespace = preg_match('/^namespace ([^;]+);/m', $source, $m) ? $m[1] : '';
    $declared = preg_match('/^(?:final |abstract |readonly )*(?:class|interface|trait|enum) (\w+)/m', $source, $m) ? $m[1] : '';
    if ($namespace . '\\' . $declared !== $class) {
        fail("{$file} declares {$namespace}\\{$declared}, PSR-4 wants {$class}");
    }
    $classes[] = $class;
}
printf("composer.json: PSR-4 holds for %d classes\n", count($classes));

if (ini_get('phar.readonly')) {
    fail('run with php -d phar.readonly=0');
}
if (!is_dir($out) && !mkdir($out, 0777, true)) {
    fail("cannot create {$out}");
}
$pharFile = $out . '/paymux.phar';
@unlink($pharFile);
$phar = new Phar($pharFile, 0, 'paymux.phar');
$phar->startBuffering();
$phar->buildFromDirectory($root, '#^' . preg_quote($root, '#') . '/(src/.*\.php|init\.php|composer\.json)$#');
$phar->setStub("<?php\nPhar::mapPhar('paymux.phar');\nrequire 'phar://paymux.phar/init.php';\n__HALT_COMPILER();\n");
$phar->stopBuffering();
printf("phar: %s (%d files, %d bytes)\n", $pharFile, count($phar), filesize($pharFile));

$check = sprintf(
    'require %s; foreach (%s as $c) { if (!class_exists($c) && !interface_exists($c)) { fwrite(STDERR, "missing $c\n"); exit(1); } } echo \Paymux\Client::userAgent();',
    var_export($pharFile, true),
    var_export($classes, true),
);
printf("phar loads every class: %s\n", run([PHP_BINARY, '-r', $check]));
