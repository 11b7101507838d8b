"""The build, stage by stage: load -> harmonize -> criteria -> delineate -> name -> export.

:func:`compute` runs the pure stages on loaded inputs; :func:`build` adds reading and writing at
the two edges. Each stage is a function of frames that takes only the configuration values it
needs.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from quartiere import ATTRIBUTION, __version__
from quartiere.compare.build import Build
from quartiere.compare.numbering import renumber
from quartiere.config import Config, load_config
from quartiere.coverage import Coverage, table_coverage
from quartiere.criteria import (
    CRITERIA,
    atlas_strata,
    count_criteria,
    estimate_lmb,
    extra_criteria,
    mss_attention,
    schools_by_location,
    schools_criterion,
)
from quartiere.delineate import DelineationResult, delineate
from quartiere.derived import Derived, derived_inputs
from quartiere.harmonize import overlay, overlay_weights, reverse, transfer_intensive, weigh
from quartiere.i18n import Messages
from quartiere.io.builds import read_build
from quartiere.io.cache import code_version, default_cache
from quartiere.io.gpkg import build_timestamp, write_geopackage
from quartiere.load import Inputs
from quartiere.model import hr_id_key
from quartiere.schools import SchoolInputs, SchoolsResult, assess

__all__ = ["BuildResult", "Harmonized", "harmonize", "compute", "build"]


Progress = Callable[[str], None]


@dataclass
class Harmonized:
    """Inputs moved onto the target planning areas, with the overlap weights kept for audit."""

    lmb_share: pd.Series  # per catchment, %
    lmb_source: str  # "official" or "estimate"
    lmb_factor: float | None  # estimate: s4 -> lmb scaling factor
    catchment_child_poverty: pd.Series | None  # estimate: population-weighted s4 per catchment, %
    catchment_overlaps: pd.DataFrame  # catchment (source) x PLR (target), area weights
    atlas: pd.DataFrame  # per PLR: value, coverage
    atlas_overlaps: pd.DataFrame | None  # source PLR x target PLR (when transferred)
    schools: SchoolsResult | None = None  # per-school values (config ``schools:``)


@dataclass
class BuildResult:
    config: Config
    inputs: Inputs
    harmonized: Harmonized
    planning_areas: gpd.GeoDataFrame
    catchments: gpd.GeoDataFrame
    areas: gpd.GeoDataFrame
    delineation: DelineationResult
    hr_ids_used: list[str] = field(default_factory=list)
    coverage: list[Coverage] = field(default_factory=list)
    build_info: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


@contextmanager
def _stage(name: str, timings: dict[str, float], progress: Progress) -> Iterator[None]:
    start = time.perf_counter()
    yield
    timings[name] = time.perf_counter() - start
    progress(f"{name:<10} {timings[name]:6.2f} s")


def harmonize(inputs: Inputs, config: Config) -> Harmonized:
    """Transfer catchment lmb shares and the atlas index onto the planning areas."""
    plr = inputs.planning_areas
    catchments = inputs.catchments
    # One intersection serves both directions: catchments -> PLR (by area) and PLR -> catchments.
    overlaps = weigh(overlay(catchments.geometry, plr.geometry), "area")

    factor = None
    child_poverty = None
    schools = None
    if inputs.schools is not None and config.schools is not None:
        schools = assess(
            SchoolInputs(
                spec=config.schools,
                schools=inputs.schools,
                planning_areas=plr,
                catchments=catchments,
                child_poverty=inputs.child_poverty,
                population=inputs.population,
                extra=inputs.schools.extra,
            )
        )
    if config.catchments.lmb_source == "schools":
        assert schools is not None
        lmb, source = schools.catchment_lmb, schools.lmb_source
    elif inputs.official_lmb is not None:
        lmb = inputs.official_lmb.reindex(catchments.index)
        source = "official"
    else:
        assert config.catchments.estimate is not None
        # PLR -> catchment: s4 is a share of a PLR's children, so weigh each overlap by the PLR's
        # inhabitants in it (population spread evenly over the PLR's area).
        s4 = inputs.child_poverty.reindex(plr.index)
        has = s4.notna() & inputs.population.notna()
        pop = inputs.population.where(has)
        to_catchments = weigh(reverse(overlaps), "population", source_population=pop)
        child_poverty = transfer_intensive(to_catchments, s4, catchments.index)["value"]
        citywide = float(np.average(s4[has], weights=pop[has]))
        lmb, factor = estimate_lmb(
            child_poverty, citywide, config.catchments.estimate.citywide_mean
        )
        source = "estimate"

    atlas_overlaps = None
    if inputs.atlas_zones is None:
        atlas = pd.DataFrame(
            {
                "value": inputs.atlas.reindex(plr.index),
                "coverage": inputs.atlas.reindex(plr.index).notna().astype(float),
            }
        )
    else:
        atlas_overlaps = overlay_weights(
            inputs.atlas_zones.geometry,
            plr.geometry,
            weight=config.atlas.weight,
            source_population=inputs.atlas_zone_population,
        )
        atlas = transfer_intensive(
            atlas_overlaps, inputs.atlas, plr.index, min_coverage=config.atlas.min_area_coverage
        )
        # A planning area without inhabitants on record has no social index of its own: a
        # transferred value would only describe its neighbours, and would skew the strata.
        uninhabited = ~(inputs.population.reindex(plr.index) > 0)
        atlas.loc[uninhabited.to_numpy(), "value"] = np.nan
    return Harmonized(
        lmb_share=lmb.rename("lmb_share"),
        lmb_source=source,
        lmb_factor=factor,
        catchment_child_poverty=child_poverty,
        catchment_overlaps=overlaps,
        atlas=atlas,
        atlas_overlaps=atlas_overlaps,
        schools=schools,
    )


def evaluate_criteria(inputs: Inputs, harmonized: Harmonized, config: Config) -> pd.DataFrame:
    """The three criteria per PLR, with the values behind each flag."""
    plr = inputs.planning_areas
    rules = config.criteria
    mss = mss_attention(inputs.mss, rules.mss.attention, plr.index)
    schools = schools_criterion(
        harmonized.catchment_overlaps,
        harmonized.lmb_share,
        plr.geometry.area,
        lmb_threshold=rules.schools.lmb_threshold,
        min_area_share=rules.schools.min_area_share,
        min_coverage=rules.schools.min_coverage,
    )
    if harmonized.schools is not None:
        table = harmonized.schools.schools
        located = schools_by_location(
            table["plr_id"], harmonized.schools.flagged(rules.schools.lmb_threshold), plr.index
        )
        if rules.schools.by == "school_location":
            schools["c_schools"] = located["c_schools_location"]
        schools = schools.join(located[["n_schools", "n_schools_flagged"]])
    atlas = atlas_strata(harmonized.atlas["value"], inputs.population, rules.atlas)
    flags = pd.concat([mss, schools, atlas], axis=1)
    if rules.extra:
        frame = plr.join(inputs.population).join(flags)
        flags = flags.join(extra_criteria(frame, rules.extra))
    flags["n_criteria"] = count_criteria(flags)
    return flags


def compute(
    inputs: Inputs,
    config: Config,
    *,
    previous: Build | None = None,
    progress: Progress = lambda _: None,
    timings: dict[str, float] | None = None,
    derived: Derived | None = None,
) -> BuildResult:
    """Run the pure stages on loaded inputs; with ``previous``, keep its area numbers.

    ``derived``: the harmonized values and contiguity graph of these inputs (from the cache).
    """
    timings = {} if timings is None else timings
    with _stage("harmonize", timings, progress):
        harmonized = harmonize(inputs, config) if derived is None else derived.harmonized
    with _stage("criteria", timings, progress):
        flags = evaluate_criteria(inputs, harmonized, config)
        plr = inputs.planning_areas.join(inputs.population).join(flags)
    with _stage("delineate", timings, progress):
        graph = None if derived is None else derived.graph
        result = delineate(
            plr.assign(plr_id=plr.index), config.delineation, graph=graph, language=config.language
        )
        used = set(result.areas["hr_id"])
        if previous is not None:
            # The register of every number used so far travels from build to build.
            retired = [v for v in previous.info.get("hr_ids_used", "").split(",") if v]
            result = renumber(
                result, previous.areas, config.delineation.min_overlap, retired=retired
            )
            used = set(retired) | set(previous.areas["hr_id"]) | set(result.areas["hr_id"])
    planning_areas = _planning_area_layer(plr, result)
    catchments = _catchment_layer(inputs.catchments, harmonized, config)
    coverage = list(inputs.coverage)
    if harmonized.lmb_source == "estimate" or config.catchments.lmb_source == "schools":
        coverage.append(
            table_coverage("lmb", harmonized.lmb_share, inputs.catchments.index, "catchments")
        )
    return BuildResult(
        config=config,
        inputs=inputs,
        harmonized=harmonized,
        planning_areas=planning_areas,
        catchments=catchments,
        areas=result.areas,
        delineation=result,
        hr_ids_used=sorted(used, key=hr_id_key),
        coverage=coverage,
        timings=timings,
    )


def _planning_area_layer(plr: gpd.GeoDataFrame, result: DelineationResult) -> gpd.GeoDataFrame:
    members = result.members.reindex(plr.index)
    layer = pd.DataFrame(
        {
            "plr_id": plr.index.astype(str),
            "plr_name": plr["plr_name"],
            "bzr_name": plr["bzr_name"],
            "bezirk": plr["bezirk_name"],
            "population": plr["population"].round().astype("Int64"),
            "mss_status": plr["mss_status"],
            "mss_dynamic": plr["mss_dynamic"],
            "c_mss": plr["c_mss"],
            "lmb_area_share": plr["lmb_area_share"].round(4),
            "c_schools": plr["c_schools"],
            **{k: plr[k] for k in ("n_schools", "n_schools_flagged") if k in plr},
            "atlas_value": plr["atlas_value"].round(4),
            "atlas_stratum": plr["atlas_stratum"],
            "c_atlas": plr["c_atlas"],
            "n_criteria": plr["n_criteria"].astype(int),
            "hr_id": members["hr_id"].fillna("").astype(str),
            "decision": members["decision"].astype(str),
        },
        index=plr.index,
    )
    return gpd.GeoDataFrame(layer, geometry=plr.geometry, crs=plr.crs).reset_index(drop=True)


def _catchment_layer(
    catchments: gpd.GeoDataFrame, harmonized: Harmonized, config: Config
) -> gpd.GeoDataFrame:
    share = harmonized.lmb_share.reindex(catchments.index)
    threshold = config.criteria.schools.lmb_threshold
    layer = pd.DataFrame(
        {
            "esb_id": catchments.index.astype(str),
            "lmb_share": share.round(2),
            "lmb_source": harmonized.lmb_source,
            # unknown share: unknown flag (NULL), never "not flagged"
            "flagged": (share >= threshold).astype("Int8").where(share.notna()),
        },
        index=catchments.index,
    )
    return (
        gpd.GeoDataFrame(layer, geometry=catchments.geometry, crs=catchments.crs)
        .sort_index()
        .reset_index(drop=True)
    )


def _school_layer(result: BuildResult) -> dict[str, gpd.GeoDataFrame]:
    """Layer ``schulen`` when the build has a school list, else nothing."""
    from quartiere.io.school_layer import school_layer

    schools, config = result.harmonized.schools, result.config
    if schools is None or config.schools is None:
        return {}
    flags = [f.column for f in config.schools.flags]
    return {"schulen": school_layer(schools.schools, flags, config.criteria.schools.lmb_threshold)}


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def source_files(config: Config) -> list[tuple[str, str]]:
    """(name, SHA-256) of each configuration file and input, named relative to their common root.

    Names do not depend on the working directory or on where the project lies on a machine.
    """
    paths = [*config.files, *config.input_paths()]
    root = Path(os.path.commonpath([Path(p).resolve().parent for p in paths]))
    return [(str(Path(p).resolve().relative_to(root)), sha256(p)) for p in paths]


def config_hash(config: Config) -> str:
    """SHA-256 over the contents of the configuration files (the edition file and its bases)."""
    return hashlib.sha256("\n".join(sha256(Path(p)) for p in config.files).encode()).hexdigest()


def built_config_hash(out: Path) -> str | None:
    """The ``config_hash`` a build recorded in its ``build_info``; None when there is none."""
    import pyogrio

    if not Path(out).is_file():
        return None
    try:
        table = pyogrio.read_dataframe(out, layer="build_info", where="key = 'config_hash'")
    except Exception:  # not a GeoPackage, or no build_info layer: treat as not built
        return None
    return str(table["value"].iloc[0]) if len(table) else None


def estimates_text(result: BuildResult, t: Messages | None = None) -> list[str]:
    """Sentences saying which values are estimates or approximations, in the language of ``t``
    (English without, as recorded in ``build_info``)."""
    t = t or Messages("en")
    config = result.config

    def short(value: float) -> str:  # like :g, in the language's number format
        return t.number(value, 0 if float(value).is_integer() else 2)

    lines = []
    if result.harmonized.schools is not None and config.schools is not None:
        from quartiere.schools.report import schools_text

        lines += schools_text(
            result.harmonized.schools,
            config.schools,
            config.criteria.schools.lmb_threshold,
            t(
                "schools_edition_year",
                edition=config.mss.edition,
                school_year=config.catchments.school_year,
            ),
            catchments_from_schools=config.catchments.lmb_source == "schools",
            t=t,
        )
    elif result.harmonized.lmb_source == "estimate":
        assert config.catchments.estimate is not None
        lines.append(
            t(
                "estimate_lmb",
                edition=config.mss.edition,
                factor=t.number(result.harmonized.lmb_factor, 3),
                mean=short(config.catchments.estimate.citywide_mean),
            )
        )
        lines.append(
            t(
                "estimate_lmb_flagged",
                n_flagged=int((result.catchments["flagged"] == 1).sum()),
                n_catchments=len(result.catchments),
                threshold=short(config.criteria.schools.lmb_threshold),
                n_plr=int((result.planning_areas["c_schools"] == 1).sum()),
            )
        )
    atlas = config.criteria.atlas
    transferred = ""
    if config.atlas.zones is not None:
        transferred = t(
            "atlas_transferred",
            generation=config.atlas.zones.path.parent.name,
            weight=t(f"weight_{config.atlas.weight}"),
        )
    lines.append(
        t(
            "approximation_atlas",
            approximation_of=atlas.approximation_of,
            flag_strata=", ".join(map(str, atlas.flag_strata)),
            strata=atlas.strata,
            method=atlas.method,
            label=config.atlas.label,
            transferred=transferred,
        )
    )
    return lines


def collect_build_info(
    result: BuildResult, files: list[tuple[str, str]], previous: Path | None = None
) -> dict[str, str]:
    import pyogrio
    import shapely

    config = result.config
    info: dict[str, str] = {
        "edition": config.edition,
        "built_at": build_timestamp().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "quartiere_version": __version__,
        "code_version": code_version(),
        "lor_generation": config.planning_areas.generation,
        "crs": config.crs,
    }
    n_config = len(config.files)
    for i, (name, digest) in enumerate(files[:n_config]):
        info[f"config.{i}"] = f"{name} sha256:{digest}"
    info["config_hash"] = hashlib.sha256(
        "\n".join(digest for _, digest in files[:n_config]).encode()
    ).hexdigest()
    for name, digest in files[n_config:]:
        info[f"input:{name}"] = f"sha256:{digest}"
    info["versions"] = (
        f"geopandas {gpd.__version__}, shapely {shapely.__version__}, "
        f"pyogrio {pyogrio.__version__}, GDAL {pyogrio.__gdal_version_string__}, "
        f"pandas {pd.__version__}"
    )
    for coverage in result.coverage:
        info[f"coverage.{coverage.input}"] = coverage.text().split(": ", 1)[1]
    info["lmb_source"] = result.harmonized.lmb_source
    info["language"] = config.language
    if result.harmonized.schools is not None and config.schools is not None:
        from quartiere.schools import lmb_info

        info.update(lmb_info(result.harmonized.schools, config.schools))
    if result.harmonized.lmb_factor is not None:
        info["lmb_estimate_factor"] = f"{result.harmonized.lmb_factor:.6f}"
    for i, line in enumerate(estimates_text(result)):
        info[f"estimate.{i}"] = line
    for i, note in enumerate(result.inputs.notes):
        info[f"note.{i}"] = note
    counts = {c: int((result.planning_areas[c] == 1).sum()) for c in CRITERIA}
    info["counts"] = (
        f"{len(result.planning_areas)} planning areas; "
        + ", ".join(f"{k}={v}" for k, v in counts.items())
        + f"; {len(result.areas)} Handlungsräume"
    )
    if previous is not None:
        info["previous"] = f"{Path(previous).name} sha256:{sha256(previous)}"
        for i, line in enumerate(result.delineation.lineage):
            info[f"lineage.{i}"] = line
    info["hr_ids_used"] = ",".join(result.hr_ids_used)
    info["attribution"] = attribution(config)
    return info


def attribution(config: Config) -> str:
    """The attribution of the build's data: the Berlin open data, and the school list if used."""
    return ATTRIBUTION + (f"; {config.schools.attribution}" if config.schools else "")


