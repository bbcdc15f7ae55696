"""The cold-start benchmark: its pure parts, and one real (untimed) run of the subprocess harness."""

import json
from pathlib import Path

import pytest

from bench import cold_start, report, staging
from bench.__main__ import SECTIONS, main
from bench.stats import median, p90, ratio, summarize
from paymux.config import Settings

REPO = Path(__file__).resolve().parents[2]


def test_median_p90_and_summary() -> None:
    assert median([3.0, 1.0, 2.0]) == 2.0
    assert median([4.0, 1.0, 3.0, 2.0]) == 2.5
    assert p90([7.0]) == 7.0
    assert p90([float(x) for x in range(1, 11)]) == pytest.approx(9.1)
    s = summarize([5.0, 1.0, 3.0])
    assert (s.n, s.median, s.minimum, s.maximum) == (3, 3.0, 1.0, 5.0)
    assert s.as_dict()["median"] == 3.0
    with pytest.raises(ValueError):
        median([])


def test_ratio() -> None:
    assert ratio(150.0, 100.0) == 1.5
    with pytest.raises(ValueError):
        ratio(1.0, 0.0)


def test_discovery_finds_every_function_app() -> None:
    expected = sorted(p.parent.name for p in (REPO / "functions").glob("*/app.py"))
    assert expected
    assert staging.discover_functions() == expected


def test_discovery_ignores_folders_without_app(tmp_path: Path) -> None:
    for name in ("b_fn", "a_fn"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "app.py").write_text("")
    (tmp_path / "not_a_function").mkdir()
    assert staging.discover_functions(tmp_path) == ["a_fn", "b_fn"]


def test_clients_each_function_builds_first() -> None:
    assert cold_start.clients_for("get_payment") == ("dynamodb", "secretsmanager")
    assert "sqs" in cold_start.clients_for("close_payment")
    assert "s3" in cold_start.clients_for("reconcile")


def test_lambda_env_satisfies_settings(tmp_path: Path) -> None:
    env = cold_start.lambda_env("get_payment", tmp_path)
    assert env["PYTHONDONTWRITEBYTECODE"] == "1"
    assert Settings.from_env(env).table == "t"


def _series(
    name: str, import_ms: list[float], first_use_ms: list[float], directory: Path
) -> cold_start.Series:
    series = cold_start.Series(cold_start.Target(name, directory, cold_start.clients_for(name)))
    series.import_ms, series.first_use_ms = import_ms, first_use_ms
    return series


def test_result_and_table_formatting(tmp_path: Path) -> None:
    for name, source in (("fast", "import paymux\n"), ("slow", "import paymux\n"), ("stub", "x = 1\n")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "app.py").write_text(source)
    staged = staging.Staged(tmp_path, tmp_path, {}, tmp_path / "layer", tmp_path / "site", 40, 40)
    bare = _series(cold_start.BARE_LABEL, [100.0, 110.0, 90.0], [100.0, 110.0, 90.0], tmp_path)
    fast = _series("fast", [50.0, 60.0, 40.0], [140.0, 150.0, 130.0], tmp_path / "fast")
    slow = _series("slow", [200.0, 210.0, 190.0], [300.0, 310.0, 290.0], tmp_path / "slow")
    stub = _series("stub", [0.1, 0.2, 0.3], [120.0, 120.0, 120.0], tmp_path / "stub")
    broken = _series("broken", [], [], tmp_path / "fast")
    broken.error = "broken: exit 1: ImportError: nope"

    result = cold_start.build_result(staged, bare, [fast, slow, stub, broken], repeat=3, load=(0.1, 99.0))
    rows = {r["name"]: r for r in result["functions"]}
    assert rows["fast"]["import_ratio"] == 0.5 and rows["fast"]["import_pass"]
    assert rows["fast"]["import_clients_ratio"] == 1.4 and rows["fast"]["import_clients_pass"]
    assert rows["slow"]["import_ratio"] == 2.0 and not rows["slow"]["import_pass"]
    assert rows["stub"]["stub"] and not rows["fast"]["stub"]
    assert rows["broken"]["error"].endswith("nope")
    json.dumps(result)  # the JSON file gets exactly this

    lines = report.format_table(result).splitlines()
    assert lines[0].startswith("cold start (median of 3 fresh processes, ms)")
    assert lines[1].startswith(cold_start.BARE_LABEL) and "1.00x" in lines[1] and "PASS" not in lines[1]
    fast_line = next(line for line in lines if line.startswith("fast "))
    assert fast_line.split()[1:] == [
        "50.0",
        "58.0",
        "0.50x",
        "PASS",
        "140.0",
        "148.0",
        "1.40x",
        "PASS",
        "ddb+sm",
    ]
    assert "2.00x  FAIL" in next(line for line in lines if line.startswith("slow "))
    assert any(line.startswith("stub *") for line in lines)
    assert any("load avg 0.1 -> 99.0" in line for line in lines)
    assert any(line.startswith("machine was busy") for line in lines)
    assert "ERROR" in next(line for line in lines if line.startswith("broken "))
    summary = lines[-1]
    assert summary.startswith("RESULT") and "import FAIL (2/4, worst slow 2.00x)" in summary
    assert "1 function(s) failed to import" in summary and "1 placeholder(s)" in summary


def test_sections_and_cli_dispatch(capsys: pytest.CaptureFixture[str]) -> None:
    assert "cold_start" in dict(SECTIONS)
    assert main(["no_such_section"]) == 2
    assert "unknown section" in capsys.readouterr().err
    assert cold_start.run(["--functions", "no_such_function"]) == 2


def test_one_real_measurement(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Two fresh processes (bare + one function), --repeat 1: proves the harness, asserts no speed."""
    names = staging.discover_functions()
    name = "get_payment" if "get_payment" in names else names[0]
    out = tmp_path / "cold_start.json"
    argv = ["cold_start", "--repeat", "1", "--warmup", "0", "--functions", name, "--json", str(out)]
    assert main(argv) == 0

    result = json.loads(out.read_text())
    assert result["bare"]["import_ms"]["median"] > 0
    (row,) = result["functions"]
    assert row["name"] == name and "error" not in row
    assert row["import_ms"]["median"] > 0
    assert row["import_clients_ms"]["median"] >= row["import_ms"]["median"]
    assert result["layer"]["precompiled"] == result["layer"]["modules"] > 0
    printed = capsys.readouterr().out
    assert cold_start.BARE_LABEL in printed and name in printed and "RESULT" in printed


def test_failing_function_is_reported_not_fatal(tmp_path: Path) -> None:
    (tmp_path / "bare").mkdir()
    (tmp_path / "bare" / "app.py").write_text(staging.BARE_SOURCE)
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "app.py").write_text("raise ImportError('boom')\n")
    layer = REPO / "layers" / "common"
    functions = {"broken": tmp_path / "broken"}
    staged = staging.Staged(tmp_path, tmp_path / "bare", functions, layer, staging.site_packages(), 0, 0)
    bare, (broken,) = cold_start.measure(staged, repeat=1, warmup=0)
    assert bare.import_ms[0] > 0 and bare.error is None
    assert broken.error is not None and "boom" in broken.error and not broken.import_ms
