"""The local stack's demo console users get passwords the pool's policy accepts, whatever the
random part holds (a token without a digit made moto refuse the password, and every test of a
world with demo users errored at set-up about one run in fifteen)."""

from __future__ import annotations

from typing import Any

import pytest

import local.console_users as console_users
from paymux.console.login import broken_rules


@pytest.mark.parametrize(
    "token", ["abcdefghijklmnop", "ABCDEFGHIJKLMNOP", "----------------", "0123456789012345"]
)
def test_demo_passwords_meet_the_policy_whatever_the_token(
    monkeypatch: pytest.MonkeyPatch, token: str
) -> None:
    made: dict[str, str] = {}

    def add(stack: Any, username: str, password: str, merchant_id: str = "") -> None:
        made[username] = password

    monkeypatch.setattr(console_users.secrets, "token_urlsafe", lambda n: token)
    monkeypatch.setattr(console_users, "add_console_user", add)
    passwords = console_users.demo_console_users(object(), "mch_demo")  # type: ignore[arg-type]
    assert passwords == made and set(made) == {"operator", "merchant"}
    assert all(broken_rules(p) == [] for p in made.values()), made
