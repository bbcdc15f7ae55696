"""HTTP request -> payload 2.0 event, route selection, handler result -> HTTP response."""

from __future__ import annotations

import base64
import json

import pytest

from local.api import Route, build_event, find_route, http_api_routes, http_response

ROUTES = [
    Route("POST", "/v1/payments", "Create"),
    Route("GET", "/v1/payments", "List"),
    Route("GET", "/v1/payments/{payment_id}", "Get"),
    Route("POST", "/v1/payments/{payment_id}/close", "Close"),
    Route("ANY", "/v1/payments/{proxy+}", "Greedy"),
    Route("POST", "/v1/callbacks/{provider}/{account_id}", "Callback"),
]


def test_routes_are_read_from_http_api_events() -> None:
    sam = {
        "Resources": {
            "Fn": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "Events": {
                        "A": {"Type": "HttpApi", "Properties": {"Path": "/a/{id}", "Method": "get"}},
                        "Q": {"Type": "SQS", "Properties": {"Queue": "x"}},
                    }
                },
            },
            "Table": {"Type": "AWS::DynamoDB::Table"},
        }
    }
    assert http_api_routes(sam) == [Route("GET", "/a/{id}", "Fn")]


@pytest.mark.parametrize(
    ("method", "path", "function", "params"),
    [
        ("POST", "/v1/payments", "Create", {}),
        ("GET", "/v1/payments", "List", {}),
        ("GET", "/v1/payments/pay_1", "Get", {"payment_id": "pay_1"}),
        ("POST", "/v1/payments/pay_1/close", "Close", {"payment_id": "pay_1"}),
        ("DELETE", "/v1/payments/pay_1/x/y", "Greedy", {"proxy": "pay_1/x/y"}),
        ("POST", "/v1/callbacks/wechat/acc 1", "Callback", {"provider": "wechat", "account_id": "acc 1"}),
    ],
)
def test_the_most_specific_route_wins(method: str, path: str, function: str, params: dict[str, str]) -> None:
    found = find_route(ROUTES, method, path)
    assert found is not None
    assert (found[0].function, found[1]) == (function, params)


@pytest.mark.parametrize(("method", "path"), [("PUT", "/v1/payments"), ("GET", "/v2/x"), ("GET", "/")])
def test_unknown_routes_do_not_match(method: str, path: str) -> None:
    assert find_route(ROUTES, method, path) is None


def _event(
    headers: list[tuple[str, str]], body: bytes = b"", target: str = "/v1/payments/pay%201?b=2&a=1&a=3&e="
) -> dict:
    route = Route("GET", "/v1/payments/{payment_id}", "Get")
    return build_event("GET", target, headers, body, route, {"payment_id": "pay 1"}, "10.0.0.9", 3000)


def test_event_has_the_payload_2_shape() -> None:
    event = _event([("Host", "127.0.0.1:3000"), ("X-Multi", "1"), ("x-multi", "2"), ("User-Agent", "ua/1")])
    assert event["version"] == "2.0"
    assert event["routeKey"] == "GET /v1/payments/{payment_id}"
    assert event["rawPath"] == "/v1/payments/pay 1"  # HTTP APIs deliver the path decoded
    assert event["rawQueryString"] == "b=2&a=1&a=3&e="
    assert event["queryStringParameters"] == {"b": "2", "a": "1,3", "e": ""}
    assert event["pathParameters"] == {"payment_id": "pay 1"}
    assert event["headers"]["x-multi"] == "1,2"
    assert event["headers"]["x-forwarded-for"] == "10.0.0.9"
    assert event["headers"]["x-forwarded-proto"] == "http"
    assert all(name == name.lower() for name in event["headers"])
    assert event["isBase64Encoded"] is False
    assert "body" not in event and "cookies" not in event
    context = event["requestContext"]
    assert context["http"] == {
        "method": "GET",
        "path": "/v1/payments/pay 1",
        "protocol": "HTTP/1.1",
        "sourceIp": "10.0.0.9",
        "userAgent": "ua/1",
    }
    assert context["domainName"] == "127.0.0.1:3000"
    assert context["stage"] == "$default"
    assert context["routeKey"] == event["routeKey"]
    assert len(context["requestId"]) == 16
    assert isinstance(context["timeEpoch"], int)
    assert context["time"].endswith(" +0000")


