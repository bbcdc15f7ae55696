"""The console's page: its language, and a Content-Security-Policy that allows exactly its one
inline style sheet and one inline script (by hash) and nothing from anywhere else."""

from __future__ import annotations

import json
import re
from html import escape

from paymux.checkout.assets import csp_hash
from paymux.console.charts import CHARTS
from paymux.console.page import console_page
from paymux.console.text import TEXT


def test_the_page_speaks_the_asked_language() -> None:
    assert "<html lang='zh-CN'>" in console_page({}, "")["body"]
    assert "<html lang='en'>" in console_page({}, "en-GB,en;q=0.9")["body"]
    assert "<html lang='zh-CN'>" in console_page({"lang": "zh-CN"}, "en")["body"]
    assert "<html lang='en'>" in console_page({"lang": "fr"}, "fr, en;q=0.5")["body"]
    page = console_page({"lang": "en"}, "")["body"]
    words = re.search(r"<script type='application/json' id='i18n'>(.*?)</script>", page)
    assert words is not None and json.loads(words.group(1)) == TEXT["en"]
    assert "Sign in" in page and "登录" not in page


def test_the_policy_allows_the_inline_style_and_script_by_hash_and_nothing_else() -> None:
    answer = console_page({}, "")
    page, csp = answer["body"], answer["headers"]["Content-Security-Policy"]
    scripts = re.findall(r"<script>(.*?)</script>", page, re.S)
    styles = re.findall(r"<style>(.*?)</style>", page, re.S)
    assert len(scripts) == len(styles) == 1
    assert f"script-src {csp_hash(scripts[0])};" in csp
    assert f"style-src {csp_hash(styles[0])};" in csp
    assert "default-src 'none'" in csp and "connect-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe" not in csp and "http" not in csp
    assert not re.search(r"(src|href)=['\"]?https?:", page), "nothing is loaded from elsewhere"
    assert " style=" not in page and "onclick=" not in page
    assert answer["headers"]["X-Frame-Options"] == "DENY"
    assert answer["headers"]["Cache-Control"] == "no-store"


def test_the_dashboard_shows_the_servers_charts_as_images_the_policy_allows_as_data() -> None:
    """The charts are SVG drawn on the server (console/charts.py), shown through <img> from a
    data: URL: the page draws none itself and its policy adds nothing to show them."""
    answer = console_page({"lang": "en"}, "")
    page, csp = answer["body"], answer["headers"]["Content-Security-Policy"]
    for key in CHARTS:
        assert f"<img id='chart-{key}' alt='{escape(TEXT['en'][key])}'>" in page
    assert "<svg" not in page and "createElementNS" not in page
    assert "img-src 'self' data:;" in csp and "unsafe" not in csp
