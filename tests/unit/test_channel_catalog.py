"""docs/channels.md lists exactly what the registry offers, and every product is routable."""

from pathlib import Path

from paymux.channels.registry import carried_fields_table, catalog, markdown_table
from paymux.domain.methods import METHODS

DOC = Path(__file__).resolve().parents[2] / "docs" / "channels.md"


def test_the_documented_table_is_the_registry():
    text = DOC.read_text()
    documented = text.split("<!-- catalog:start -->\n", 1)[1].split("<!-- catalog:end -->", 1)[0]
    assert documented.strip() == markdown_table().strip(), (
        "docs/channels.md is stale: PYTHONPATH=layers/common .venv/bin/python -m paymux.channels.registry"
    )


def test_every_product_is_a_method_merchants_can_ask_for_and_vice_versa():
    assert {row["product"] for row in catalog()} == set(METHODS)


def test_the_documented_carried_fields_are_the_channels():
    text = DOC.read_text()
    documented = text.split("<!-- carried:start -->\n", 1)[1].split("<!-- carried:end -->", 1)[0]
    assert documented.strip() == carried_fields_table().strip(), (
        "docs/channels.md is stale: PYTHONPATH=layers/common .venv/bin/python -m paymux.channels.registry "
        "carried-fields"
    )
