"""Merchant URLs are attacker-controlled input: public https hosts only (SSRF), except in the
local stack. Checked when the payment is created and again, after DNS, before each delivery."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from paymux.errors import ValidationFailed


def _bad(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{field} is not allowed", details=[{"field": field, "message": message}])


def check_url_syntax(url: str, field: str, allow_http: bool) -> None:
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
    except ValueError:  # e.g. "https://[::1" (an unclosed IPv6 literal)
        raise _bad(field, "is not a URL") from None
    schemes = {"https", "http"} if allow_http else {"https"}
    if parts.scheme not in schemes or not hostname:
        raise _bad(field, f"must be an absolute {' or '.join(sorted(schemes))} URL")
    if parts.username or parts.password:
        raise _bad(field, "must not carry credentials")
    if allow_http:
        return
    try:
        address = ipaddress.ip_address(hostname)
    except ValueError:
        if hostname.endswith((".local", ".internal", ".localhost")) or "." not in hostname:
            raise _bad(field, "must be a public host name") from None
        return
    if not address.is_global:
        raise _bad(field, "must not point at a private, loopback or link-local address")


def check_resolves_public(url: str, allow_http: bool) -> None:
    """Every address the host resolves to must be global (no internal targets via DNS)."""
    check_url_syntax(url, "notify_url", allow_http)
    if allow_http:
        return
    host = urlsplit(url).hostname or ""
    try:
        infos = socket.getaddrinfo(host, 443, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        raise _bad("notify_url", f"host {host} does not resolve") from exc
    for info in infos:
        if not ipaddress.ip_address(info[4][0]).is_global:
            raise _bad("notify_url", f"host {host} resolves to a non-public address")
