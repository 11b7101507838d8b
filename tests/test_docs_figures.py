"""The docs' figures (areas per edition, the default's areas) are those of a run: the blocks
that ``scripts/docs_figures.py`` writes must equal what it generates from the history."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def _script():
    spec = importlib.util.spec_from_file_location("docs_figures", ROOT / "scripts/docs_figures.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_docs_figures_are_those_of_a_run(history_run):
    script = _script()
    generated = script.blocks(history_run)
    # every edition has its row, with the counts of its build
    assert len(generated["editions"].splitlines()) == 2 + len(history_run.editions)
    for edition in history_run.editions:
        n_areas = len(edition.build.areas)
        assert f"| {n_areas} |" in next(
            line for line in generated["editions"].splitlines() if f"/{edition.key}.yaml`" in line
        )
    assert script.stale(generated) == [], "run scripts/docs_figures.py and commit the docs"
