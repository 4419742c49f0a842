"""The driver manager (aoai_conformance.sdks.driver) with the fake driver: the hello line, results in order, a
crash as one line, a harness timeout, and "not run" with its reason when a toolchain or a build is missing."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from aoai_conformance.sdks.driver import Driver, NotRun, installed_version

FAKE = Path(__file__).parent / "data" / "fake_driver.py"


@pytest.fixture
def fake(monkeypatch):
    monkeypatch.setenv("AOAI_CONFORMANCE_DRIVER_NODE", f"{sys.executable} {FAKE}")
    drivers = []

    def start(**env):
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        d = Driver("node")
        d.start()
        drivers.append(d)
        return d

    yield start
    for d in drivers:
        d.close()


def bad_call(n: int) -> dict:
    return {"call": f"no.such.call.{n}", "client": "async", "deadline_ms": 2000}


def test_hello_then_results_in_order(fake):
    d = fake()
    assert d.hello["version"] == "6.49.0" and d.version == "6.49.0"
    results = [d.request(bad_call(i)) for i in range(3)]
    assert [r["id"] for r in results] == ["1", "2", "3"]
    assert [r["error"]["message"] for r in results] == [f"unknown call no.such.call.{i}" for i in range(3)]


def test_a_crash_is_one_result_line_and_the_next_request_restarts(fake):
    d = fake(FAKE_DRIVER_BREAK="crash")
    result = d.request(bad_call(0))
    assert result["ok"] is False and result["error"]["class"] == "DriverCrash"
    assert "\n" not in result["error"]["message"] and "crashing as asked" in result["error"]["message"]


def test_a_driver_that_never_answers_is_killed_after_the_harness_timeout(fake):
    d = fake(FAKE_DRIVER_BREAK="hang")
    result = d.request(bad_call(0), timeout=0.5)
    assert result["error"]["class"] == "HarnessTimeout" and result["harness_timeout"] is True
    assert not d.alive


def test_missing_toolchain_or_build_is_not_run_with_the_reason(tmp_path, monkeypatch):
    monkeypatch.delenv("AOAI_CONFORMANCE_DRIVER_NODE", raising=False)
    with pytest.raises(
        NotRun, match=r"^(drivers/node is not built: run drivers/node/build|node is not installed.*)$"
    ):
        Driver("node", folder=tmp_path).command()
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(NotRun, match=r"^java is not installed \(needed by drivers/java\)$"):
        Driver("java", folder=tmp_path).command()
    # a built Go driver needs no toolchain to run; the SDK matrix's version needs its own build
    monkeypatch.setenv("AOAI_CONFORMANCE_GO_OPENAI", "v3.99.0")
    with pytest.raises(
        NotRun, match=r"^drivers/go is not built: run AOAI_CONFORMANCE_GO_OPENAI=v3.99.0 drivers/go/build$"
    ):
        Driver("go", folder=tmp_path).command()


def test_a_driver_without_hello_is_not_run(tmp_path, monkeypatch):
    script = tmp_path / "mute.py"
    script.write_text("import sys; sys.stderr.write('cannot load the SDK\\n'); sys.exit(1)\n")
    monkeypatch.setenv("AOAI_CONFORMANCE_DRIVER_JAVA", f"{sys.executable} {script}")
    with pytest.raises(NotRun, match="no hello line"):
        Driver("java", folder=tmp_path).start()


def test_installed_version_reads_the_build_files(tmp_path):
    (tmp_path / "go.mod").write_text("require (\n\tgithub.com/openai/openai-go/v2 v2.1.1\n)\n")
    assert installed_version("go", tmp_path) == "2.1.1"
    (tmp_path / "pom.xml").write_text(
        "<properties><openai.version>4.0.1</openai.version></properties>"
        "<artifactId>openai-java</artifactId><version>${openai.version}</version>"
    )
    assert installed_version("java", tmp_path) == "4.0.1"
    assert installed_version("node", tmp_path) is None


# --- replay: the driver's process is kept on loopback -----------------------------------------------------
@pytest.mark.parametrize("guard", [True, False])
def test_a_replay_starts_the_driver_under_the_network_guard(monkeypatch, guard):
    from aoai_conformance.sdks import harness
    from aoai_conformance.sdks.coverage import of
    from aoai_conformance.sdks.driver import NETWORK_GUARD

    started: list[dict[str, str]] = []

    class Capture:
        version = "0"

        def __init__(self, sdk: str, env: dict[str, str]) -> None:
            started.append(env)

        def start(self) -> dict[str, str]:
            return {}

        def close(self) -> None:
            pass

    monkeypatch.setattr(harness.SdkRun, "make_driver", Capture)
    run = harness.SdkRun(of("node"), guard_network=guard)
    run.start()
    run.close()
    assert (started[0].items() >= NETWORK_GUARD.items()) is guard
