"""Shared fixtures: real-data builds, made once per test session; real clients; hypothesis profiles.

Real clients
------------
A test that needs a program outside the virtual environment carries ``@pytest.mark.client(name)``
(``qgis``, ``gdal``, ``chromium`` or ``mapserver``; see :data:`CLIENTS`). When the client is
missing the test is skipped with the install hint, unless ``QUARTIERE_REQUIRE_CLIENTS=1`` is set
(``.ci/run`` sets it): then it fails, so CI cannot go green without opening the output in the
real client.

``QUARTIERE_CLIENT_PYTHON`` names the Python interpreter that has Debian's ``python3-qgis`` and
``python3-gdal`` (default ``/usr/bin/python3``).

Hypothesis
----------
Profiles ``dev`` (default: 60 random examples per property), ``ci`` (the same 60 examples every
run, derandomised, so a failure replays; ``print_blob`` prints the reproduction decorator) and
``mutation`` (derandomised, 15 examples: each mutant reruns the covering tests, see
``scripts/mutation.py``). ``HYPOTHESIS_PROFILE`` selects one; ``.ci/run`` sets ``ci``.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

REQUIRE_CLIENTS = "QUARTIERE_REQUIRE_CLIENTS"
CLIENT_PYTHON = Path(os.environ.get("QUARTIERE_CLIENT_PYTHON", "/usr/bin/python3"))
# The clients see what a GIS user's session has: not the GDAL_PAM_ENABLED=NO that quartiere.io
# sets for its own reads.
CLIENT_ENV = {
    **{k: v for k, v in os.environ.items() if k != "GDAL_PAM_ENABLED"},
    "QT_QPA_PLATFORM": "offscreen",
    "XDG_RUNTIME_DIR": "/tmp",
}
INSTALL_HINT = "install with: apt-get install -y python3-qgis gdal-bin python3-gdal"

settings.register_profile("dev", max_examples=60)
settings.register_profile(
    "ci",
    max_examples=60,
    derandomize=True,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("mutation", parent=settings.get_profile("ci"), max_examples=15)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def _imports(*modules: str) -> bool:
    """True when the client Python imports every module."""
    if not CLIENT_PYTHON.exists():
        return False
    code = "; ".join(f"import {m}" for m in modules)
    probe = subprocess.run(
        [str(CLIENT_PYTHON), "-c", code], capture_output=True, env=CLIENT_ENV, timeout=120
    )
    return probe.returncode == 0


def _chromium() -> bool:
    """The Chromium the profiles print with (``QUARTIERE_CHROMIUM`` or the first on ``PATH``)."""
    from quartiere.profiles.printing import find_chromium

    return find_chromium() is not None


def _mapserver() -> bool:
    """Debian's MapServer with its WFS server (``tests/wfs/server.py`` serves the fetch tests)."""
    from wfs.server import mapserver_available

    return mapserver_available()


CLIENTS: dict[str, tuple[Callable[[], bool], str]] = {
    "qgis": (lambda: _imports("qgis.core"), f"QGIS's Python is absent; {INSTALL_HINT}"),
    "gdal": (
        lambda: bool(shutil.which("ogrinfo")) and _imports("osgeo_utils.samples.validate_gpkg"),
        f"Debian's GDAL (ogrinfo, python3-gdal) is absent; {INSTALL_HINT}",
    ),
    "chromium": (
        _chromium,
        "Chromium is absent; install with: apt-get install -y chromium chromium-driver",
    ),
    "mapserver": (
        _mapserver,
        "MapServer (WFS server, OGR input) is absent; "
        "install with: apt-get install -y cgi-mapserver mapserver-bin",
    ),
}
"""Client name -> (probe, reason shown when it is missing)."""


@functools.cache
def client_available(name: str) -> bool:
    """Whether the named client (a key of :data:`CLIENTS`) is installed; probed once."""
    probe, _ = CLIENTS[name]
    return probe()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "client(name): needs a real client outside the venv (qgis, gdal, chromium, mapserver)",
    )
    config.addinivalue_line(
        "markers", "berlin: uses a real Berlin build (given to every test of REAL_DATA_FIXTURES)"
    )


REAL_DATA_FIXTURES = frozenset({"default_build", "history_run", "berlin", "default_atlas"})
"""Fixtures that build or load the real Berlin data: a test that uses one, directly or through
another fixture, is marked ``berlin`` (``make test-fast`` leaves those out)."""


@pytest.hookimpl(tryfirst=True)  # before ``-m`` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if REAL_DATA_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.berlin)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip (locally) or fail (``QUARTIERE_REQUIRE_CLIENTS=1``) a test whose client is missing."""
    for marker in item.iter_markers("client"):
        (name,) = marker.args
        if name not in CLIENTS:
            pytest.fail(f"unknown client {name!r}; known: {', '.join(CLIENTS)}")
        if client_available(name):
            continue
        _, reason = CLIENTS[name]
        if os.environ.get(REQUIRE_CLIENTS) == "1":
            pytest.fail(f"{REQUIRE_CLIENTS}=1 but {reason}", pytrace=False)
        pytest.skip(reason)


ROOT = Path(__file__).resolve().parents[1]
EDITIONS = sorted((ROOT / "config" / "editions").glob("*.yaml"))


@pytest.fixture(scope="session")
def history_run(tmp_path_factory: pytest.TempPathFactory):
    """``quartiere history config/editions/*.yaml``: every shipped edition built once, in order.

    Returns the :class:`quartiere.compare.timeline.History`; each edition's GeoPackage is at
    ``edition.path`` (``<dir>/<key>/handlungsraeume.gpkg``), numbered against the one before.
    """
    from quartiere.history import run_history

    return run_history(EDITIONS, tmp_path_factory.mktemp("history"))


@pytest.fixture(scope="session")
def default_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default edition (``config/criteria.yaml``) built once into a temporary directory."""
    from quartiere.pipeline import build

    out = tmp_path_factory.mktemp("default") / "handlungsraeume.gpkg"
    build(ROOT / "config" / "criteria.yaml", out)
    return out
