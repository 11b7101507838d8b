"""``quartiere explain --build`` reads the build (issue 21): values, decision and number come from
its layers, the language from its record; only the details behind them are recomputed."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from quartiere.cli import main
from quartiere.io.builds import read_build

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "config" / "criteria.yaml"

pytestmark = pytest.mark.slow


@pytest.fixture
def edited(default_build: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the default build whose layers say what no recomputation would."""
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("QUARTIERE_CACHE", str(default_build.parent / ".cache"))
    copy = tmp_path / "b" / "handlungsraeume.gpkg"
    copy.parent.mkdir()
    shutil.copy(default_build, copy)
    return copy


def _edit(path: Path) -> sqlite3.Connection:
    """The GeoPackage as SQLite; the spatial index's triggers find the functions they call (the
    geometry is never changed here)."""
    db = sqlite3.connect(path)
    db.create_function("ST_IsEmpty", 1, lambda _geom: 0)
    for name in ("ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY"):
        db.create_function(name, 1, lambda _geom: 0.0)
    return db


def _member(path: Path) -> tuple[str, str]:
    layer = read_build(path).planning_areas
    member = layer.loc[layer["hr_id"].notna()].iloc[0]
    return str(member["plr_id"]), str(member["hr_id"])


def _explain(path: Path, plr_id: str, *more: str):
    return CliRunner().invoke(
        main, ["explain", plr_id, "--config", str(DEFAULT), "--build", str(path), *more]
    )


def test_explain_reads_the_decision_number_and_values_from_the_build(edited: Path) -> None:
    plr_id, hr_id = _member(edited)
    with _edit(edited) as db:
        db.execute(
            "UPDATE planungsraeume SET decision = ?, n_criteria = 3, atlas_value = -9.25 "
            "WHERE plr_id = ?",
            ("Kern laut Build-Datei", plr_id),
        )
        db.execute(
            "UPDATE handlungsraeume SET hr_name = 'Name aus der Datei' WHERE hr_id = ?", (hr_id,)
        )
    result = _explain(edited, plr_id)
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "\n   Kern laut Build-Datei\n" in text  # the layer's sentence, not one recomputed
    assert f"Handlungsraum {hr_id} Name aus der Datei: " in text
    assert "Erfüllte Kriterien: 3 von 3 " in text
    assert "GESIx_2022 = -9,250 -> Schicht" in text
    assert f"Gelesen aus {edited}: Werte, Kriterien, Entscheidung und Nummer" in text
    assert "Neu berechnet aus den Eingaben" in text
    for english in ("Criteria met", "Delineation (", "catchment ", "rule:", "Inhabitants"):
        assert english not in text
    assert f"note: read from {edited}" in result.stderr


def test_explain_speaks_the_build_language_and_english_on_request(edited: Path) -> None:
    plr_id, hr_id = _member(edited)
    german = read_build(edited).planning_areas.set_index("plr_id").loc[plr_id, "decision"]
    asked = _explain(edited, plr_id, "--language", "en")
    assert asked.exit_code == 0, asked.output
    text = asked.stdout
    assert "Criteria met: " in text and "Delineation (seed: " in text
    assert "Read from " in text and "The decision is worded again (the build speaks German)" in text
    (decision,) = [line.strip() for line in text.splitlines() if f"HR {hr_id}" in line][:1]
    assert decision != german and decision.startswith(("seed of HR", "joined HR", "in HR"))
    # a build whose record says English is explained in English without being asked
    with sqlite3.connect(edited) as db:
        db.execute("UPDATE build_info SET value = 'en' WHERE key = 'language'")
    text = _explain(edited, plr_id).stdout
    assert "Criteria met: " in text and "worded again" not in text
    assert f"\n   {german}\n" in text  # the build's own sentence, as it holds it