def test_cookies_move_out_of_the_headers() -> None:
    event = _event([("Cookie", "a=1; b=2"), ("Cookie", "c=3")])
    assert event["cookies"] == ["a=1", "b=2", "c=3"]
    assert "cookie" not in event["headers"]


def test_json_and_text_bodies_are_passed_as_text() -> None:
    body = json.dumps({"amount": 100, "subject": "咖啡"}).encode()
    event = _event([("Content-Type", "application/json; charset=utf-8")], body)
    assert event["isBase64Encoded"] is False
    assert json.loads(event["body"]) == {"amount": 100, "subject": "咖啡"}


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/x-www-form-urlencoded", b"a=1&b=2"),  # as real HTTP APIs do
        ("", b"no content type"),
        ("application/octet-stream", b"\x00\xff"),
        ("text/plain", b"\xff\xfe not utf-8"),
    ],
)
def test_other_bodies_are_base64_encoded(content_type: str, body: bytes) -> None:
    headers = [("Content-Type", content_type)] if content_type else []
    event = _event(headers, body)
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == body


def test_response_with_status_headers_cookies() -> None:
    status, headers, body = http_response(
        {"statusCode": 201, "headers": {"Content-Type": "application/json"}, "body": "{}", "cookies": ["a=1"]}
    )
    assert (status, body) == (201, b"{}")
    assert headers == [("Content-Type", "application/json"), ("set-cookie", "a=1")]


def test_base64_response_is_decoded() -> None:
    raw = b"\x89PNG"
    status, _, body = http_response(
        {"statusCode": 200, "body": base64.b64encode(raw).decode(), "isBase64Encoded": True}
    )
    assert (status, body) == (200, raw)


def test_a_result_without_status_code_is_json_with_200() -> None:
    assert http_response({"ok": True}) == (200, [("content-type", "application/json")], b'{"ok": true}')
    assert http_response("hi") == (200, [("content-type", "application/json")], b"hi")


def test_a_non_string_body_is_an_error() -> None:
    with pytest.raises(TypeError):
        http_response({"statusCode": 200, "body": {"not": "a string"}})


@pytest.mark.parametrize(
    ("path", "function", "params"),
    [
        # An encoded slash stays inside its segment: never the close route, never greedy.
        ("/v1/payments/pay_1%2Fclose", "Get", {"payment_id": "pay_1/close"}),
        ("/v1/payments/a%2Fb%2Fc", "Get", {"payment_id": "a/b/c"}),
        ("/v1/payments/pay%5F1", "Get", {"payment_id": "pay_1"}),
    ],
)
def test_routes_match_the_raw_path_and_decode_each_parameter(path, function, params) -> None:
    found = find_route(ROUTES, "GET", path)
    assert found is not None
    assert (found[0].function, found[1]) == (function, params)


def test_an_encoded_slash_never_reaches_a_route_with_more_segments() -> None:
    assert find_route(ROUTES, "POST", "/v1/payments/pay_1%2Fclose") is not None
    found = find_route(ROUTES, "POST", "/v1/payments/pay_1%2Fclose")
    assert found is not None and found[0].function == "Greedy"  # not Close: ANY greedy
    assert find_route(ROUTES[:4], "POST", "/v1/payments/pay_1%2Fclose") is None


def test_the_default_route_takes_only_what_nothing_else_matches() -> None:
    routes = [*ROUTES[:4], Route("ANY", "$default", "Unrouted")]
    assert find_route(routes, "DELETE", "/v1/payments")[0].function == "Unrouted"
    assert find_route(routes, "GET", "/")[0].function == "Unrouted"
    assert find_route(routes, "GET", "/v1/payments/")[0].function == "Unrouted"
    assert find_route(routes, "POST", "/v1/payments")[0].function == "Create"
