<?php

declare(strict_types=1);

namespace Paymux\Model;

/**
 * A resource paymux answered with. Its known fields are typed read-only properties named as on
 * the wire (`$payment->amount_refundable`); every field, unknown ones included, is kept:
 * `$payment->some_new_field`, `$payment['some_new_field']` or toArray(). A field missing from
 * the answer reads as null when nullable, else as the type's empty value.
 *
 * @implements \ArrayAccess<string, mixed>
 */
abstract class PaymuxObject implements \ArrayAccess, \JsonSerializable
{
    /** @var array<string, mixed> */
    private readonly array $values;

    /** @param array<string, mixed> $values the decoded JSON object */
    final public function __construct(array $values)
    {
        $this->values = $values;
        foreach (self::typedProperties(static::class) as $property) {
            $property->setValue($this, static::coerce($property, $values[$property->getName()] ?? null));
        }
    }

    /** @param array<string, mixed> $values */
    public static function fromArray(array $values): static
    {
        return new static($values);
    }

    /** @return array<string, mixed> every field as received */
    public function toArray(): array
    {
        return $this->values;
    }

    public function __get(string $name): mixed
    {
        return $this->values[$name] ?? null;
    }

    public function __isset(string $name): bool
    {
        return isset($this->values[$name]);
    }

    public function offsetExists(mixed $offset): bool
    {
        return isset($this->values[$offset]);
    }

    public function offsetGet(mixed $offset): mixed
    {
        return $this->values[$offset] ?? null;
    }

    public function offsetSet(mixed $offset, mixed $value): never
    {
        throw new \LogicException(static::class . ' is read-only');
    }

    public function offsetUnset(mixed $offset): never
    {
        throw new \LogicException(static::class . ' is read-only');
    }

    /** @return array<string, mixed> */
    public function jsonSerialize(): array
    {
        return $this->values;
    }

    /** Fields holding a list of models: name => model class. */
    protected static function listsOf(): array
    {
        return [];
    }

    private static function coerce(\ReflectionProperty $property, mixed $value): mixed
    {
        $type = $property->getType();
        $name = $type instanceof \ReflectionNamedType ? $type->getName() : 'mixed';
        if ($value === null) {
            return $type?->allowsNull() ?? true ? null : self::emptyValue($name);
        }
        $model = static::listsOf()[$property->getName()] ?? null;
        if ($model !== null && is_array($value)) {
            return array_map(static fn ($item) => is_array($item) ? new $model($item) : $item, array_values($value));
        }

        return match ($name) {
            'int' => is_numeric($value) ? (int) $value : 0,
            'float' => is_numeric($value) ? (float) $value : 0.0,
            'string' => is_scalar($value) ? (string) $value : '',
            'bool' => (bool) $value,
            'array' => is_array($value) ? $value : [],
            default => is_subclass_of($name, self::class) && is_array($value) ? new $name($value) : $value,
        };
    }

    private static function emptyValue(string $type): mixed
    {
        return match ($type) {
            'int' => 0,
            'float' => 0.0,
            'string' => '',
            'bool' => false,
            'array' => [],
            default => null,
        };
    }

    /** @return list<\ReflectionProperty> */
    private static function typedProperties(string $class): array
    {
        static $cache = [];

        return $cache[$class] ??= array_values(array_filter(
            (new \ReflectionClass($class))->getProperties(\ReflectionProperty::IS_PUBLIC),
            static fn (\ReflectionProperty $p) => !$p->isStatic(),
        ));
    }
}
