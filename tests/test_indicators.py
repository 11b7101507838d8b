"""What an MSS indicator means is part of its edition: every profile table, trend row and chart
series carries one meaning per row, and a trend joins editions only where they declare the same
series (s2 was long-term unemployment up to 2017 and is children in single-parent households
from 2023)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import yaml

from quartiere.config import Config, load_config
from quartiere.errors import ConfigError
from quartiere.i18n import Messages
from quartiere.io.tables import read_table
from quartiere.present.profile_figures import series_styles
from quartiere.profiles import data
from quartiere.profiles.write import chart_series, context_note, indicator_groups, trend_rows

ROOT = Path(__file__).resolve().parents[1]
EDITIONS = sorted((ROOT / "config" / "editions").glob("*.yaml"))
LANGUAGES = ("de", "en")


def _by_bezirk(config: Config) -> data.Build:
    """A stand-in build of an edition: its planning areas, one "area" per Bezirk (the profile's
    indicator tables need the members, inhabitants and MSS status, nothing of a delineation)."""
    edition = data.read_edition(config)
    status = read_table(config.mss, columns=[config.mss.status])[config.mss.status]
    plr = gpd.GeoDataFrame(
        {
            "plr_id": edition.planning_areas.index,
            "population": edition.population.to_numpy(),
            "mss_status": status.reindex(edition.planning_areas.index).to_numpy(),
            "bezirk": edition.planning_areas.index.str[:2],
            "hr_id": edition.planning_areas.index.str[:2],
        },
        geometry=edition.planning_areas.to_numpy(),
        crs=config.crs,
    )
    areas = plr.dissolve(by="hr_id").reset_index()[["hr_id", "geometry"]]
    return data.Build(areas, plr, catchments=gpd.GeoDataFrame())


@pytest.fixture(scope="module")
def trend() -> data.Trend:
    """The trend of every shipped edition on the Bezirke of LOR 2021."""
    config = load_config(ROOT / "config" / "editions" / "mss2021.yaml")
    bezirke = _by_bezirk(config).areas
    return data.trend(bezirke, data.load_editions(EDITIONS))


def _meanings(config: Config, language: str) -> dict[str, str]:
    return {
        i.code: i.meaning_in(language)
        for _, table in config.indicators.tables()
        for i in table.items
    }


@pytest.mark.parametrize("path", EDITIONS, ids=[p.stem for p in EDITIONS])
def test_every_edition_labels_each_indicator_with_its_own_meaning(path: Path) -> None:
    config = load_config(path)
    build = _by_bezirk(config)
    key = pd.DataFrame(index=sorted(build.areas["hr_id"]))
    means = data.indicator_means(build, data.read_indicators(config), key)
    for language in LANGUAGES:
        t = Messages(language)
        groups = indicator_groups(config, means, (key.index[0], "Berlin"), t)
        labels = [label for _, rows in groups for label, _ in rows]
        codes = [label.split(" ", 1)[0] for label in labels]
        # one row per code, labelled with what this edition declares for it
        assert len(codes) == len(set(codes)) and codes
        meanings = _meanings(config, language)
        for code, label in zip(codes, labels, strict=True):
            assert label.startswith(f"{code} {meanings[code]}"), (path.name, label)
        # the values are the declared columns: an indicator the table has is never all empty
        index_rows = groups[0][1]
        assert all(any(v != "–" for v in values) for _, values in index_rows), path.name


def test_a_2023_profile_labels_s2_as_single_parent_households() -> None:
    config = load_config(ROOT / "config" / "editions" / "mss2023.yaml")
    build = _by_bezirk(config)
    key = pd.DataFrame(index=sorted(build.areas["hr_id"]))
    means = data.indicator_means(build, data.read_indicators(config), key)
    for language, wanted, wrong in (
        ("de", "s2 Kinder und Jugendliche in Alleinerziehenden-Haushalten", "Langzeit"),
        ("en", "s2 children and adolescents in single-parent households", "long-term"),
    ):
        t = Messages(language)
        groups = indicator_groups(config, means, ("01", "Berlin"), t)
        labels = [label for _, rows in groups for label, _ in rows]
        assert wanted in labels
        assert not any(wrong in label for label in labels)
        # no context table of 2023: the 2021 k05 is not shown as a 2023 value, and the page
        # says why, naming its year
        assert not any(label.startswith("k") for label in labels)
        note = context_note(config, t)
        assert note is not None and "2021" in note and "k05" in note
    # an edition with its own context table shows it and needs no note
    assert context_note(load_config(ROOT / "config" / "editions" / "mss2021.yaml"), t) is None


def test_series_join_editions_only_where_declared_the_same(trend: data.Trend) -> None:
    configs = [load_config(p) for p in EDITIONS]
    years = sorted({c.mss.edition for c in configs})
    assert sorted(trend.berlin.index) == years
    # every series has one meaning and one unit over the editions it spans
    for name, items in trend.series.items():
        assert len({i.meaning_in("de") for i in items.values()}) == 1, name
        assert len({i.unit for i in items.values()}) == 1, name
    # and every edition's declaration is in the series it names
    for config in configs:
        for item in config.indicators.index.items:
            assert trend.series[item.series][config.mss.edition] == item
    berlin = trend.berlin
    # s4 child poverty: one series over every edition
    child = [n for n, items in trend.series.items() if {i.code for i in items.values()} == {"s4"}]
    assert len(child) == 1
    assert sorted(trend.series[child[0]]) == years
    assert berlin[child[0]].notna().all()
    # s2: two series that never share a row, a column, a style or a label
    s2 = [n for n, items in trend.series.items() if "s2" in {i.code for i in items.values()}]
    assert len(s2) == 2
    by_last = sorted(s2, key=lambda n: max(trend.series[n]))
    long_term, single_parents = by_last
    assert max(trend.series[long_term]) == 2017
    assert berlin[long_term].dropna().index.max() == 2017
    assert sorted(trend.series[single_parents]) == [2023]
    assert list(berlin[single_parents].dropna().index) == [2023]
    for hr_id in trend.areas.index.get_level_values(0).unique():
        own = trend.areas.xs(hr_id, level="hr_id")
        assert own[long_term].dropna().index.max() == 2017
        assert list(own[single_parents].dropna().index) == [2023]
    styles = series_styles(list(trend.series))
    assert len(set(styles.values())) == len(styles)
    for language in LANGUAGES:
        t = Messages(language)
        series = chart_series(trend, t)
        labels = [label for _, label, _ in series]
        assert len(labels) == len(set(labels))
        label = dict((n, lab) for n, lab, _ in series)
        assert ("Langzeit" if language == "de" else "long-term") in label[long_term]
        assert ("Alleinerziehenden" if language == "de" else "single-parent") in label[
            single_parents
        ]


def test_trend_rows_carry_one_meaning_each(trend: data.Trend) -> None:
    t = Messages("de")
    block = trend_rows(trend, "01", t)
    assert block is not None
    labels = [label for label, _ in block["rows"]]
    assert len(labels) == len(set(labels))
    years = block["years"]
    rows = dict(block["rows"])
    long_term = rows["s2 Langzeitarbeitslosigkeit"]
    single = rows["s2 Kinder und Jugendliche in Alleinerziehenden-Haushalten"]
    for year, a, b in zip(years, long_term, single, strict=True):
        assert (a != "–") == (year <= 2017)
        assert (b != "–") == (year == 2023)
    assert all(v != "–" for v in rows["s4 Kinderarmut"])
    assert "s2 Langzeitarbeitslosigkeit" in block["labels"]


def test_one_series_in_two_units_is_refused(tmp_path: Path) -> None:
    def in_points(mapping):
        mapping["indicators"]["index"]["items"][0]["unit"] = "percentage points"

    edition = _edition_copy(tmp_path, in_points)
    editions = data.load_editions([ROOT / "config" / "editions" / "mss2021.yaml", edition])
    with pytest.raises(ConfigError, match=r"series 'unemployment' .* one series has one unit"):
        data.trend_series(editions)


def _edition_copy(tmp_path: Path, change) -> Path:
    """The 2023 edition, written to tmp_path with ``change`` applied to its mapping."""
    source = ROOT / "config" / "editions" / "mss2023.yaml"
    mapping = yaml.safe_load(source.read_text(encoding="utf-8"))

    def absolute(node):
        if isinstance(node, dict):
            return {
                k: str((source.parent / v).resolve()) if k in ("path", "extends") else absolute(v)
                for k, v in node.items()
            }
        if isinstance(node, list):
            return [absolute(v) for v in node]
        return node

    mapping = absolute(mapping)
    change(mapping)
    path = tmp_path / "edition.yaml"
    path.write_text(yaml.safe_dump(mapping, allow_unicode=True), encoding="utf-8")
    return path


def test_a_declared_column_the_table_lacks_is_refused_in_one_line(tmp_path: Path) -> None:
    def lacking(mapping):
        mapping["indicators"]["index"]["items"][1]["column"] = "s2_percentage_long_term_unemployed"

    path = _edition_copy(tmp_path, lacking)
    from quartiere.load import load_inputs

    config = load_config(path)  # the YAML is valid; reading the inputs finds the column missing
    with pytest.raises(ConfigError) as caught:
        load_inputs(config)
    message = str(caught.value)
    assert "\n" not in message
    assert str(path) in message and "mss2023_indicators.csv" in message
    assert "indicators.index.items.1.column" in message
    assert "'s2_percentage_long_term_unemployed'" in message
    # the command line refuses it the same way, exit status 2
    from click.testing import CliRunner

    from quartiere.cli import main

    result = CliRunner().invoke(main, ["validate", "--config", str(path)])
    assert result.exit_code == 2 and "s2_percentage_long_term_unemployed" in result.output


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (
            lambda m: m["indicators"]["index"]["items"][1].update(code="s1"),
            r"items: code s1 declared twice",
        ),
        (
            lambda m: m["indicators"]["index"]["items"][1].update(series="unemployment"),
            r"items: series unemployment declared twice",
        ),
        (
            lambda m: m["indicators"]["index"]["items"][0].pop("meaning_en"),
            r"indicator s1: give 'meaning_de' and 'meaning_en', or 'meaning'",
        ),
        (
            lambda m: m["indicators"]["context"]["items"][0].update(meaning="ind_migration"),
            r"meaning 'ind_migration' is not a message key; did you mean",
        ),
        (
            lambda m: m["indicators"]["context"].pop("why"),
            r"indicators.context.year 2021 is not the MSS edition 2023: say why",
        ),
        (
            lambda m: m["indicators"]["index"].update(year=2021),
            r"indicators.index.year 2021 is not the MSS edition 2023",
        ),
        (
            lambda m: m["indicators"]["index"]["items"].pop(3),
            r"child_poverty.column 's4_percentage_transfer_payments_recipients_below_15_years'"
            r" is not declared under indicators.index.items",
        ),
        (
            lambda m: m["indicators"]["context"]["items"][0].update(
                column="k04_children_with_migration_background"
            ),
            r"schools.estimate.extra.0 \(k05: .*\) is not the k05 the edition declares",
        ),
    ],
    ids=["code-twice", "series-twice", "no-english", "unknown-key", "no-why", "year", "s4", "k05"],
)
def test_bad_declarations_are_refused(tmp_path: Path, change, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        load_config(_edition_copy(tmp_path, change))


def test_a_new_edition_file_needs_no_code_change(tmp_path: Path) -> None:
    """A copy of 2023 as a seventh edition "2025" joins the trend by its declared series."""

    def as_2025(mapping):
        mapping["mss"]["edition"] = 2025
        for key in ("population", "child_poverty"):
            mapping[key]["year"] = 2025
        mapping["indicators"]["index"]["year"] = 2025
        mapping["edition"] = "MSS 2025 (test copy of 2023)"

    copy = _edition_copy(tmp_path, as_2025)
    config = load_config(ROOT / "config" / "editions" / "mss2021.yaml")
    bezirke = _by_bezirk(config).areas
    editions = data.load_editions([*EDITIONS, copy])
    trend = data.trend(bezirke, editions)
    assert sorted(trend.berlin.index)[-2:] == [2023, 2025]
    s2 = {
        n: sorted(items)
        for n, items in trend.series.items()
        if "s2" in {i.code for i in items.values()}
    }
    assert sorted(s2.values()) == [[2013, 2015, 2017], [2023, 2025]]
