"""Editions as complete units: each criterion depends only on its own inputs, and every input
that feeds a value is named with its year (issue: a new monitoring edition taken in as published).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from quartiere.config import load_config
from quartiere.io.build_record import parse_info
from quartiere.provenance import atlas_cut, cut_changes, cut_record, input_years
from quartiere.record import BuildInfo

ROOT = Path(__file__).resolve().parents[1]
EDITIONS = ROOT / "config" / "editions"

pytestmark = pytest.mark.slow


def _compute(path: Path):
    from quartiere.load import load_inputs
    from quartiere.pipeline import compute

    config = load_config(path)
    return compute(load_inputs(config), config)


@pytest.fixture(scope="module")
def mss2021():
    return _compute(EDITIONS / "mss2021.yaml")


@pytest.fixture(scope="module")
def mss2023():
    return _compute(EDITIONS / "mss2023.yaml")


def test_a_new_mss_table_does_not_move_the_atlas_criterion(mss2021, mss2023):
    # The MSS 2023 indicator table has inhabitants for 6 PLR the MSS 2021 table leaves out; the
    # atlas counts its own inhabitants (atlas.population), so its cut and flags stay.
    a = mss2021.planning_areas.set_index("plr_id")
    b = mss2023.planning_areas.set_index("plr_id")
    assert mss2023.inputs.population.notna().sum() > mss2021.inputs.population.notna().sum()
    assert atlas_cut(a, mss2021.config) == atlas_cut(b, mss2023.config)
    assert a["atlas_value"].notna().sum() == 535
    pd.testing.assert_series_equal(a["c_atlas"], b["c_atlas"])
    pd.testing.assert_series_equal(a["atlas_stratum"], b["atlas_stratum"])
    assert not cut_changes(
        replace(cut_record(a, mss2021.config), config_hash="a"),
        replace(cut_record(b, mss2023.config), config_hash="b"),
    )


def test_the_edition_inhabitants_would_move_the_cut_and_the_diff_says_why(tmp_path, mss2021):
    # Control: the atlas counted with the edition's inhabitants (the behaviour before) moves the
    # cut; the comparison names the cut before and after and the input that changed.
    config = tmp_path / "edition-weights.yaml"
    config.write_text(f"extends: {EDITIONS / 'mss2023.yaml'}\natlas:\n  population: null\n")
    moved = _compute(config)
    plr = moved.planning_areas.set_index("plr_id")
    assert plr["atlas_value"].notna().sum() == 538
    old = cut_record(mss2021.planning_areas, mss2021.config)
    new = cut_record(plr, moved.config)
    [change] = cut_changes(old, new)
    assert change.criterion == "c_atlas"
    assert "<= -1.2001; 535 planning areas" in change.old
    assert "<= -1.2338; 538 planning areas" in change.new
    assert change.reasons == (
        "atlas_population: mss2021_indicators.csv (MSS 2021) -> the edition's inhabitants "
        "(population)",
    )


def test_a_changed_atlas_file_is_named_as_the_cause():
    old = parse_info(
        [
            ("atlas_cut", "x <= 1"),
            ("input_year.atlas", "gssa.csv: GESIx"),
            ("input:../data/gssa.csv", "sha256:aa"),
        ]
    )
    new = replace(old, atlas_cut="x <= 2", inputs=(("data/gssa.csv", "bb"),))
    [change] = cut_changes(old, new)
    assert change.reasons == ("atlas: gssa.csv changed (sha256)",)
    # the same file under another relative path is no change
    same = replace(new, inputs=(("data/gssa.csv", "aa"),))
    assert cut_changes(old, same)[0].reasons == ("no recorded input of the criterion changed",)
    assert cut_changes(old, replace(old)) == []
    assert cut_changes(BuildInfo(), new) == []  # a build without the record: nothing is claimed


def test_every_input_is_named_with_its_year():
    config = load_config(EDITIONS / "mss2023.yaml")
    years = dict(input_years(config))
    assert years["mss"] == "1sdi_mss2023.xlsx (MSS 2023)"
    assert years["population"] == "mss2023_indicators.csv (MSS 2023)"
    assert years["catchments"] == "esb_2024_25.geojson (school year 2024/25)"
    # k05 comes from an earlier edition: named with its year and the reason
    assert years["extra.k05"].startswith("mss2021_context.csv (MSS 2021) [why: no MSS 2023")
    assert years["atlas_population"] == "mss2021_indicators.csv (MSS 2021)"


def test_build_info_and_summary_name_the_inputs_and_their_years(tmp_path):
    import pyogrio

    from quartiere.pipeline import build

    out = tmp_path / "b" / "handlungsraeume.gpkg"
    build(EDITIONS / "mss2023.yaml", out)
    info = pyogrio.read_dataframe(out, layer="build_info").set_index("key")["value"]
    assert info["edition"] == "MSS 2023 / LOR 2021"
    assert info["input_year.extra.k05"].startswith("mss2021_context.csv (MSS 2021)")
    assert info["input_year.catchments"] == "esb_2024_25.geojson (school year 2024/25)"
    assert info["atlas_cut"].startswith("strata 7 of 7 (quantiles_count): GESIx_2022 <= -1.2001")
    summary = (out.parent / "summary.md").read_text(encoding="utf-8")
    assert "Einschulungsbereiche: esb_2024_25.geojson (Schuljahr 2024/25)" in summary
    assert "lmb-Schätzung, k05: mss2021_context.csv (MSS 2021)" in summary
