"""Shared fixtures: real-data builds, made once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

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
