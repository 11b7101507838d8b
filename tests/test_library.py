"""The library starts no process and changes no global state (issue 21).

Importing the package leaves ``os.environ`` as it was; ``build()`` called from Python starts no
child process and no thread (nor do profiles without PDFs); a build run from another working
directory writes nothing there.
"""

from __future__ import annotations

import json
import multiprocessing.process
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "config" / "criteria.yaml"


def test_importing_the_package_changes_no_environment_variable() -> None:
    code = (
        # pyogrio and pyproj point GDAL and PROJ at certifi's CA bundle when imported: theirs
        "import json, os, geopandas, pyogrio, pyproj; before = dict(os.environ);"
        "import quartiere, quartiere.io, quartiere.io.layers, quartiere.io.gpkg,"
        " quartiere.pipeline,"
        " quartiere.cli, quartiere.load;"
        "print(json.dumps({k: v for k, v in os.environ.items() if before.get(k) != v}))"
    )
    env = {k: v for k, v in os.environ.items() if k != "GDAL_PAM_ENABLED"}
    env["PYTHONPATH"] = str(ROOT / "src")
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout) == {}


def test_a_read_scopes_its_gdal_setting() -> None:
    import pyogrio

    from quartiere.io.gdal import reading

    before = pyogrio.get_gdal_config_option("GDAL_PAM_ENABLED")
    with reading():
        assert pyogrio.get_gdal_config_option("GDAL_PAM_ENABLED") in ("NO", False)
    assert pyogrio.get_gdal_config_option("GDAL_PAM_ENABLED") == before
    assert "GDAL_PAM_ENABLED" not in os.environ or os.environ["GDAL_PAM_ENABLED"] != "changed"


@pytest.mark.slow
def test_build_from_python_starts_no_child_process_nor_thread_and_writes_nothing_in_the_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from quartiere.config import load_config
    from quartiere.pipeline import build
    from quartiere.profiles.data import editions_beside
    from quartiere.profiles.write import ProfileOptions, write_profiles

    started: list[str] = []
    real_start = multiprocessing.process.BaseProcess.start
    real_fork = os.fork
    real_popen = subprocess.Popen.__init__

    def start(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        started.append("multiprocessing")
        return real_start(self, *args, **kwargs)

    def fork():  # type: ignore[no-untyped-def]
        started.append("fork")
        return real_fork()

    def popen(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        started.append("subprocess")
        return real_popen(self, *args, **kwargs)

    real_thread_start = threading.Thread.start

    def thread_start(self):  # type: ignore[no-untyped-def]
        started.append(f"thread {self.name}")
        return real_thread_start(self)

    monkeypatch.setattr(multiprocessing.process.BaseProcess, "start", start)
    monkeypatch.setattr(os, "fork", fork)
    monkeypatch.setattr(subprocess.Popen, "__init__", popen)
    monkeypatch.setattr(threading.Thread, "start", thread_start)
    threads_before = set(threading.enumerate())
    monkeypatch.delenv("QUARTIERE_CACHE", raising=False)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    out = tmp_path / "out" / "handlungsraeume.gpkg"
    result = build(CONFIG, out)
    assert started == []
    assert set(threading.enumerate()) <= threads_before
    # the profiles' figures, drawn one after the other in this process (no PDFs: no Chromium)
    options = ProfileOptions(
        build=out,
        out=tmp_path / "profiles",
        history=None,
        sensitivity=None,
        editions=tuple(editions_beside(CONFIG)),
        pdf=False,
    )
    written = write_profiles(options, load_config(CONFIG))
    assert started == []
    assert set(threading.enumerate()) <= threads_before
    assert len([p for p in written if p.suffix == ".html"]) == len(result.areas) + 1
    assert sorted(p.name for p in elsewhere.iterdir()) == []
    # the outputs, the map drawn in this process, and the cache beside them
    names = {p.name for p in out.parent.iterdir()}
    assert {"handlungsraeume.gpkg", "handlungsraeume.png", "summary.md"} <= names
    assert len(result.areas) > 0
