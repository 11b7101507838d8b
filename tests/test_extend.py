"""A fourth criterion takes one function and one configuration entry.

The toy criterion flags planning areas with at least ``min_population`` inhabitants. Registered,
it is a rule name, counts in ``n_criteria``, and seeds areas; switched on by ``criteria.extra``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from quartiere.config import load_config
from quartiere.criteria import count_criteria, extra_criteria, register_criterion
from quartiere.delineate import delineate
from quartiere.errors import ConfigError
from test_delineate import cell, lattice, rules

ROOT = Path(__file__).resolve().parents[1]


def populous(planning_areas: pd.DataFrame, entry: Mapping[str, Any]) -> pd.Series:
    """The one function: 1 where at least ``min_population`` people live, NA where unknown."""
    population = pd.to_numeric(planning_areas["population"])
    met = (population >= entry["min_population"]).astype("Int8")
    return met.mask(population.isna())


@pytest.fixture
def toy() -> Iterator[str]:
    register_criterion("c_toy", populous)
    yield "c_toy"
    register_criterion("c_toy", None)


def test_a_registered_criterion_flags_counts_and_seeds_on_a_lattice(toy: str) -> None:
    # No built-in criterion anywhere; population 3000, 1000, 2000, 1000, 4000.
    frame = lattice(". . . . .", population="3 1 2 1 4")
    flags = extra_criteria(frame, {toy: {"min_population": 2000}})
    assert flags[toy].tolist() == [1, 0, 1, 0, 1]
    frame = frame.join(flags)
    frame["n_criteria"] = count_criteria(frame)
    assert frame["n_criteria"].tolist() == [1, 0, 1, 0, 1]
    result = delineate(frame, rules(seed="c_toy == 1", join="n_criteria >= 1", rings=1))
    assert result.members["role"].tolist() == ["seed", "outside", "seed", "outside", "seed"]
    assert result.areas["plr_ids"].tolist() == [cell(0, 0), cell(0, 2), cell(0, 4)]
    assert result.members["decision"].iloc[0].startswith("Kern von HR 01: erfüllt 1 Kriterium")


def test_a_criterion_result_counts_by_plr_id_and_a_positional_series_is_refused() -> None:
    frame = lattice(". . .", population="3 1 2")
    backwards = frame.index[::-1]
    register_criterion("c_rev", lambda pa, _e: pd.Series([0, 1, 1], index=backwards))
    register_criterion("c_pos", lambda pa, _e: pd.Series([1, 0, 1]))  # RangeIndex, not plr_id
    register_criterion("c_arr", lambda pa, _e: (pa["population"] >= 2000).to_numpy())
    try:
        flags = extra_criteria(frame, {"c_rev": {}, "c_arr": {}})
        assert flags["c_rev"].tolist() == [1, 1, 0]  # by label, not by position
        assert flags["c_arr"].tolist() == [1, 0, 1]
        # Reindexed, it would be NA everywhere: silently no data instead of the criterion.
        with pytest.raises(ValueError, match="c_pos: its Series lacks plr_id"):
            extra_criteria(frame, {"c_pos": {}})
    finally:
        for name in ("c_rev", "c_pos", "c_arr"):
            register_criterion(name, None)


def test_without_registration_the_name_is_unknown(toy: str) -> None:
    register_criterion(toy, None)
    with pytest.raises(ValueError, match="unknown name 'c_toy'"):
        rules(seed="c_toy == 1")
    with pytest.raises(ConfigError, match="no criterion registered as c_toy"):
        extra_criteria(lattice("."), {toy: {"min_population": 1}})


def test_an_unregistered_extra_criterion_fails_when_the_configuration_loads(
    tmp_path: Path, toy: str
) -> None:
    # `quartiere validate` only loads the configuration and the inputs: the check must be there,
    # not after harmonizing (where the build found it, exit 2 without the file's name).
    edition = tmp_path / "typo.yaml"
    edition.write_text(
        f"extends: {ROOT / 'config' / 'criteria.yaml'}\n"
        "criteria:\n  extra:\n    c_tyo: {min_population: 10000}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="extra: no criterion registered as c_tyo") as err:
        load_config(edition)
    assert "registered: c_toy" in str(err.value) and "typo.yaml" in str(err.value)
    ok = tmp_path / "toy.yaml"
    ok.write_text(edition.read_text(encoding="utf-8").replace("c_tyo", toy), encoding="utf-8")
    assert set(load_config(ok).criteria.extra) == {toy}


def test_a_rule_naming_a_registered_criterion_that_is_not_switched_on_fails_on_load(
    tmp_path: Path, toy: str
) -> None:
    # Registered but not under criteria.extra: its flag is never computed, and the seed rule
    # failed in the delineation with a bare KeyError (exit 1, "internal error").
    edition = tmp_path / "off.yaml"
    edition.write_text(
        f"extends: {ROOT / 'config' / 'criteria.yaml'}\n"
        "delineation:\n  seed: 'c_toy == 1 and n_criteria >= 2'\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="seed: c_toy in .* is not switched on") as err:
        load_config(edition)
    assert "off.yaml" in str(err.value)


@pytest.mark.slow
def test_one_config_entry_switches_it_on_in_the_build(tmp_path: Path, toy: str) -> None:
    from quartiere.load import load_inputs
    from quartiere.pipeline import compute

    edition = tmp_path / "toy.yaml"
    edition.write_text(
        f"extends: {ROOT / 'config' / 'criteria.yaml'}\n"
        "criteria:\n  extra:\n    c_toy: {min_population: 10000}\n"
        "delineation:\n  seed: 'c_toy == 1 and n_criteria >= 2'\n",
        encoding="utf-8",
    )
    config = load_config(edition)
    result = compute(load_inputs(config), config)
    layer = result.planning_areas.set_index("plr_id")
    population = result.inputs.population.reindex(layer.index)
    builtin = layer[["c_mss", "c_schools", "c_atlas"]].fillna(0).astype(int).sum(axis=1)
    assert (layer["n_criteria"] == builtin + (population >= 10000)).all()
    seeds = layer.index[result.delineation.members["role"].reindex(layer.index) == "seed"]
    assert len(seeds) > 0
    assert (population[seeds] >= 10000).all() and (builtin[seeds] >= 1).all()
    # explain counts the configured criteria, not the three built-in ones, and tells how many
    # of the further ones are met (the layer has no column of a registered criterion)
    from quartiere.present.explain import explain

    seed = seeds[0]
    text = explain(result, seed)
    n = int(layer.loc[seed, "n_criteria"])
    assert f"Erfüllte Kriterien: {n} von 4 " in text
    assert "davon weitere Kriterien (criteria.extra: c_toy): 1 von 1 erfüllt" in text
    small = layer.index[(population < 10000) & (builtin >= 1)][0]
    text = explain(result, small, language="en")
    assert f"Criteria met: {int(builtin[small])} of 4 " in text
    assert "of them further criteria (criteria.extra: c_toy): 0 of 1 met" in text
