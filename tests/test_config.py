"""Configuration: merging editions, resolving paths, and messages that name the key."""

from pathlib import Path

import pytest

from quartiere.config import load_config
from quartiere.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str, name: str = "c.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


EDITIONS = sorted((ROOT / "config/editions").glob("*.yaml"))


def test_shipped_editions_load_and_resolve_paths_relative_to_their_file():
    default = load_config(ROOT / "config/criteria.yaml")
    gi2018 = load_config(ROOT / "config/editions/gi2018.yaml")
    assert default.planning_areas.path == ROOT / "data/raw/lor2021/planungsraeume.geojson"
    assert gi2018.planning_areas.path == ROOT / "data/raw/lor2006/planungsraeume.geojson"
    # keys of the method file survive; the edition's own keys are its own
    assert gi2018.planning_areas.id == "PLR_ID"
    assert gi2018.mss.edition == 2017
    assert gi2018.atlas.zones is None and default.atlas.zones is not None
    assert gi2018.files == [ROOT / "config/base/method.yaml", ROOT / "config/editions/gi2018.yaml"]


@pytest.mark.parametrize("path", EDITIONS, ids=[p.stem for p in EDITIONS])
def test_every_edition_is_complete_and_names_its_years(path):
    # An edition is one file over the method: it extends no other edition, so changing one (or
    # the default) changes no other; every MSS-year table names its year, which is the edition's.
    config = load_config(path)
    assert [f.parent.name for f in config.files] == ["base", "editions"]
    assert config.population.year == config.mss.edition
    assert config.child_poverty.year == config.mss.edition
    assert config.schools is not None and config.schools.estimate is not None
    for extra in config.schools.estimate.extra:
        assert extra.year is not None
        assert extra.year == config.mss.edition or extra.why


def test_the_default_names_the_newest_edition():
    default = load_config(ROOT / "config/criteria.yaml")
    newest = max((load_config(p) for p in EDITIONS), key=lambda c: c.mss.edition)
    assert default.files[:-1] == newest.files
    assert default.model_dump(exclude={"source", "files"}) == newest.model_dump(
        exclude={"source", "files"}
    )


def test_a_table_of_another_mss_year_is_refused(tmp_path):
    path = write(
        tmp_path,
        f"extends: {ROOT / 'config/editions/mss2021.yaml'}\npopulation:\n  year: 2019\n",
    )
    with pytest.raises(ConfigError, match=r"population\.year 2019 is not the MSS edition 2021"):
        load_config(path)
    path = write(
        tmp_path,
        f"extends: {ROOT / 'config/editions/mss2021.yaml'}\n"
        "schools:\n  estimate:\n    extra:\n      - path: x.csv\n        column: k05\n"
        "        weight: 0.25\n        label: k05\n        year: 2019\n",
    )
    with pytest.raises(
        ConfigError, match=r"extra\.0\.year 2019 is not the MSS edition 2021: say why"
    ):
        load_config(path)


def test_unknown_key_suggests_the_closest(tmp_path):
    path = write(
        tmp_path,
        f"extends: {ROOT / 'config/criteria.yaml'}\n"
        "criteria:\n  schools:\n    min_area_shar: 0.5\n",
    )
    with pytest.raises(
        ConfigError,
        match=r"criteria\.schools\.min_area_shar: unknown key; "
        r"did you mean 'min_area_share'\?",
    ):
        load_config(path)


def test_out_of_range_value_is_named_with_its_path(tmp_path):
    path = write(
        tmp_path,
        f"extends: {ROOT / 'config/criteria.yaml'}\n"
        "criteria:\n  schools:\n    min_area_share: 170\n",
    )
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert "criteria.schools.min_area_share: 170" in str(info.value)
    assert "less than or equal to 1" in str(info.value)
    assert str(path) in str(info.value)


def test_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(ConfigError, match="configuration file not found"):
        load_config(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match=r"c.yaml: line \d+: "):
        load_config(write(tmp_path, "a: 1\nb: {c: 1\nd: 2\n"))


def test_extends_loop_is_refused(tmp_path):
    write(tmp_path, "extends: b.yaml\n", "a.yaml")
    write(tmp_path, "extends: a.yaml\n", "b.yaml")
    with pytest.raises(ConfigError, match="loops"):
        load_config(tmp_path / "a.yaml")


def test_atlas_breaks_must_match_strata(tmp_path):
    path = write(
        tmp_path,
        f"extends: {ROOT / 'config/criteria.yaml'}\n"
        "criteria:\n  atlas:\n    method: breaks\n    breaks: [0, 1]\n",
    )
    with pytest.raises(ConfigError, match="needs 6 breaks"):
        load_config(path)
