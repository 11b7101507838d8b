"""``.ci/run`` cannot go green without its real clients, while local runs skip with the reason.

The client is hidden by pointing ``QUARTIERE_CLIENT_PYTHON`` at a missing interpreter, and
``apt-get`` is replaced on ``PATH`` by a stand-in that fails (or does nothing), so the script's
real logic runs without touching the machine's packages.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
QGIS_TEST = ["tests/test_qgis.py", "-k", "synthetic"]
CHROMIUM_TEST = ["tests/test_profiles.py", "-m", "slow", "-k", "every_page_in_chromium"]
pytestmark = pytest.mark.ci  # not in make test-fast: each test runs the suite in a subprocess
CLIENT_TESTS = pytest.mark.parametrize(
    ("tests", "reason"),
    [(QGIS_TEST, "QGIS's Python is absent"), (CHROMIUM_TEST, "Chromium is absent")],
    ids=["qgis", "chromium"],
)


def env_without_clients(tmp_path: Path, apt_exit: int) -> dict[str, str]:
    fake = tmp_path / "bin"
    fake.mkdir()
    apt = fake / "apt-get"
    apt.write_text(f"#!/bin/sh\necho 'fake apt-get' \"$@\" >&2\nexit {apt_exit}\n")
    apt.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QUARTIERE_", "HYPOTHESIS_"))}
    env.update(
        PATH=f"{fake}{os.pathsep}{env['PATH']}",
        QUARTIERE_CLIENT_PYTHON=str(tmp_path / "no-python"),
        QUARTIERE_CHROMIUM=str(tmp_path / "no-chromium"),
    )
    return env


def ci_run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ROOT / ".ci" / "run"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@CLIENT_TESTS
def test_ci_fails_when_the_clients_cannot_be_installed(
    tmp_path: Path, tests: list[str], reason: str
) -> None:
    run = ci_run(env_without_clients(tmp_path, apt_exit=100), *tests)
    assert run.returncode != 0
    assert "error:" in run.stderr
    assert "passed" not in run.stdout  # the suite never started


@CLIENT_TESTS
def test_ci_fails_when_the_install_succeeds_but_the_client_is_missing(
    tmp_path: Path, tests: list[str], reason: str
) -> None:
    run = ci_run(env_without_clients(tmp_path, apt_exit=0), *tests)
    assert run.returncode != 0, run.stdout
    assert f"QUARTIERE_REQUIRE_CLIENTS=1 but {reason}" in run.stdout
    assert "1 failed" in run.stdout or "1 error" in run.stdout


@CLIENT_TESTS
def test_local_run_skips_a_missing_client_with_the_reason(
    tmp_path: Path, tests: list[str], reason: str
) -> None:
    env = env_without_clients(tmp_path, apt_exit=100)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-rs", "-p", "no:cacheprovider", *tests],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout
    assert "SKIPPED" in run.stdout and f"{reason}; install with" in run.stdout


@pytest.mark.client("qgis")
@pytest.mark.client("gdal")
@pytest.mark.client("chromium")
def test_ci_first_runs_the_suite_with_the_installed_clients_hidden() -> None:
    """Stage 1 hides clients that are installed (a fresh machine): the GDAL test skips with its
    reason; stage 2 requires them and the same test passes."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QUARTIERE_", "HYPOTHESIS_"))}
    run = ci_run(env, "tests/test_gpkg.py", "-k", "gdal_validator")
    assert run.returncode == 0, run.stdout + run.stderr
    out = run.stdout
    hidden = out.index("Debian's GDAL (ogrinfo, python3-gdal) is absent; install with")
    assert hidden < out.index("1 skipped") < out.index("1 passed")
    assert "failed" not in out and "is absent" not in out[out.index("1 skipped") :]
    assert run.stderr.index("== stage 1") < run.stderr.index("== stage 2")
