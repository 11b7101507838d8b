"""The numbers of a profile (Bestandsaufnahme) per Handlungsraum, from a build and the MSS tables.

Everything here is frames in, frames out; the files are read by :func:`read_profile_inputs`.
Population-weighted means use the planning areas the MSS indexes (more than 300 inhabitants): the
indicator tables carry 0 for the others, which is not a measurement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from quartiere.config import Config, Indicator, load_config
from quartiere.criteria import mss_attention
from quartiere.errors import ConfigError, InputError
from quartiere.harmonize import overlay, transfer_intensive, weigh
from quartiere.io.builds import read_build
from quartiere.io.cache import cached
from quartiere.io.layers import read_layer
from quartiere.io.tables import read_table
from quartiere.record import Build

__all__ = [
    "Build",
    "Edition",
    "key_figures",
    "indicator_means",
    "trend",
    "read_build_layers",
    "read_indicators",
    "read_edition",
    "cached_trend",
    "series_labels",
    "shown_indicators",
    "trend_series",
]


@dataclass
class Edition:
    """One MSS edition on its own planning areas: year, geometry, inhabitants, indicators."""

    year: int
    generation: str
    planning_areas: gpd.GeoSeries  # indexed by plr_id
    population: pd.Series
    indicators: pd.DataFrame  # the index indicators by series id, % per PLR; NaN where not indexed
    attention: pd.Series  # c_mss 0/1/<NA>
    in_area: pd.Series | None = None  # from a history run: PLR inside a Handlungsraum (0/1)
    declared: dict[str, Indicator] = field(default_factory=dict)  # series id -> its declaration
    source: Path | None = None  # the edition's configuration file


@dataclass
class Trend:
    """Per area and edition: the indicators on the area's footprint, and Berlin beside it."""

    areas: pd.DataFrame  # index (hr_id, year), columns: series ids, attention_share, ...
    berlin: pd.DataFrame  # index year
    transferred: dict[int, bool] = field(default_factory=dict)
    # series id -> edition year -> the indicator declared for it: a column of ``areas`` joins
    # editions only where they declare the same series, never by the MSS code alone
    series: dict[str, dict[int, Indicator]] = field(default_factory=dict)


def read_build_layers(path: Path) -> Build:
    """Read the layers of a build, catchments and schools included, as one snapshot
    (:func:`quartiere.io.builds.read_build`); a missing file or layer is an
    :class:`InputError`."""
    return read_build(path, full=True)


def _weighted(values: pd.DataFrame, weights: pd.Series) -> pd.Series:
    """Weighted mean per column, leaving out NaN values."""
    w = weights.reindex(values.index).fillna(0.0).to_numpy(dtype=float)
    out = {}
    for column in values.columns:
        v = values[column].to_numpy(dtype=float)
        has = ~np.isnan(v) & (w > 0)
        out[column] = float(np.average(v[has], weights=w[has])) if has.any() else np.nan
    return pd.Series(out, dtype=float)


def key_figures(build: Build) -> pd.DataFrame:
    """Inhabitants, km², planning areas and density per area, with its Bezirk and Berlin.

    Returns one row per area (index ``hr_id``) with columns ``population``, ``area_km2``,
    ``n_plr``, ``density`` and the same with prefixes ``bezirk_`` and ``berlin_``.
    """
    plr = build.planning_areas
    km2 = plr.geometry.area / 1e6
    frame = pd.DataFrame(
        {"population": plr["population"].fillna(0.0), "area_km2": km2, "bezirk": plr["bezirk"]}
    )
    by_bezirk = frame.groupby("bezirk").agg(
        population=("population", "sum"), area_km2=("area_km2", "sum"), n_plr=("area_km2", "size")
    )
    rows = []
    for area in build.areas.itertuples():
        members = plr["hr_id"] == area.hr_id
        own = frame[members]
        bezirk = own.groupby("bezirk")["population"].sum().idxmax()
        rows.append(
            {
                "hr_id": area.hr_id,
                "population": own["population"].sum(),
                "area_km2": own["area_km2"].sum(),
                "n_plr": int(members.sum()),
                "bezirk": bezirk,
                "bezirk_population": by_bezirk.at[bezirk, "population"],
                "bezirk_area_km2": by_bezirk.at[bezirk, "area_km2"],
                "bezirk_n_plr": int(by_bezirk["n_plr"].loc[bezirk]),
                "berlin_population": frame["population"].sum(),
                "berlin_area_km2": frame["area_km2"].sum(),
                "berlin_n_plr": len(frame),
            }
        )
    out = pd.DataFrame(rows).set_index("hr_id")
    for prefix in ("", "bezirk_", "berlin_"):
        out[f"{prefix}density"] = out[f"{prefix}population"] / out[f"{prefix}area_km2"]
    return out


