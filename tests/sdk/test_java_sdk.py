"""The Java SDK (sdk/java) with its own toolchain: javac and java from the JDK, Maven offline.

* its specs (every golden vector, JSON, models and errors, the retry rules against a fake
  server) run with the JDK alone, and a tampered vector makes them fail;
* the Maven package builds offline when ~/.m2 holds the pinned plugins;
* examples/EndToEnd.java runs the SDK world's flow against the local stack, and the SERVER's
  stored state is checked, not only what the program printed;
* the README's quick start runs and the server holds its payment.

Every build output goes to pytest's temporary directories."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.sdk.world import World

ROOT = Path(__file__).resolve().parents[2]
JAVA = ROOT / "sdk" / "java"
VECTORS = ROOT / "sdk" / "testvectors"
M2 = Path.home() / ".m2" / "repository"
# What `mvn -o package` needs from ~/.m2 (the versions pinned in sdk/java/pom.xml).
MAVEN_NEEDS = (
    "org/apache/maven/plugins/maven-compiler-plugin/3.13.0",
    "org/apache/maven/plugins/maven-surefire-plugin/3.2.5",
    "org/apache/maven/plugins/maven-jar-plugin/3.4.1",
    "org/apache/maven/plugins/maven-resources-plugin/3.3.1",
    "org/apache/maven/surefire/surefire-junit-platform/3.2.5",
    "org/junit/jupiter/junit-jupiter/5.10.2",
)
SPEC_RUNNER = "cn.paymux.SpecRunner"


def _run(
    command: list[str], env: dict[str, str] | None = None, timeout: float = 100
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=JAVA, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="module")
def classes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The SDK and its specs compiled with javac (a JDK is required: .ci/run installs one)."""
    assert shutil.which("javac") and shutil.which("java"), "the Java SDK's tests need a JDK (javac, java)"
    out = tmp_path_factory.mktemp("java-classes")
    sources = [
        str(p)
        for p in sorted((JAVA / "src").rglob("*.java"))
        if not p.name.startswith("JUnit")  # JUnit's bridge is for Maven only
    ]
    built = _run(["javac", "-Xlint:all", "-Werror", "-encoding", "UTF-8", "-d", str(out), *sources])
    assert built.returncode == 0, built.stdout + built.stderr
    return out


def _specs(classes: Path, vectors: Path) -> subprocess.CompletedProcess[str]:
    return _run(["java", "-cp", str(classes), f"-Dpaymux.testvectors={vectors}", SPEC_RUNNER])


def test_the_specs_pass_with_the_jdk_alone(classes: Path) -> None:
    result = _specs(classes, VECTORS)
    assert result.returncode == 0, result.stdout + result.stderr
    passed = [line.split()[1] for line in result.stdout.splitlines() if line.startswith("ok ")]
    assert re.search(rf"^{len(passed)} passed, 0 failed$", result.stdout, re.M)
    for check in (
        "SigningVectorsSpec.everyCaseSignsAsTheServer",
        "WebhookVectorsSpec.everyVerifyCaseIsAcceptedOrRefusedAsTheServerSigns",
        "WebhookVectorsSpec.everyGenerateCaseMakesTheServersHeader",
        "ReturnVectorsSpec.everyCaseIsAcceptedOrRefusedAsTheServerSigns",
        "RetrySpec.a503IsRetriedWithTheSameKeyAndANewNonce",
        "RetrySpec.clientErrorsWithoutTheMarkerAreNotRetried",
        "RetrySpec.theMarkerTrueRetriesEvenA409",
        "RetrySpec.theMarkerFalseIsNeverRetriedEvenA503",
        "RetrySpec.aKeptAliveConnectionClosedWithoutAnAnswerIsRetriedOnceWithRetriesOff",
        "ReviewSpec.theToleranceIsComparedToTheMillisecond",
        "ReviewSpec.aToleranceOfZeroDisablesTheCheckANegativeOneIsRefused",
        "ReviewSpec.anEmptyOrNullSecretIsASignatureError",
        "ReviewSpec.aLeadingQuestionMarkIsStripped",
        "ReviewSpec.theMerchantsOwnParametersAreIgnoredPaymuxsMayNotRepeat",
        "ReviewSpec.everyStatusHasItsTypeAndAnAnswerWithoutTheEnvelopeIsHttpStatus",
        "ReviewSpec.anEmptyIdempotencyKeyIsGenerated",
    ):
        assert check in passed


def test_a_tampered_golden_vector_fails_the_specs(classes: Path, tmp_path: Path) -> None:
    for name in ("request_signing", "webhooks", "returns"):
        shutil.copy(VECTORS / f"{name}.json", tmp_path / f"{name}.json")
    signing = json.loads((tmp_path / "request_signing.json").read_text())
    signing["cases"][-1]["signature"] = "0" * 64
    (tmp_path / "request_signing.json").write_text(json.dumps(signing))
    webhooks = json.loads((tmp_path / "webhooks.json").read_text())
    webhooks["verify"][-1]["valid"] = True  # an invalid case (two timestamps), now claimed valid
    (tmp_path / "webhooks.json").write_text(json.dumps(webhooks))

    result = _specs(classes, tmp_path)

    assert result.returncode == 1
    assert "FAIL SigningVectorsSpec.everyCaseSignsAsTheServer" in result.stdout
    assert signing["cases"][-1]["name"] in result.stdout
    assert "FAIL WebhookVectorsSpec.everyVerifyCaseIsAcceptedOrRefusedAsTheServerSigns" in result.stdout
    assert "ok   ReturnVectorsSpec.everyCaseIsAcceptedOrRefusedAsTheServerSigns" in result.stdout


