"""The export function as deployed: an IAM-authorized GET route, least privilege (it can read
reports and list their keys, nothing else: no statement, no table, no secret), its own log
group, and a handler that imports neither pydantic nor the workbook writer."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from local.template import load_template
from tests.support import ROOT

NAME = "AdminGetReconciliationReportFunction"


@pytest.fixture(scope="module")
def function() -> dict[str, Any]:
    resources: dict[str, Any] = load_template(ROOT / "template.yaml")["Resources"]
    return {"self": resources[NAME], "resources": resources}


def test_the_route_is_iam_authorized(function: dict[str, Any]) -> None:
    api = function["self"]["Properties"]["Events"]["Api"]["Properties"]
    assert (api["Method"], api["Path"]) == ("GET", "/v1/admin/reconciliation/{date}/reports/{format}")
    assert api["Auth"] == {"Authorizer": "AWS_IAM"}


def test_it_may_read_reports_only(function: dict[str, Any]) -> None:
    statements = [s for p in function["self"]["Properties"]["Policies"] for s in p["Statement"]]
    granted = {(s["Action"], json.dumps(s["Resource"]), json.dumps(s.get("Condition"))) for s in statements}
    assert granted == {
        ("s3:GetObject", json.dumps({"Fn::Sub": "${ReportsBucket.Arn}/reports/*"}), "null"),
        (
            "s3:ListBucket",
            json.dumps({"Fn::GetAtt": ["ReportsBucket", "Arn"]}),
            json.dumps({"StringLike": {"s3:prefix": "reports/*"}}),
        ),
    }
    log_group = function["self"]["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
    name = json.dumps(function["resources"][log_group]["Properties"]["LogGroupName"])
    assert name.endswith('/admin_get_reconciliation_report"}')


def test_the_handler_imports_no_pydantic_and_no_workbook_writer() -> None:
    code = (
        "import importlib.util, sys\n"
        "spec = importlib.util.spec_from_file_location('app', 'functions/admin_get_reconciliation_report/app.py')\n"
        "spec.loader.exec_module(importlib.util.module_from_spec(spec))\n"
        "assert 'pydantic' not in sys.modules, 'pydantic imported'\n"
        "assert 'xlsxwriter' not in sys.modules, 'xlsxwriter imported'\n"
    )
    env = {"PYTHONPATH": str(ROOT / "layers" / "common"), "PATH": ""}
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True)
