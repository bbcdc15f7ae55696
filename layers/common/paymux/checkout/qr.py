"""QR codes drawn on the server as inline SVG (segno, shipped in the layer): no script, no
image request, nothing the page's Content-Security-Policy has to allow."""

from __future__ import annotations


def qr_svg(text: str) -> str:
    import segno  # noqa: PLC0415 - only the page's functions draw codes

    code = segno.make(text, error="m")
    svg: str = code.svg_inline(scale=4, dark="#000", light="#fff", omitsize=True)
    return svg.replace('class="segno"', 'class="segno" role="img" aria-label="QR"', 1)
