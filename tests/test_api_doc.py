"""``docs/api.md`` runs as written: the worked example from configuration to areas, one threshold
changed (issue 21). Its numbers are checked, so the page cannot drift from the code."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def test_the_api_page_runs_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # the page runs from the project directory
    result = doctest.testfile(
        str(ROOT / "docs" / "api.md"),
        module_relative=False,
        globs={"tmp": tmp_path},
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
        report=True,
    )
    assert result.attempted >= 20
    assert result.failed == 0
    assert (tmp_path / "stricter.gpkg").is_file()


def test_the_package_names_the_stages_without_importing_them() -> None:
    import subprocess
    import sys

    code = (
        "import sys, quartiere;"
        "assert 'quartiere.pipeline' not in sys.modules;"
        "from quartiere import load_config, load_inputs, compute, delineate_areas, explain, write;"
        "import quartiere.pipeline as p, quartiere.delineate as d;"
        "assert compute is p.compute and write is p.write and delineate_areas is d.delineate;"
        "assert set(quartiere.__all__) <= set(dir(quartiere))"
    )
    env = {"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
