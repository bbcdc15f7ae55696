"""Alipay OpenAPI (gateway v1, RSA2). Only the signing layer exists so far; the adapter,
sandbox and registration are still to come (docs/channels.md)."""