def shown_indicators(config: Config, context: bool = True) -> list[Indicator]:
    """The indicators a profile of this edition shows, in the order declared.

    The index indicators, and the context indicators when ``context`` is true and their table is
    of the edition's own year: a table of another year (``indicators.context.year`` with
    ``why``) feeds only what names it (the lmb estimate), since a mean of its values weighted by
    the edition's inhabitants over the planning areas the edition indexes would belong to
    neither year.
    """
    shown = list(config.indicators.index.items)
    table = config.indicators.context
    if context and table is not None and table.year == config.mss.edition:
        shown += table.items
    return shown


def read_indicators(config: Config, context: bool = True) -> pd.DataFrame:
    """The edition's declared MSS indicators per PLR (:func:`shown_indicators`), read from the
    columns the edition names under ``indicators``.

    Columns are named by their code (``s1``, ``k01``): within one edition a code has one meaning,
    the one declared; values in the declared unit.
    """
    parts = []
    for key, table in config.indicators.tables():
        items = [i for i in table.items if i in shown_indicators(config, context)]
        if not items:
            continue
        wanted = [i.column for i in items]
        if key == "index":
            frame = read_table(table, numeric=wanted)
        else:  # the context tables write "-" where a value is withheld
            frame = read_table(table, columns=wanted).apply(pd.to_numeric, errors="coerce")
        frame.columns = [i.code for i in items]
        parts.append(frame)
    return pd.concat(parts, axis=1)


def indicator_means(build: Build, indicators: pd.DataFrame, key: pd.DataFrame) -> pd.DataFrame:
    """Population-weighted indicator means per area, its Bezirk and Berlin.

    Returns a frame indexed by indicator code with one column per ``hr_id``, plus a column per
    Bezirk name and ``Berlin``.
    """
    plr = build.planning_areas.set_index("plr_id")
    indexed = plr["mss_status"].notna()
    values = indicators.reindex(plr.index)
    weights = plr["population"].where(indexed, 0.0).astype(float)
    columns = {"Berlin": _weighted(values, weights)}
    for bezirk, members in plr.groupby("bezirk").groups.items():
        columns[str(bezirk)] = _weighted(values.loc[members], weights)
    for hr_id in key.index:
        members = plr.index[plr["hr_id"] == hr_id]
        columns[hr_id] = _weighted(values.loc[members], weights)
    return pd.DataFrame(columns)


def read_edition(config: Config, cache: dict[Path, gpd.GeoSeries] | None = None) -> Edition:
    """One MSS edition's planning areas, inhabitants, index indicators and attention flag."""
    cache = {} if cache is None else cache
    spec = config.planning_areas
    if spec.path not in cache:
        layer, _ = cached(  # the build's cache of derived inputs (quartiere.io.cache)
            "layer",
            [spec.path],
            [spec.model_dump(mode="json"), config.crs],
            lambda: read_layer(spec, target_crs=config.crs),
        )
        cache[spec.path] = layer.geometry
    geometry = cache[spec.path]
    table = read_table(config.population, numeric=[config.population.column])
    population = table[config.population.column].reindex(geometry.index)
    mss = read_table(config.mss, columns=[config.mss.status, config.mss.dynamic])
    mss.columns = ["status", "dynamic"]
    attention = mss_attention(mss, config.criteria.mss.attention, geometry.index)["c_mss"]
    items = config.indicators.index.items
    indicators = read_indicators(config, context=False)[[i.code for i in items]]
    indicators.columns = [i.series for i in items]
    indicators = indicators.reindex(geometry.index)
    indexed = mss.reindex(geometry.index)["status"].notna()
    indicators = indicators.loc[indexed.to_numpy()].reindex(geometry.index)
    return Edition(
        year=config.mss.edition,
        generation=spec.generation,
        planning_areas=geometry,
        population=population,
        indicators=indicators,
        attention=attention,
        declared={i.series: i for i in items},
        source=config.source,
    )


