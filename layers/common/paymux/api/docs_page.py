"""The API reference as one self-contained HTML page, rendered server-side from the OpenAPI
document: no scripts, no external stylesheets, fonts or images (the page sits next to payment
data and must work offline). Everything taken from the document is escaped.

Standard library only; `CONTENT_SECURITY_POLICY` allows nothing but the page's own style."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Sequence
from html import escape
from typing import Any

STYLE = """
body{font:15px/1.5 system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;color:#1f2328}
h2{border-bottom:1px solid #d0d7de;padding-bottom:.3rem;margin-top:2.5rem}
section{border:1px solid #d0d7de;border-radius:6px;padding:0 1rem 1rem;margin:1rem 0}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}
code{background:#f6f8fa;padding:0 .2rem;border-radius:3px;font-size:90%}
.method{font-weight:700;color:#fff;background:#0969da;border-radius:4px;padding:.1rem .5rem}
.muted{color:#59636e}
"""
_STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
MAX_DEPTH = 3

Row = tuple[str, str, str, str, str]  # name, type, required, constraints, description (all HTML)


def _e(value: Any) -> str:
    return escape(str(value), quote=True)


def _inline(text: str) -> str:
    """Escaped text with `code` spans."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", _e(text))


def _prose(text: str) -> str:
    """Paragraphs and "- " lists, the only markup the document's descriptions use."""
    blocks = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = block.splitlines()
        if lines and all(line.startswith("- ") for line in lines):
            items = "".join(f"<li>{_inline(line[2:])}</li>" for line in lines)
            blocks.append(f"<ul>{items}</ul>")
        elif block:
            blocks.append(f"<p>{_inline(' '.join(lines))}</p>")
    return "".join(blocks)


def _ref_name(schema: dict[str, Any]) -> str | None:
    ref = schema.get("$ref")
    return str(ref).rsplit("/", 1)[-1] if isinstance(ref, str) else None


def _link(name: str) -> str:
    return f'<a href="#schema-{_e(name)}">{_e(name)}</a>'


def _type(schema: Any) -> str:
    if not isinstance(schema, dict):
        return "any"
    name = _ref_name(schema)
    options = schema.get("oneOf") or schema.get("anyOf")
    kind = schema.get("type", "any")
    if name:
        text = _link(name)
    elif options:
        text = " | ".join(_type(option) for option in options)
    elif "const" in schema:
        text = f"{_e(kind)} <code>{_e(schema['const'])}</code>"
    elif kind == "array":
        text = f"array of {_type(schema.get('items'))}"
    elif kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        text = f"map of string to {_type(schema['additionalProperties'])}"
    else:
        text = _e(kind) + (f" ({_e(schema['format'])})" if "format" in schema else "")
    return text


_BOUNDS = (
    ("minLength", "length ≥ {}"),
    ("maxLength", "length ≤ {}"),
    ("minimum", "≥ {}"),
    ("exclusiveMinimum", "> {}"),
    ("maximum", "≤ {}"),
    ("exclusiveMaximum", "< {}"),
    ("maxProperties", "at most {} keys"),
)


def _constraints(schema: dict[str, Any]) -> str:
    parts = [_e(text.format(schema[key])) for key, text in _BOUNDS if key in schema]
    if "pattern" in schema:
        parts.append(f"pattern <code>{_e(schema['pattern'])}</code>")
    if "enum" in schema:
        parts.append("one of " + ", ".join(f"<code>{_e(v)}</code>" for v in schema["enum"]))
    if isinstance(schema.get("propertyNames"), dict):
        parts.append("keys: " + _constraints(schema["propertyNames"]))
    if isinstance(schema.get("additionalProperties"), dict) and (
        inner := _constraints(schema["additionalProperties"])
    ):
        parts.append("values: " + inner)
    for option in schema.get("anyOf", []):
        if inner := _constraints(option):
            parts.append(inner)
    if "default" in schema:
        parts.append(f"default <code>{_e(json.dumps(schema['default'], ensure_ascii=False))}</code>")
    return "; ".join(parts)


def _object(schema: dict[str, Any], schemas: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The named object schema that a property points at (directly or as `X | null`)."""
    options = [schema, *schema.get("anyOf", [])]
    for option in options:
        name = _ref_name(option)
        if name and "properties" in schemas.get(name, {}):
            return name, schemas[name]
    return None


def _fields(schema: dict[str, Any], schemas: dict[str, Any], prefix: str = "", depth: int = 0) -> list[Row]:
    rows: list[Row] = []
    required = set(schema.get("required", []))
    for name, prop in schema.get("properties", {}).items():
        description = _inline(prop.get("description", ""))
        rows.append(
            (f"<code>{_e(prefix + name)}</code>", _type(prop), "yes" if name in required else "no",
             _constraints(prop), description)
        )  # fmt: skip
        nested = _object(prop, schemas)
        if nested and depth + 1 < MAX_DEPTH:
            rows += _fields(nested[1], schemas, f"{prefix}{name}.", depth + 1)
    return rows


def _table(headers: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> str:
    if not rows:
        return ""
    head = "".join(f"<th>{h}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _field_table(schema: dict[str, Any], schemas: dict[str, Any]) -> str:
    return _table(("field", "type", "required", "constraints", "description"), _fields(schema, schemas))


def _parameters(params: list[dict[str, Any]]) -> str:
    rows = [
        (f"<code>{_e(p['name'])}</code>", _e(p["in"]), _type(p.get("schema")),
         "yes" if p.get("required") else "no", _constraints(p.get("schema", {})),
         _inline(p.get("description", "")))
        for p in params
    ]  # fmt: skip
    return _table(("name", "in", "type", "required", "constraints", "description"), rows)


def _body(content: dict[str, Any]) -> str:
    return "<br>".join(f"<code>{_e(media)}</code>: {_type(c.get('schema'))}" for media, c in content.items())


def _operation(method: str, path: str, op: dict[str, Any], schemas: dict[str, Any], anchor: str) -> str:
    """An operation, or (`anchor` webhook-…) a notification paymux sends to `path`."""
    parts = [
        f'<section id="{_e(anchor)}"><h3><span class="method">{_e(method.upper())}</span> '
        f"<code>{_e(path)}</code> {_e(op.get('summary', ''))}</h3>",
        f'<p class="muted">operationId <code>{_e(op.get("operationId", ""))}</code></p>',
    ]
    if op.get("security") == [] and not anchor.startswith("webhook-"):
        parts.append("<p><strong>No signature needed.</strong></p>")
    parts.append(_prose(op.get("description", "")))
    if params := op.get("parameters"):
        parts.append("<h4>Parameters</h4>" + _parameters(params))
    if body := op.get("requestBody"):
        parts.append("<h4>Request body</h4><p>" + _body(body.get("content", {})) + "</p>")
        names = dict.fromkeys(_ref_name(m.get("schema", {})) for m in body.get("content", {}).values())
        for name in names:  # once, though JSON and XML share it
            if name and name in schemas:
                parts.append(_field_table(schemas[name], schemas))
    rows = [
        (f"<code>{_e(status)}</code>", _prose(r.get("description", "")), _body(r.get("content", {})),
         ", ".join(f"<code>{_e(h)}</code>" for h in r.get("headers", {})))
        for status, r in op.get("responses", {}).items()
    ]  # fmt: skip
    parts.append("<h4>Responses</h4>" + _table(("status", "description", "body", "headers"), rows))
    return "".join(parts) + "</section>"


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    methods = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
    paths = spec.get("paths", {})
    return [(m, path, op) for path, item in paths.items() for m, op in item.items() if m in methods]


def _schema_section(name: str, schema: dict[str, Any], schemas: dict[str, Any]) -> str:
    text = _prose(schema.get("description", ""))
    if "enum" in schema:
        text += "<p>" + _constraints(schema) + "</p>"
    return (
        f'<section id="schema-{_e(name)}"><h3>{_e(name)}</h3>{text}{_field_table(schema, schemas)}</section>'
    )


def render(spec: dict[str, Any]) -> str:
    info = spec.get("info", {})
    schemas = spec.get("components", {}).get("schemas", {})
    operations = _operations(spec)
    hooks = [(event, m, op) for event, item in spec.get("webhooks", {}).items() for m, op in item.items()]
    toc = "".join(
        f'<li><a href="#op-{_e(op["operationId"])}">{_e(m.upper())} {_e(path)}</a> '
        f"{_e(op.get('summary', ''))}</li>"
        for m, path, op in operations
    )
    toc += "".join(
        f'<li><a href="#webhook-{_e(event)}">webhook {_e(event)}</a></li>' for event, _, _ in hooks
    )
    security = "".join(
        f"<h3>{_e(name)}</h3><p><code>{_e(s.get('type'))}</code> in {_e(s.get('in', ''))} "
        f"<code>{_e(s.get('name', ''))}</code></p>{_prose(s.get('description', ''))}"
        for name, s in spec.get("components", {}).get("securitySchemes", {}).items()
    )
    body = [
        f"<h1>{_e(info.get('title', 'API'))} <small class=muted>{_e(info.get('version', ''))}</small></h1>",
        _prose(info.get("description", "")),
        f'<p class="muted">OpenAPI {_e(spec.get("openapi", ""))}: '
        '<a href="openapi.json">the machine-readable document</a>.</p>',
        f"<h2>Contents</h2><ul>{toc}</ul>",
        f'<h2 id="authentication">Authentication</h2>{security}',
        "<h2>Operations</h2>",
        *(_operation(m, path, op, schemas, f"op-{op['operationId']}") for m, path, op in operations),
        '<h2 id="webhooks">Webhooks (notifications to your notify_url)</h2>',
        *(_operation(m, "notify_url", op, schemas, f"webhook-{event}") for event, m, op in hooks),
        '<h2 id="schemas">Schemas</h2>',
        *(_schema_section(name, schema, schemas) for name, schema in schemas.items()),
    ]
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(info.get('title', 'API'))}</title><style>{STYLE}</style></head>"
        f"<body>{''.join(body)}</body></html>\n"
    )
