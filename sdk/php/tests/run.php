<?php

declare(strict_types=1);

/*
 * The SDK's unit tests: `php sdk/php/tests/run.php [filter]`. Runs every public test* method
 * of every tests/*Test.php class; a test that asserts nothing fails. Exit status 1 on failure.
 */

require dirname(__DIR__) . '/init.php';
spl_autoload_register(static function (string $class): void {
    if (str_starts_with($class, 'Paymux\\Tests\\')) {
        require __DIR__ . '/' . substr($class, strlen('Paymux\\Tests\\')) . '.php';
    }
});

$filter = $argv[1] ?? '';
$passed = 0;
$failures = [];
$assertions = 0;
foreach (glob(__DIR__ . '/*Test.php') ?: [] as $file) {
    $class = 'Paymux\\Tests\\' . basename($file, '.php');
    foreach ((new ReflectionClass($class))->getMethods(ReflectionMethod::IS_PUBLIC) as $method) {
        $name = $class . '::' . $method->getName();
        if (!str_starts_with($method->getName(), 'test') || ($filter !== '' && !str_contains($name, $filter))) {
            continue;
        }
        $case = new $class();
        try {
            $case->run($method->getName());
            if ($case->assertions === 0) {
                throw new RuntimeException('the test asserted nothing');
            }
            ++$passed;
            echo '.';
        } catch (Throwable $exc) {
            $failures[] = sprintf("%s\n  %s: %s\n  at %s:%d", $name, get_class($exc), $exc->getMessage(), $exc->getFile(), $exc->getLine());
            echo 'F';
        }
        $assertions += $case->assertions;
    }
}
echo "\n";
foreach ($failures as $failure) {
    echo "FAIL {$failure}\n";
}
printf("%d passed, %d failed, %d assertions\n", $passed, count($failures), $assertions);
exit($failures === [] && $passed > 0 ? 0 : 1);