def editions_beside(config_path: Path) -> list[Path]:
    """The edition files shipped with a configuration: ``editions/*.yaml`` beside it (or the
    directory of an edition file itself)."""
    config_path = Path(config_path)
    folder = config_path.parent / "editions"
    if not folder.is_dir():
        folder = config_path.parent
    return sorted(folder.glob("*.yaml"))


def load_editions(paths: list[Path]) -> list[Edition]:
    """Read every edition once, in MSS order; editions sharing a year are read once."""
    cache: dict[Path, gpd.GeoSeries] = {}
    editions: dict[int, Edition] = {}
    for path in paths:
        config = load_config(path)
        if config.mss.edition not in editions:
            editions[config.mss.edition] = read_edition(config, cache)
    return [editions[y] for y in sorted(editions)]


def _apportion(weights: pd.DataFrame, values: pd.Series, targets: pd.Index) -> pd.Series:
    """Sum of each source's count times the share of its area inside each target."""
    part = values.reindex(weights["source"]).fillna(0.0).to_numpy() * weights["weight"].to_numpy()
    return (
        pd.Series(part).groupby(weights["target"].to_numpy()).sum().reindex(targets, fill_value=0.0)
    )


def trend_series(editions: list[Edition]) -> dict[str, dict[int, Indicator]]:
    """Which indicator each edition declares for each series, series in order of first edition.

    Raises
    ------
    ConfigError
        When editions declare one series in different units: a line of the trend has one unit.
    """
    series: dict[str, dict[int, Indicator]] = {}
    sources: dict[str, tuple[int, Path | None]] = {}
    for edition in sorted(editions, key=lambda e: e.year):
        for name, item in edition.declared.items():
            first = next(iter(series.get(name, {}).values()), None)
            if first is not None and first.unit != item.unit:
                year, _ = sources[name]
                raise ConfigError(
                    f"indicators: series {name!r} is {item.code} in {item.unit!r} here but"
                    f" {first.code} in {first.unit!r} in MSS {year}: one series has one unit",
                    edition.source,
                )
            series.setdefault(name, {})[edition.year] = item
            sources.setdefault(name, (edition.year, edition.source))
    return series


def series_labels(series: dict[str, dict[int, Indicator]], language: str) -> dict[str, str]:
    """One label per series of a trend, never the same for two series.

    ``code meaning`` of the newest edition declaring it, the meaning without its parenthesis
    (``s4 Kinderarmut``); several codes are joined (``s1/s2 ...``). Where two series would read
    alike, their full meanings are used, and where those agree too, the years they span.
    """

    def short(items: dict[int, Indicator], full: bool) -> str:
        codes = "/".join(dict.fromkeys(i.code for i in items.values()))
        newest = items[max(items)]
        meaning = newest.meaning_in(language)
        text = f"{codes} {meaning if full else meaning.split(' (')[0]}"
        if newest.unit != "%":
            text = f"{codes} {newest.label(language).split(' ', 1)[1]}"
        return text

    def clashing(labels: dict[str, str]) -> list[str]:
        values = list(labels.values())
        return [name for name, label in labels.items() if values.count(label) > 1]

    labels = {name: short(items, full=False) for name, items in series.items()}
    for name in clashing(labels):
        labels[name] = short(series[name], full=True)
    for name in clashing(labels):
        years = sorted(series[name])
        span = f"{years[0]}-{years[-1]}" if len(years) > 1 else str(years[0])
        labels[name] = f"{labels[name]} ({span})"
    return labels


