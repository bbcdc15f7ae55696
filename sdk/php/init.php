<?php

declare(strict_types=1);

/*
 * The SDK without Composer: `require '/path/to/paymux-php/init.php';` registers a PSR-4
 * autoloader for Paymux\ → src/ (the same mapping as composer.json).
 */
spl_autoload_register(static function (string $class): void {
    if (str_starts_with($class, 'Paymux\\')) {
        $file = __DIR__ . '/src/' . str_replace('\\', '/', substr($class, strlen('Paymux\\'))) . '.php';
        if (is_file($file)) {
            require $file;
        }
    }
});
