"""Alipay OpenAPI (gateway v1, RSA2): client (I/O), application (the third-party application's
own calls), transform and answers (pure mapping), authorization (third-party grants and
notices), signing, statement (the trade bill). docs/channels.md describes both modes."""