def build(
    config_path: Path,
    out: Path,
    *,
    previous: Path | None = None,
    progress: Progress = lambda _: None,
    write_extras: bool = True,
    drawer: Any = None,
) -> BuildResult:
    """Load, compute and export one edition; outputs are written atomically.

    The GeoPackage, the map and the summary replace their previous versions together, once all
    three are written; the map is drawn in a second process meanwhile (:mod:`quartiere.report`):
    ``drawer``, a :class:`quartiere.report.MapProcess` started early, or one started here.
    """
    from quartiere.report import MapProcess

    if drawer is None and write_extras:
        drawer = MapProcess()
    try:
        return _build(config_path, Path(out), previous, progress, drawer)
    finally:
        if drawer is not None:
            drawer.close()


def _build(
    config_path: Path,
    out: Path,
    previous: Path | None,
    progress: Progress,
    drawer: Any,
) -> BuildResult:
    from quartiere.io.beside import lmb_png, map_png, summary_md
    from quartiere.present.figure_data import MapLayers, chart_job
    from quartiere.report import staging

    timings: dict[str, float] = {}
    with _stage("config", timings, progress):
        config = load_config(config_path)
    with _stage("load", timings, progress):
        derived = derived_inputs(config, default_cache(), harmonize)
        inputs = derived.inputs
        before = read_build(previous) if previous is not None else None
    for note in inputs.notes:
        progress(f"note: {note}")
    result = compute(
        inputs, config, previous=before, progress=progress, timings=timings, derived=derived
    )
    files = source_files(config)
    result.build_info = collect_build_info(result, files, previous)
    t = Messages(config.language)
    coverage = [c.text(t) for c in result.coverage]
    with staging(out) as workdir:
        try:
            if drawer is not None:
                drawer.draw(
                    workdir / map_png(out).name,
                    {
                        "layers": MapLayers.of(result.areas, result.planning_areas),
                        "title": t("summary_title", edition=config.edition),
                        "attribution": attribution(config),
                        "notes": [
                            *estimates_text(result, t),
                            t("summary_coverage", items="; ".join(coverage)),
                        ],
                        "language": config.language,
                        "chart": chart_job(
                            result.harmonized.schools,
                            config.schools,
                            config.criteria.schools.lmb_threshold,
                            workdir / lmb_png(out).name,
                        ),
                    },
                )
            with _stage("export", timings, progress):
                _export(result, files, workdir / out.name)
            if drawer is not None:
                from quartiere.io.atomic import write_text_atomically
                from quartiere.present.summary import summary_markdown

                with _stage("report", timings, progress):
                    summary = summary_markdown(
                        result.areas,
                        result.planning_areas,
                        edition=config.edition,
                        estimates=estimates_text(result, t),
                        coverage=coverage,
                        language=config.language,
                    )
                    write_text_atomically(workdir / summary_md(out).name, summary)
                    drawer.wait()
        except BaseException:
            if drawer is not None:
                drawer.close(kill=True)  # it writes into workdir: stop it before cleanup
            raise
    return result


def _export(result: BuildResult, files: list[tuple[str, str]], out: Path) -> None:
    config = result.config
    info_table = pd.DataFrame(list(result.build_info.items()), columns=["key", "value"])
    metadata: dict[str, Any] = {
        "edition": config.edition,
        "config": "\n---\n".join(Path(p).read_text(encoding="utf-8") for p in config.files),
        "inputs": [{"path": name, "sha256": digest} for name, digest in files[len(config.files) :]],
        "attribution": attribution(config),
        "estimates": estimates_text(result, Messages(config.language)),
        "language": config.language,
    }
    layers = {
        "handlungsraeume": result.areas,
        # Outside every area hr_id is NULL, so that QGIS finds them with "hr_id" IS NULL.
        "planungsraeume": result.planning_areas.assign(
            hr_id=result.planning_areas["hr_id"].where(result.planning_areas["hr_id"] != "")
        ),
        "einschulungsbereiche": result.catchments,
        **_school_layer(result),
        "build_info": info_table,
    }
    write_geopackage(out, layers, result.build_info, metadata)
