"""Console users for the local stack (`make dev`, tests): in the stack's Cognito pool (moto's
cognito-idp), with a permanent password, in the operators or merchants group; a merchant
user carries its merchant in custom:merchant_id."""

from __future__ import annotations

import secrets

import boto3

from local.stack import LocalStack


def add_console_user(stack: LocalStack, username: str, password: str, merchant_id: str = "") -> None:
    """An operator, or a merchant user of `merchant_id`."""
    assert stack.resources is not None  # a started stack  # nosec B101
    pool = stack.resources.refs["ConsoleUserPool"]
    idp = boto3.client("cognito-idp")
    attributes = [{"Name": "custom:merchant_id", "Value": merchant_id}] if merchant_id else []
    idp.admin_create_user(
        UserPoolId=pool, Username=username, UserAttributes=attributes, MessageAction="SUPPRESS"
    )
    idp.admin_set_user_password(UserPoolId=pool, Username=username, Password=password, Permanent=True)
    idp.admin_add_user_to_group(
        UserPoolId=pool, Username=username, GroupName="merchants" if merchant_id else "operators"
    )


def demo_console_users(stack: LocalStack, merchant_id: str) -> dict[str, str]:
    """`operator` and `merchant` (of `merchant_id`), each with a fresh password: username → password."""
    users = {"operator": "", "merchant": merchant_id}
    passwords = {}
    for username, merchant in users.items():
        # the pool's policy (an upper and a lower case letter, a digit, 12+): met whatever the token holds
        passwords[username] = "Pm-7" + secrets.token_urlsafe(12)
        add_console_user(stack, username, passwords[username], merchant)
    return passwords