MAVEN_TIMEOUT = 180  # seconds for `mvn -o package`; pytest's own timeout must outlast it


@pytest.mark.timeout(MAVEN_TIMEOUT + 60)  # pytest-timeout's default here (120 s) is shorter than Maven's
def test_the_maven_package_builds_offline(tmp_path: Path) -> None:
    if shutil.which("mvn") is None:
        pytest.skip("Maven is not installed (.ci/run installs it)")
    missing = [need for need in MAVEN_NEEDS if not (M2 / need).is_dir()]
    if missing:
        pytest.skip(f"~/.m2 lacks what `mvn -o package` needs offline: {', '.join(missing)}")
    build = tmp_path / "target"
    result = _run(
        ["mvn", "-o", "-q", "-B", f"-Dpaymux.buildDirectory={build}", "package"], timeout=MAVEN_TIMEOUT
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert (build / "paymux-java-0.1.0.jar").is_file()
    report = (build / "surefire-reports" / "TEST-cn.paymux.JUnitSpecsTest.xml").read_text()
    totals = re.search(r'<testsuite [^>]*tests="(\d+)"[^>]*failures="(\d+)"', report)
    assert totals and int(totals.group(1)) >= 30 and totals.group(2) == "0"


def test_the_package_grants_no_licence_the_repository_does_not() -> None:
    # the repository has no LICENSE: the four SDKs' manifests all say so (UNLICENSED/proprietary)
    assert not list(ROOT.glob("LICEN[CS]E*"))
    pom = (JAVA / "pom.xml").read_text()
    assert re.search(r"<licenses>\s*<license>\s*<name>UNLICENSED</name>", pom), pom[:1500]


def _env(world_env: dict[str, str]) -> dict[str, str]:
    return {**os.environ, **world_env}


@pytest.mark.e2e
def test_end_to_end_against_the_local_stack(world: World, classes: Path) -> None:
    env = world.env("java")
    result = _run(["java", "-cp", str(classes), "examples/EndToEnd.java"], env=_env(env), timeout=90)
    assert result.returncode == 0, result.stdout + result.stderr
    seen: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])

    order_no = env["PAYMUX_ORDER_PREFIX"] + "-1"
    stored = world.payment_by_order_no(order_no)
    assert stored is not None and stored.payment_id == seen["payment_id"]
    assert stored.status == "SUCCESS" and stored.amount == 1999
    refund = world.d.refunds.get(seen["refund_id"])
    assert refund is not None
    assert (refund.payment_id, refund.amount) == (stored.payment_id, 500)
    assert refund.merchant_refund_no == env["PAYMUX_ORDER_PREFIX"] + "-R1"
    assert stored.amount - stored.amount_refund_reserved == 1499

    # the program verified the notification paymux really sent, and refused a forgery
    assert seen["event_type"] == "payment.succeeded"
    assert seen["event_id"] == seen["notification_header_event_id"]
    delivered = [r for r in world.receiver.received if r["event_id"] == seen["event_id"]]
    assert delivered and json.loads(base64.b64decode(delivered[0]["body_base64"]))["data"]["object"][
        "id"
    ] == (stored.payment_id)
    assert (seen["event_payment_id"], seen["event_payment_status"]) == (stored.payment_id, "SUCCESS")
    assert seen["tampered_refused"] is True and seen["other_secret_refused"] is True
    assert seen["refund_get_id"] == seen["refund_id"]
    assert seen["found_id"] == stored.payment_id
    assert seen["found_amount_refundable"] == 1499


def _readme_snippet() -> list[str]:
    readme = (JAVA / "README.md").read_text()
    block = readme.split("<!-- snippet:start -->", 1)[1].split("<!-- snippet:end -->", 1)[0]
    code = block.split("```java", 1)[1].split("```", 1)[0]
    return [line for line in code.splitlines() if line.strip()]


@pytest.mark.e2e
def test_the_readme_quick_start_runs(world: World, classes: Path, tmp_path: Path) -> None:
    lines = _readme_snippet()
    assert len(lines) < 5
    env = world.env("java")
    order_no = env["PAYMUX_ORDER_PREFIX"] + "-README"
    substituted = [
        line.replace("app_YOUR_APP_ID", env["PAYMUX_APP_ID"])
        .replace("sk_YOUR_SECRET", env["PAYMUX_SECRET"])
        .replace("https://shop.example.com/paymux/notify", env["PAYMUX_NOTIFY_URL"])
        .replace("ORDER-1001", order_no)
        for line in lines
    ]
    for placeholder in (
        "app_YOUR_APP_ID",
        "sk_YOUR_SECRET",
        "https://shop.example.com/paymux/notify",
        "ORDER-1001",
    ):
        assert placeholder in "\n".join(lines)
    imports = [line for line in substituted if line.startswith("import ")]
    body = [line for line in substituted if not line.startswith("import ")]
    program = tmp_path / "Snippet.java"
    program.write_text(
        "\n".join(imports)
        + "\npublic class Snippet {\n  public static void main(String[] args) throws Exception {\n"
        + "\n".join(body)
        + "\n  }\n}\n"
    )

    result = _run(["java", "-cp", str(classes), str(program)], env=_env(env), timeout=60)

    assert result.returncode == 0, result.stdout + result.stderr
    stored = world.payment_by_order_no(order_no)
    assert stored is not None and stored.amount == 1999 and stored.method == "wechat.native"
    assert result.stdout.strip() == stored.action["code_url"]
