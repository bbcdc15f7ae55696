"""SVG drawn on the server, the one set of marks every chart of paymux uses (the reconciliation
analytics page, services/analytics_page.py, and the console's dashboard, console/charts.py).

Every text and every attribute value goes through `xml_text`: labels come from merchant and
operator data (method names, account ids), so they are escaped, and the characters XML 1.0
cannot hold at all (C0 controls, lone surrogates, U+FFFE/U+FFFF) become U+FFFD, so that any
label still gives a document that parses. Numbers are written as `{:.1f}` (coordinates) or
exactly (`figure`: a mark's data-* value, read back as a number by tests and tools)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from html import escape

INK = "#222222"
SANS = "sans-serif"
# What XML 1.0 forbids in a document: replaced rather than dropped, so a reader sees that
# something was there.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

Attributes = Mapping[str, str | int | float | None]


def xml_text(value: object) -> str:
    return escape(_NOT_XML.sub("\ufffd", str(value)), quote=True)


def figure(value: int | float) -> str:
    """A figure as its exact decimal (repr round-trips a float; JavaScript's Number reads it back
    to the same double)."""
    return repr(value) if isinstance(value, float) else str(int(value))


def attributes(values: Attributes) -> str:
    """` name="value"` for each value that is not None, in the given order."""
    return "".join(f' {name}="{xml_text(v)}"' for name, v in values.items() if v is not None)


def _title(title: str | None) -> str:
    return f"<title>{xml_text(title)}</title>" if title is not None else ""


def text(
    x: float,
    y: float,
    content: str,
    anchor: str = "start",
    size: int = 12,
    *,
    family: str = SANS,
    fill: str = INK,
    extra: Attributes | None = None,
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" font-family="{xml_text(family)}" '
        f'fill="{xml_text(fill)}" text-anchor="{xml_text(anchor)}"{attributes(extra or {})}>'
        f"{xml_text(content)}</text>"
    )


def rect(
    x: float,
    y: float,
    w: float,
    h: float,
    fill: str,
    *,
    title: str | None = None,
    extra: Attributes | None = None,
) -> str:
    """A rectangle (negative sizes drawn as 0); with a title, the title is its tooltip and its
    accessible name."""
    shape = (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{max(h, 0):.1f}" '
        f'fill="{xml_text(fill)}"{attributes(extra or {})}'
    )
    return f"{shape}>{_title(title)}</rect>" if title is not None else f"{shape}/>"


def line(x1: float, y1: float, x2: float, y2: float, stroke: str) -> str:
    return f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{xml_text(stroke)}"/>'


def polyline(
    points: Sequence[tuple[float, float]],
    stroke: str,
    *,
    dash: str | None = None,
    title: str | None = None,
    extra: Attributes | None = None,
) -> str:
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    return (
        f'<polyline points="{path}" fill="none" stroke="{xml_text(stroke)}" stroke-width="2"'
        f"{attributes({'stroke-dasharray': dash, **(extra or {})})}>{_title(title)}</polyline>"
    )


def circle(
    x: float, y: float, r: float, fill: str, *, title: str | None = None, extra: Attributes | None = None
) -> str:
    return (
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="{xml_text(fill)}"'
        f"{attributes(extra or {})}>{_title(title)}</circle>"
    )


def document(
    chart_id: str,
    title: str,
    width: int,
    height: int,
    body: Sequence[str],
    *,
    desc: str | None = None,
) -> str:
    """One chart: role="img" with its <title> (and <desc>) first, as assistive technology reads
    them."""
    about = f"<desc>{xml_text(desc)}</desc>" if desc is not None else ""
    return (
        f'<svg id="{xml_text(chart_id)}" xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}"><title>{xml_text(title)}</title>{about}'
        + "".join(body)
        + "</svg>"
    )
