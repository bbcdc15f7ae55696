"""The template's Cognito user pools, app clients and groups, created in moto's cognito-idp
(moto's CloudFormation does not model them), and the HTTP API's JWT authorizers played as API
Gateway plays them: before the function runs, the token in the identity source (Authorization,
`Bearer ` optional) must be an RS256 JWT signed by a key of the issuer's JWKS
(`<issuer>/.well-known/jwks.json`, fetched from moto), with `iss` the issuer, `aud` (ID token)
or `client_id` (access token) one of the audience, `exp` in the future, `nbf` and `iat` past;
otherwise 401 `{"message":"Unauthorized"}` and the function is not invoked. The claims go to
the event as API Gateway passes them (`requestContext.authorizer.jwt.claims`, every value a
string; an array as `[a b]`)."""

from __future__ import annotations

import base64
import json
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from local.intrinsics import Intrinsics
from local.resources import StackResources

POOL, CLIENT, GROUP = "AWS::Cognito::UserPool", "AWS::Cognito::UserPoolClient", "AWS::Cognito::UserPoolGroup"
_CLIENT_KEYS = ("ClientName", "ExplicitAuthFlows", "GenerateSecret", "ReadAttributes", "WriteAttributes")


class Unauthorized(Exception):
    """The token is missing or does not verify: API Gateway answers 401 without invoking."""


def _of_type(cfn: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    resources = cfn.get("Resources", {})
    return {k: r.get("Properties") or {} for k, r in resources.items() if r.get("Type") == kind}


def create_user_pools(cfn: dict[str, Any], resources: StackResources, resolve: Callable[[Any], Any]) -> None:
    """Pools, then their clients and groups; their Ref (and a pool's Arn) join `resources`."""
    idp = boto3.client("cognito-idp")
    for logical_id, props in _of_type(cfn, POOL).items():
        schema = [
            {**s, "AttributeDataType": s.get("AttributeDataType", "String")} for s in props.get("Schema", [])
        ]
        name = str(resolve(props.get("UserPoolName", logical_id)))
        pool = idp.create_user_pool(PoolName=name, Schema=schema)
        resources.refs[logical_id] = pool["UserPool"]["Id"]
        resources.attributes[(logical_id, "Arn")] = pool["UserPool"]["Arn"]
        resources.types[logical_id] = POOL
    for logical_id, props in _of_type(cfn, CLIENT).items():
        options = {k: props[k] for k in _CLIENT_KEYS if k in props}
        client = idp.create_user_pool_client(UserPoolId=resolve(props["UserPoolId"]), **options)
        resources.refs[logical_id] = client["UserPoolClient"]["ClientId"]
        resources.types[logical_id] = CLIENT
    for logical_id, props in _of_type(cfn, GROUP).items():
        idp.create_group(UserPoolId=resolve(props["UserPoolId"]), GroupName=props["GroupName"])
        resources.refs[logical_id] = props["GroupName"]
        resources.types[logical_id] = GROUP


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _claim_text(value: Any) -> str:
    """A claim as API Gateway puts it in the event."""
    if isinstance(value, list):
        return "[" + " ".join(str(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass
class JwtAuthorizer:
    issuer: str
    audience: list[str]
    jwks_url: str  # where this issuer's keys are served locally (moto)
    clock: Callable[[], float] = time.time
    _keys: dict[str, rsa.RSAPublicKey] = field(default_factory=dict)

    def _key(self, kid: str) -> rsa.RSAPublicKey:
        if kid not in self._keys:
            try:
                with urllib.request.urlopen(self.jwks_url, timeout=5) as answer:  # noqa: S310 (moto, loopback)
                    keys = json.loads(answer.read())["keys"]
            except (OSError, ValueError, KeyError) as exc:  # no keys to verify with: refused, never opened
                raise Unauthorized("the issuer's JWKS cannot be read") from exc
            for key in keys:
                numbers = rsa.RSAPublicNumbers(
                    int.from_bytes(_b64(key["e"]), "big"), int.from_bytes(_b64(key["n"]), "big")
                )
                self._keys[key["kid"]] = numbers.public_key()
        if kid not in self._keys:
            raise Unauthorized("no such key")
        return self._keys[kid]

    def claims(self, header: str) -> dict[str, str]:
        token = header.removeprefix("Bearer ").strip()
        parts = token.split(".")
        if len(parts) != 3:
            raise Unauthorized("not a JWT")
        try:
            head, payload = json.loads(_b64(parts[0])), json.loads(_b64(parts[1]))
            signature = _b64(parts[2])
        except ValueError as exc:
            raise Unauthorized("not a JWT") from exc
        if not isinstance(head, dict) or head.get("alg") != "RS256" or not isinstance(payload, dict):
            raise Unauthorized("not an RS256 JWT")
        try:
            signed = f"{parts[0]}.{parts[1]}".encode()
            self._key(str(head.get("kid"))).verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature as exc:
            raise Unauthorized("bad signature") from exc
        self._check(payload)
        return {k: _claim_text(v) for k, v in payload.items()}

    def _check(self, payload: dict[str, Any]) -> None:
        now = self.clock()
        if payload.get("iss") != self.issuer:
            raise Unauthorized("wrong issuer")
        audience = payload.get("aud") if "aud" in payload else payload.get("client_id")
        audiences = audience if isinstance(audience, list) else [audience]
        if not any(a in self.audience for a in audiences):
            raise Unauthorized("wrong audience")
        exp, nbf, iat = payload.get("exp"), payload.get("nbf", 0), payload.get("iat", 0)
        if not isinstance(exp, int | float) or exp <= now:
            raise Unauthorized("expired")
        if not all(isinstance(t, int | float) and t <= now for t in (nbf, iat)):
            raise Unauthorized("not yet valid (nbf or iat in the future)")


def jwt_authorizers(sam: dict[str, Any], resolver: Intrinsics, moto_url: str) -> dict[str, JwtAuthorizer]:
    """The JWT authorizers of the template's HttpApis, by name, verifying against moto."""
    found: dict[str, JwtAuthorizer] = {}
    for resource in sam.get("Resources", {}).values():
        if resource.get("Type") != "AWS::Serverless::HttpApi":
            continue
        authorizers = ((resource.get("Properties") or {}).get("Auth") or {}).get("Authorizers") or {}
        for name, spec in authorizers.items():
            config = spec.get("JwtConfiguration")
            if not config:
                continue
            issuer = str(resolver.resolve(config["issuer"]))
            audience = [str(a) for a in resolver.resolve(config.get("audience") or [])]
            pool_id = issuer.rsplit("/", 1)[-1]
            found[name] = JwtAuthorizer(issuer, audience, f"{moto_url}/{pool_id}/.well-known/jwks.json")
    return found
