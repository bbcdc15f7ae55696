"""Starting and stopping: threads joined, servers closed, environment given back, Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import types
from pathlib import Path

import boto3
import pytest
import requests

import local.__main__ as main_module
from local.stack import LocalStack, LocalStackError
from local.template import TemplateError

FIXTURE_TEMPLATE = Path(__file__).parent / "fixtures" / "template.yaml"
REPO = Path(__file__).resolve().parents[2]


def _local_threads() -> set[str]:
    prefixes = ("api-", "sqs-", "schedule-")
    return {t.name for t in threading.enumerate() if t.name.startswith(prefixes) and t.is_alive()}


def _answers(url: str) -> bool:
    try:
        requests.get(url, timeout=2)
    except requests.ConnectionError:
        return False
    return True


def test_stop_joins_threads_closes_servers_and_restores_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://kept.example")
    monkeypatch.delenv("PAYMUX_TABLE", raising=False)
    path_before = list(sys.path)
    threads_before = _local_threads()
    seen: list[str] = []
    stack = LocalStack(api_port=0, moto_port=0, template_path=FIXTURE_TEMPLATE)
    stack.on_started.append(lambda s: seen.append(os.environ["PAYMUX_TABLE"]))
    stopped: list[tuple[bool, bool]] = []
    stack.on_stopped.append(lambda s: stopped.append((_answers(api_url), _answers(moto_url))))
    stack.start()
    api_url, moto_url = stack.api_url, stack.moto_url
    assert seen == [stack.env["PAYMUX_TABLE"]]  # hooks run once resources exist
    assert os.environ["AWS_ENDPOINT_URL"] == moto_url
    assert _local_threads() - threads_before == {
        f"api-{stack.stack_name}",
        "sqs-WorkerFunction",
        "schedule-TickFunctionEveryMinute",
        "schedule-TickFunctionNightly",
    }
    assert requests.get(f"{api_url}/v1/items", timeout=5).status_code == 200

    started = time.monotonic()
    stack.stop()
    assert time.monotonic() - started < 5
    assert stopped == [(False, True)]  # on_stopped runs after the API closed, while moto is up
    assert _local_threads() == threads_before
    assert os.environ["AWS_ENDPOINT_URL"] == "http://kept.example"
    assert "PAYMUX_TABLE" not in os.environ
    assert sys.path == path_before
    assert not _answers(api_url) and not _answers(moto_url)
    stack.stop()  # a second stop is harmless
    assert len(stopped) == 1


def test_a_failed_start_leaves_nothing_behind(tmp_path: Path) -> None:
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    threads_before = _local_threads()
    stack = LocalStack(api_port=0, moto_port=0, template_path=tmp_path / "missing.yaml")
    with pytest.raises(TemplateError):
        stack.start()
    assert os.environ.get("AWS_ENDPOINT_URL") == endpoint
    assert _local_threads() == threads_before
    with pytest.raises(LocalStackError):
        _ = stack.api_url


def test_a_stack_started_inside_another_nests_and_restores_its_environment() -> None:
    outer = LocalStack(
        api_port=0, moto_port=0, schedules=False, sqs_poll=False, template_path=FIXTURE_TEMPLATE
    )
    with outer:
        outer_env = dict(os.environ)
        table = boto3.client("dynamodb").describe_table(TableName=outer.env["PAYMUX_TABLE"])
        inner = LocalStack(
            api_port=0, moto_port=0, schedules=False, sqs_poll=False, template_path=FIXTURE_TEMPLATE
        )
        with inner:
            assert inner.stack_name.startswith("paymux-local-")
            assert inner.stack_name != outer.stack_name
            assert inner.env["PAYMUX_TABLE"] != outer.env["PAYMUX_TABLE"]
            assert os.environ["PAYMUX_TABLE"] == inner.env["PAYMUX_TABLE"]
            with pytest.raises(LocalStackError, match="already running"):
                inner.start()
        assert dict(os.environ) == outer_env
        stacks = boto3.client("cloudformation").list_stacks(StackStatusFilter=["CREATE_COMPLETE"])
        names = {s["StackName"] for s in stacks["StackSummaries"]}
        assert outer.stack_name in names and inner.stack_name not in names  # deleted on stop
        # The inner stack shared moto's backends without wiping the outer stack's resources.
        again = boto3.client("dynamodb").describe_table(TableName=outer.env["PAYMUX_TABLE"])
        assert again["Table"]["TableArn"] == table["Table"]["TableArn"]
        assert requests.get(f"{outer.api_url}/v1/items", timeout=5).status_code == 200


def test_demo_setup_runs_before_start_when_local_demo_exists(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[LocalStack] = []
    demo = types.ModuleType("local.demo")
    demo.setup = calls.append  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "local.demo", demo)
    stack = LocalStack(template_path=FIXTURE_TEMPLATE)
    main_module.install_demo(stack)
    assert calls == [stack]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_python_m_local_stops_cleanly_on_signals(signum: int) -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "local",
            "--template",
            str(FIXTURE_TEMPLATE),
            "--port",
            "0",
            "--moto-port",
            "0",
            "--no-demo",  # the bare stack; local/demo.py is tested with the demo
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        banner = ""
        deadline = time.monotonic() + 60
        while "local API" not in banner and time.monotonic() < deadline and process.poll() is None:
            banner = process.stdout.readline() or banner
        assert "local API" in banner, process.stderr.read() if process.stderr else ""
        api_url = banner.split("local API: ")[1].split()[0]
        assert requests.get(f"{api_url}/v1/items", timeout=5).status_code == 200
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0
    assert "Traceback" not in stderr
    assert "GET /v1/items 200" in stderr
    assert "stopping" in stderr
