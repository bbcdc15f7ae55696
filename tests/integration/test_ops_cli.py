"""`python -m ops --local …` exactly as docs/operations.md shows it: a separate process, started
from the repository root with the venv's python and no PYTHONPATH, that finds the local stack
from the state `make dev` writes (its outputs by logical name and its moto endpoint) with none
of the stack's variables in its environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from local.state import STATE_ENV, write_state
from paymux.deps import Deps
from tests.integration.conftest import World
from tests.support import ROOT


def ops(state: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PAYMUX_", "AWS_", "PYTHON"))}
    env[STATE_ENV] = str(state)
    return subprocess.run(
        [sys.executable, "-m", "ops", "--local", *argv],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_cli_runs_against_the_local_stack_without_pythonpath(world: World, tmp_path: Path):
    outputs = world.stack.outputs
    assert outputs["TableName"] == world.d.settings.table
    assert outputs["CallbackBaseUrl"] == f"{world.stack.api_url}/v1/callbacks"
    state = tmp_path / "stack.json"
    write_state(state, world.stack.state())

    created = ops(state, "merchants", "create", "app_cli1", "--merchant-id", "mch_cli1", "--name", "CLI")
    assert created.returncode == 0, created.stderr
    secret = json.loads(created.stdout)["secret"]
    fresh = Deps(settings=world.d.settings, clock=world.clock)
    app = fresh.merchants.app("app_cli1")
    assert app is not None and (app.merchant_id, app.name) == ("mch_cli1", "CLI")
    assert [k.secret for k in fresh.merchants.signing_keys("app_cli1")] == [secret]

    listed = ops(state, "channels", "list")
    assert listed.returncode == 0, listed.stderr
    assert world.account_id in [a["account_id"] for a in json.loads(listed.stdout)]

    again = ops(state, "merchants", "create", "app_cli1", "--merchant-id", "mch_other")
    assert (again.returncode, again.stdout) == (2, "")
    assert "app_cli1 already exists" in again.stderr and "Traceback" not in again.stderr
    assert [k.secret for k in fresh.merchants.signing_keys("app_cli1")] == [secret]


def test_without_a_running_local_stack_it_says_so(tmp_path: Path):
    missing = ops(tmp_path / "absent.json", "channels", "list")
    assert missing.returncode == 2 and "is `make dev` running?" in missing.stderr
