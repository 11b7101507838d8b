"""Load and validate every input a configuration names (the first stage, and the only one reading
files).

Each loader returns frames indexed by the input's id (planning areas: 8-digit strings, leading zeros
kept) and raises :class:`~quartiere.errors.InputError` with one line naming file, row or feature,
and
problem. Facts worth knowing but not fatal (planning areas without a row, repaired geometries) are
collected as notes, shown by the CLI and written to ``build_info``.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from quartiere.columns import column_label
from quartiere.config import Config, MssInput, OfficialLmbInput, TableInput
from quartiere.config_indicators import check_indicator_columns
from quartiere.coverage import Coverage, require_coverage, table_coverage
from quartiere.errors import InputError
from quartiere.inputs import Inputs
from quartiere.io.layers import LayerReport, check_coverage, read_layer
from quartiere.io.tables import read_header, read_table
from quartiere.load_schools import load_extra, load_schools
from quartiere.schools.link import link_schools
from quartiere.schools.school_list import SchoolList
from quartiere.units import check_percent_column

__all__ = ["Inputs", "load_inputs", "PLR_ID"]

PLR_ID = r"\d{8}"
ESB_ID = r"\d{4}"


def _match_ids(
    table: pd.DataFrame,
    spec: TableInput,
    zones: pd.Index,
    zone_label: str,
    notes: list[str],
    what: str,
    column: str | None = None,
    hint: str = "; is this table for another LOR edition?",
) -> None:
    """Refuse rows for unknown zones; note zones without a row (they become "no data")."""
    unknown = table.index.difference(zones)
    if len(unknown):
        more = f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else ""
        raise InputError(
            f"id {unknown[0]!r}{more} matches no {zone_label}{hint}",
            spec.path,
            f"column '{column or spec.id}'",
        )
    missing = zones.difference(table.index)
    if len(missing):
        notes.append(
            f"{what}: {len(missing)} of {len(zones)} {zone_label}s have no row in "
            f"{spec.path.name}; treated as no data"
        )


def load_planning_areas(config: Config) -> tuple[gpd.GeoDataFrame, LayerReport]:
    spec = config.planning_areas
    mapping = {
        spec.name: "plr_name",
        spec.bzr_id: "bzr_id",
        spec.bzr_name: "bzr_name",
        spec.pgr_id: "pgr_id",
        spec.pgr_name: "pgr_name",
        spec.bezirk: "bezirk",
        spec.bezirk_name: "bezirk_name",
    }
    layer, report = read_layer(spec, list(mapping), config.crs, PLR_ID)
    check_coverage(layer, spec.coverage_tolerance_m2, str(spec.path))
    layer = layer.rename(columns=mapping)
    layer.index.name = "plr_id"
    for column in ("bezirk", "bzr_id", "pgr_id"):
        layer[column] = layer[column].astype(str).str.strip()
    # Official names carry stray double blanks ("Südliche  Friedrichstadt").
    for column in ("plr_name", "bzr_name", "pgr_name", "bezirk_name"):
        layer[column] = layer[column].astype(str).str.split().str.join(" ")
    bad = layer.index[~layer.index.str.startswith(tuple(layer["bezirk"].unique()))]
    if len(bad):
        raise InputError(
            f"PLR id {bad[0]} does not start with its district code", spec.path, f"feature {bad[0]}"
        )
    return layer.sort_index(), report


def load_inputs(config: Config) -> Inputs:
    """Read and validate every input of ``config``."""
    # Before any layer: a declared indicator column its table lacks is a configuration error.
    check_indicator_columns(config.indicators, config.source, read_header)
    notes: list[str] = []
    # Read one after the other: reading them in threads gained nothing measurable
    # (docs/performance.md, "Concurrency"). Errors surface in a fixed order: planning areas,
    # catchments, atlas zones.
    planning_areas, plr_report = load_planning_areas(config)
    catchments, cat_report = read_layer(config.catchments, [], config.crs, ESB_ID)
    zones = (
        read_layer(config.atlas.zones, [], config.crs, PLR_ID)
        if config.atlas.zones is not None
        else None
    )
    plr = planning_areas.index
    reports = [plr_report]

    pop_spec = config.population
    population_table = read_table(pop_spec, numeric=[pop_spec.column], id_pattern=PLR_ID)
    _match_ids(population_table, pop_spec, plr, "planning area", notes, "population")
    population = population_table[pop_spec.column].reindex(plr).rename("population")
    coverage = [_covered("population", population, plr, "planning areas", pop_spec)]
    if (population < 0).any():
        bad = population.index[population < 0][0]
        raise InputError("negative number of inhabitants", pop_spec.path, f"id {bad}")

    mss_spec = config.mss
    mss, mss_unindexed = _load_mss(mss_spec, plr, notes)
    coverage.append(_covered("mss", mss["status"], plr, "planning areas", mss_spec))

    cp_spec = config.child_poverty
    cp_table = read_table(cp_spec, numeric=[cp_spec.column], id_pattern=PLR_ID)
    _match_ids(cp_table, cp_spec, plr, "planning area", [], "child poverty")
    child_poverty = cp_table[cp_spec.column]
    _check_share(child_poverty, cp_spec)
    # The indicator table carries 0 for PLR the MSS does not index: that is "not computed", not 0 %.
    child_poverty = child_poverty.where(child_poverty.index.isin(mss.index)).rename("child_poverty")
    coverage.append(_covered("child_poverty", child_poverty, plr, "planning areas", cp_spec))

    cat_spec = config.catchments
    catchments.index.name = "esb_id"
    reports.append(cat_report)
    official = None
    if cat_spec.lmb_source == "official" and cat_spec.official is not None:
        official = _load_official_lmb(cat_spec.official, catchments.index, notes)
        coverage.append(
            _covered("lmb", official, catchments.index, "catchments", cat_spec.official)
        )

    schools = None
    school_coverage = None
    if config.schools is not None:
        schools = load_schools(config.schools, planning_areas, config.crs)
        # Like s4, the context tables carry 0 for PLR the MSS does not index: not computed.
        extra = load_extra(config.schools, plr)
        schools.extra = {k: v.where(v.index.isin(mss.index)) for k, v in extra.items()}
        if config.catchments.lmb_source == "schools":
            school_coverage = _schools_cover(schools, catchments, config)

    atlas_spec = config.atlas
    atlas_table = read_table(atlas_spec, numeric=[atlas_spec.column], id_pattern=PLR_ID)
    atlas_zones = None
    zone_population = None
    if atlas_spec.zones is None:
        _match_ids(atlas_table, atlas_spec, plr, "planning area", notes, "atlas")
    else:
        zones_spec = atlas_spec.zones
        assert zones is not None
        atlas_zones, zone_report = zones
        reports.append(zone_report)
        _match_ids(atlas_table, atlas_spec, atlas_zones.index, "source-zone", notes, "atlas")
        if zones_spec.population is not None:
            zp = zones_spec.population
            zp_table = read_table(zp, numeric=[zp.column], id_pattern=PLR_ID)
            _match_ids(zp_table, zp, atlas_zones.index, "source-zone", notes, "atlas weights")
            zone_population = zp_table[zp.column].rename("population")
        elif atlas_spec.weight == "population":
            raise InputError(
                "population weighting needs 'atlas.zones.population'", config.source, "atlas.weight"
            )
    atlas = atlas_table[atlas_spec.column].rename("atlas_value")
    atlas_population = population
    if atlas_spec.population is not None:
        ap = atlas_spec.population
        ap_table = read_table(ap, numeric=[ap.column], id_pattern=PLR_ID)
        _match_ids(ap_table, ap, plr, "planning area", notes, "atlas population")
        atlas_population = ap_table[ap.column].reindex(plr).rename("population")
    atlas_zone_ids, atlas_label = (
        (plr, "planning areas")
        if atlas_zones is None
        else (atlas_zones.index, f"{atlas_spec.zones.path.parent.name} planning areas")  # type: ignore[union-attr]
    )
    coverage.append(_covered("atlas", atlas, atlas_zone_ids, atlas_label, atlas_spec))
    n_missing = int(atlas.isna().sum())
    if n_missing:
        notes.append(
            f"atlas: {n_missing} rows of {atlas_spec.path.name} carry no "
            f"{atlas_spec.column} value; treated as no data"
        )
    if school_coverage is not None:
        coverage.append(school_coverage)  # last, where the build has always reported "lmb"
    for report in reports:
        if report.repaired:
            notes.append(f"{report.path}: repaired {report.repaired} invalid geometries")
        if report.reprojected:
            notes.append(f"{report.path}: reprojected from {report.source_crs} to {config.crs}")

    return Inputs(
        planning_areas=planning_areas,
        population=population,
        mss=mss,
        child_poverty=child_poverty,
        catchments=catchments,
        official_lmb=official,
        atlas=atlas,
        atlas_zones=atlas_zones,
        atlas_zone_population=zone_population,
        atlas_population=atlas_population,
        notes=notes,
        coverage=coverage,
        schools=schools,
        mss_unindexed=mss_unindexed,
    )


def _load_mss(spec: MssInput, plr: pd.Index, notes: list[str]) -> tuple[pd.DataFrame, pd.Series]:
    """The MSS classes of the indexed PLR, and the PLR the table lists without an index.

    A row whose status and dynamic class cells are both empty carries no index (the 2023 table
    lists its small PLR and one outlier so, with a remark): no data, its remark kept. A row with
    one class but not the other, or with a class outside the vocabulary, is refused.

    Returns
    -------
    tuple of DataFrame and Series
        ``status`` and ``dynamic`` of the indexed rows; and
        per unindexed PLR its remark, <NA> where the table gives none.
    """
    columns = [spec.status, spec.dynamic, *([spec.note] if spec.note else [])]
    table = read_table(spec, columns=columns, id_pattern=PLR_ID)
    _match_ids(table, spec, plr, "planning area", notes, f"MSS {spec.edition}")
    # by name, not by renaming: two keys may name one column
    table = pd.DataFrame(
        {
            "status": table[spec.status],
            "dynamic": table[spec.dynamic],
            "note": table[spec.note] if spec.note else pd.NA,
        },
        index=table.index,
    )
    status, dynamic = table["status"].isna(), table["dynamic"].isna()
    half = table.index[status != dynamic]
    if len(half):
        given, missing = ("dynamic", "status") if status[half[0]] else ("status", "dynamic")
        source = spec.status if missing == "status" else spec.dynamic
        raise InputError(
            f"{given} class {table.loc[half[0], given]!r} but no {missing} class: a row carries "
            "both classes (indexed) or neither (not indexed)",
            spec.path,
            f"id {half[0]}, {column_label(source)}",
        )
    unindexed = table.loc[status & dynamic, "note"].astype("string").rename("mss_note")
    mss = table.loc[~(status & dynamic), ["status", "dynamic"]]
    if len(unindexed):
        reasons = ", ".join(
            f"{n} {note!r}" for note, n in unindexed.fillna("no remark").value_counts().items()
        )
        notes.append(
            f"MSS {spec.edition}: {len(unindexed)} rows of {spec.path.name} carry no index "
            f"({reasons}); treated as no data"
        )
    _check_classes(mss, spec)
    return mss, unindexed


def _covered(
    name: str, values: pd.Series, zones: pd.Index, label: str, spec: TableInput
) -> Coverage:
    """The coverage of one table, refused below its ``min_coverage`` unless ``allow_partial``."""
    coverage = table_coverage(name, values, zones, label)
    require_coverage(coverage, spec.min_coverage, spec.allow_partial, spec.path)
    return coverage


def _schools_cover(schools: SchoolList, catchments: gpd.GeoDataFrame, config: Config) -> Coverage:
    """Refuse a school list that leaves too many catchments without a school.

    A catchment's lmb share is the mean of its schools' values (``catchments.lmb_source:
    schools``); a catchment without a counted school has no value, like a zone without a row in
    any other table. The share of catchments holding one is checked against
    ``schools.min_coverage`` unless ``schools.allow_partial``; the coverage is returned and
    reported as ``lmb`` either way. A list of another school year than the catchments' misses
    their new schools' areas: the message names both years.
    """
    spec = config.schools
    assert spec is not None
    esb, _ = link_schools(schools.schools, catchments, schools.key, str(spec.path))
    if spec.lmb_source == "official" and "official_share" in schools.schools:
        esb = esb.where(schools.schools["official_share"].notna())
    ids = catchments.index.astype(str)
    held = pd.Series(1.0, index=pd.Index(esb.dropna().unique()))
    coverage = table_coverage("lmb", held, ids, "catchments")
    require_coverage(
        coverage,
        spec.min_coverage,
        spec.allow_partial,
        spec.path,
        what=(
            f"with a school of type {', '.join(spec.types)} (school list {spec.school_year}, "
            f"catchments {config.catchments.school_year}; schools.min_coverage, "
            "schools.allow_partial)"
        ),
    )
    return coverage


def _check_classes(mss: pd.DataFrame, spec: MssInput) -> None:
    """Refuse MSS class texts outside the configured vocabulary (a typo would read as "not met")."""
    for column, allowed in (("status", spec.status_classes), ("dynamic", spec.dynamic_classes)):
        known = {" ".join(a.split()).lower() for a in allowed}
        values = mss[column].astype("string").str.split().str.join(" ").str.lower()
        bad = values[~values.isin(known) | values.isna()]
        if len(bad):
            source = spec.status if column == "status" else spec.dynamic
            raise InputError(
                f"{column} class {mss.loc[bad.index[0], column]!r} is none of "
                f"{', '.join(allowed)} (mss.{column}_classes)",
                spec.path,
                f"id {bad.index[0]}, {column_label(source)}",
            )


def _check_share(values: pd.Series, spec: TableInput) -> None:
    """A share column is in percent (0-100); a column of fractions is refused, not misread."""
    bad = values[(values < 0) | (values > 100)]
    if len(bad):
        raise InputError(f"share {bad.iloc[0]} is outside 0-100", spec.path, f"id {bad.index[0]}")
    fractions = check_percent_column(values.tolist())
    if fractions:
        raise InputError(fractions, spec.path, f"column {values.name!r}")


def _load_official_lmb(
    spec: OfficialLmbInput, catchment_ids: pd.Index, notes: list[str]
) -> pd.Series:
    from quartiere.criteria import aggregate_school_lmb

    if spec.catchment is None:
        table = read_table(spec, numeric=[spec.share], id_pattern=ESB_ID)
        _check_share(table[spec.share], spec)
        lmb = table[spec.share].rename("lmb_share")
        lmb.index.name = "esb_id"
    else:
        numeric = [spec.share] + ([spec.pupils] if spec.pupils else [])
        table = read_table(
            spec,
            columns=[spec.catchment],
            numeric=numeric,
            id_pattern=None,
            key_patterns={spec.catchment: ESB_ID},
        )
        _check_share(table[spec.share], spec)
        schools = pd.DataFrame(
            {
                "catchment": table[spec.catchment].astype(str).str.strip(),
                "share": table[spec.share],
            }
        )
        if spec.pupils:
            schools["pupils"] = table[spec.pupils]
        lmb = aggregate_school_lmb(schools)
    _match_ids(
        lmb.to_frame(),
        spec,
        catchment_ids,
        "catchment",
        notes,
        "official lmb",
        column=spec.catchment,
        hint=" in the catchment layer",
    )
    return lmb