def trend(areas: gpd.GeoDataFrame, editions: list[Edition]) -> Trend:
    """Each edition's indicators on each area's present footprint, and Berlin.

    Editions on another geometry (LOR 2006) are moved onto the footprint by the project's zone
    transfer (:mod:`quartiere.harmonize`): index indicators population-weighted (inhabitants
    spread evenly over each source planning area), inhabitants apportioned and summed. An
    indicator's column is its declared series (:func:`trend_series`): editions join in one
    column only where they declare the same series, whatever the MSS code.
    """
    series = trend_series(editions)
    footprints = areas.set_index("hr_id").geometry
    rows, berlin_rows, transferred = [], [], {}
    overlaps: dict[int, pd.DataFrame] = {}  # editions of one LOR generation share their geometry
    for edition in editions:
        pop = edition.population.fillna(0.0)
        key = id(edition.planning_areas)
        if key not in overlaps:
            overlaps[key] = overlay(edition.planning_areas, footprints)
        weights = weigh(overlaps[key], "population", pop)
        # The footprints do not cover Berlin: apportion a count by the overlap's share of the
        # source's own area (transfer_extensive would hand a source's whole count to its overlaps).
        area_weights = weights.assign(weight=weights["source_share"])
        transferred[edition.year] = bool((weights["source_share"] < 0.999).any())
        indexed_pop = pop.where(edition.indicators.notna().any(axis=1), 0.0)
        w_indexed = weigh(overlaps[key], "population", indexed_pop)
        per_area = pd.DataFrame(index=footprints.index)
        for column in edition.indicators.columns:
            per_area[column] = transfer_intensive(
                w_indexed, edition.indicators[column], footprints.index
            )["value"]
        per_area["population"] = _apportion(area_weights, pop, footprints.index)
        attention_pop = pop.where(edition.attention.fillna(0).astype(int) == 1, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            per_area["attention_share"] = (
                100
                * _apportion(area_weights, attention_pop, footprints.index)
                / per_area["population"]
            )
        if edition.in_area is not None:
            per_area["in_area_share"] = (
                100
                * transfer_intensive(area_weights, edition.in_area.astype(float), footprints.index)[
                    "value"
                ]
            )
        per_area["year"] = edition.year
        rows.append(per_area.reset_index())
        city = _weighted(edition.indicators, indexed_pop)
        city["population"] = float(pop.sum())
        city["attention_share"] = 100 * float(attention_pop.sum()) / float(pop.sum())
        city["year"] = edition.year
        berlin_rows.append(city)
    if not rows:
        return Trend(pd.DataFrame(), pd.DataFrame(), {})
    table = pd.concat(rows, ignore_index=True).set_index(["hr_id", "year"]).sort_index()
    berlin = pd.DataFrame(berlin_rows).astype({"year": int}).set_index("year").sort_index()
    return Trend(table, berlin, transferred, series)


def cached_trend(areas: gpd.GeoDataFrame, paths: list[Path]) -> tuple[list[int], Trend]:
    """The editions' years and :func:`trend`, through the cache of derived inputs
    (:mod:`quartiere.io.cache`): keyed by the editions' configurations and the input files an
    edition reads, and the areas' ids and footprints (a rebuild that moved no area reuses it)."""
    import hashlib

    configs = [load_config(p) for p in paths]
    files = sorted(
        {
            Path(path)
            for c in configs
            for path in (
                c.planning_areas.path,
                c.population.path,
                c.mss.path,
                c.child_poverty.path,
                c.indicators.index.path,
            )
        }
    )
    footprint = hashlib.sha256()
    for hr_id, geometry in zip(areas["hr_id"], areas.geometry.to_wkb(), strict=True):
        footprint.update(f"{hr_id}:".encode() + geometry)
    parts = [[c.model_dump(mode="json") for c in configs], footprint.hexdigest()]

    def make() -> tuple[list[int], Trend]:
        editions = load_editions(paths)
        return [e.year for e in editions], trend(areas, editions)

    return cached("profile_trend", files, parts, make)


def read_history(history_dir: Path, editions: list[Edition]) -> None:
    """Add each edition's membership (inside a Handlungsraum) from a ``quartiere history`` run.

    ``history_dir`` holds ``<edition>/handlungsraeume.gpkg``; an edition is matched by the MSS
    year its ``build_info`` names in ``edition`` ("MSS 2019 / ...").
    """
    history_dir = Path(history_dir)
    if not history_dir.is_dir():
        raise InputError("history run not found (make it with `make history`)", history_dir)
    by_year = {e.year: e for e in editions}
    for gpkg in sorted(history_dir.glob("*/handlungsraeume.gpkg")):
        build = read_build(gpkg)
        match = re.search(r"MSS (\d{4})", build.info.edition or "")
        if not match or int(match.group(1)) not in by_year:
            continue
        plr = build.planning_areas
        edition = by_year[int(match.group(1))]
        inside = plr.set_index("plr_id")["hr_id"].notna()  # missing outside every area
        edition.in_area = inside.reindex(edition.planning_areas.index).fillna(False).astype(int)
