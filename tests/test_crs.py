"""The CRS is defined once (:data:`quartiere.model.CRS`, the default of the configuration's
``crs``) and is configurable end to end: a build in another projected CRS in metres gives the same
planning areas and Handlungsräume, written and compared in that CRS."""

from __future__ import annotations

from pathlib import Path

import pytest

from quartiere.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def test_a_crs_that_is_not_in_metres_is_refused_in_one_line():
    from quartiere import load_config

    config = load_config(ROOT / "config" / "criteria.yaml")
    with pytest.raises(ConfigError, match="crs: 'EPSG:4326' is not a projected CRS in metres"):
        config.with_values({"crs": "EPSG:4326"})
    with pytest.raises(ConfigError, match="is not a known CRS"):
        config.with_values({"crs": "EPSG:999999"})


@pytest.mark.slow
def test_the_default_edition_built_in_etrs89_laea_matches_the_default(tmp_path):
    from quartiere import compute, diff_builds, load_config, load_inputs, read_build, write

    config = load_config(ROOT / "config" / "criteria.yaml")
    laea = config.with_values({"crs": "EPSG:3035"})  # ETRS89 / LAEA Europe, metres
    inputs = load_inputs(config)
    utm = compute(inputs, config)
    other = compute(load_inputs(laea), laea)
    assert other.planning_areas.crs.to_epsg() == 3035
    members = {  # plr_id -> hr_id, the same whatever the metric CRS
        name: r.planning_areas.set_index("plr_id")["hr_id"].dropna().sort_index()
        for name, r in (("utm", utm), ("laea", other))
    }
    assert len(members["utm"]) > 100
    assert members["laea"].to_dict() == members["utm"].to_dict()
    back = read_build(write(other, tmp_path / "laea.gpkg"))
    assert back.areas.crs.to_epsg() == 3035 and back.planning_areas.crs.to_epsg() == 3035
    assert back.info.crs == "EPSG:3035"
    area = back.areas.set_index("hr_id").area.sort_index()
    same = utm.areas.set_index("hr_id").area.sort_index()
    assert list(area.index) == list(same.index)
    assert ((area - same).abs() / same).max() < 0.01  # areas agree (LAEA is equal-area)
    # compared with the UTM build: in the newer build's CRS, and nothing changed
    result = diff_builds(read_build(write(utm, tmp_path / "utm.gpkg")), back)
    assert result.changed is False
    assert result.changes.crs.to_epsg() == 3035
