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
