"""The build, stage by stage: load -> harmonize -> criteria -> delineate -> name -> export.

:func:`compute` runs the pure stages on loaded inputs; :func:`build` adds reading and writing at
the two edges. Each stage is a function of frames that takes only the configuration values it
needs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from quartiere.build_info import (
    built_config_hash,
    changed_files,
    collect_build_info,
    config_hash,
    source_files,
)
from quartiere.compare.numbering import renumber
from quartiere.config import Config, load_config
from quartiere.coverage import table_coverage
from quartiere.criteria_parts import evaluate_criteria
from quartiere.delineate import delineate
from quartiere.derived import Derived, derived_inputs
from quartiere.harmonize import Harmonized, harmonize
from quartiere.i18n import Messages
from quartiere.inputs import Inputs
from quartiere.io.build_layers import catchment_layer, planning_area_layer, write_build
from quartiere.io.builds import read_build, sha256
from quartiere.io.cache import default_cache
from quartiere.model import hr_id_key
from quartiere.present.estimates import attribution, estimates_text
from quartiere.provenance import input_lines, map_caption
from quartiere.record import Baseline, Build
from quartiere.result import BuildResult

__all__ = [
    "BuildResult",
    "Harmonized",
    "build",
    "compute",
    "write",
    "harmonize",
    # Re-exported from their new homes for one release (issue 21): import them from there.
    "attribution",
    "built_config_hash",
    "collect_build_info",
    "config_hash",
    "estimates_text",
    "evaluate_criteria",
    "sha256",
    "source_files",
]


Progress = Callable[[str], None]


@contextmanager
def _stage(name: str, timings: dict[str, float], progress: Progress) -> Iterator[None]:
    start = time.perf_counter()
    yield
    timings[name] = time.perf_counter() - start
    progress(f"{name:<10} {timings[name]:6.2f} s")


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
        flags = evaluate_criteria(inputs, harmonized, config.criteria)
        plr = inputs.planning_areas.join(inputs.population).join(flags)
    with _stage("delineate", timings, progress):
        graph = None if derived is None else derived.graph
        result = delineate(
            plr.assign(plr_id=plr.index), config.delineation, graph=graph, language=config.language
        )
        used = set(result.areas["hr_id"])
        if previous is not None:
            # The register of every number used so far travels from build to build.
            retired = list(previous.info.hr_ids_used or ())
            result = renumber(
                result, previous.areas, config.delineation.min_overlap, retired=retired
            )
            used = set(retired) | set(previous.areas["hr_id"]) | set(result.areas["hr_id"])
    planning_areas = planning_area_layer(plr, result)
    catchments = catchment_layer(inputs.catchments, harmonized, config)
    coverage = list(inputs.coverage)
    reported = any(c.input == "lmb" for c in coverage)  # by the loader, for a school list
    if not reported and (
        harmonized.lmb_source == "estimate" or config.catchments.lmb_source == "schools"
    ):
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


def write(result: BuildResult, out: str | Path) -> Path:
    """Write a computed result as a build GeoPackage (layers, ``build_info``, styles), atomically.

    For a result computed in a notebook (:func:`compute`, perhaps on ``config.with_values``):
    no map or summary (:func:`build` writes those). The record names the configuration and
    input files with their SHA-256 as they are now; a configuration changed by
    :meth:`~quartiere.config.Config.with_values` is recorded by the files it came from.

    Parameters
    ----------
    result
        What :func:`compute` returned.
    out
        The GeoPackage to write (replaced when it exists).

    Returns
    -------
    pathlib.Path
        ``out``.
    """
    out = Path(out)
    files = source_files(result.config)
    result.build_info = collect_build_info(result, files)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_build(result, files, out)
    return out


def build(
    config_path: Path,
    out: Path,
    *,
    previous: Path | Baseline | None = None,
    progress: Progress = lambda _: None,
    write_extras: bool = True,
) -> BuildResult:
    """Load, compute and export one edition; outputs are written atomically.

    The GeoPackage, the map and the summary (``write_extras``) replace their previous versions
    together, once all three are written. Everything runs in the calling process, one step after
    the other: a build starts no process and no thread (the command line calls it alike).
    ``previous``: a build file or :func:`quartiere.lineage.baseline_for`'s result; None: afresh.
    """
    return _build(config_path, Path(out), previous, progress, write_extras)


def _build(
    config_path: Path,
    out: Path,
    previous: Path | Baseline | None,
    progress: Progress,
    write_extras: bool,
) -> BuildResult:
    from quartiere.io.beside import lmb_png, map_png, summary_md
    from quartiere.present.figure_data import MapLayers, chart_job
    from quartiere.report import draw_or_fail, staging

    timings: dict[str, float] = {}
    with _stage("config", timings, progress):
        config = load_config(config_path)
    with _stage("load", timings, progress):
        derived = derived_inputs(config, default_cache(out.parent), harmonize)
        inputs = derived.inputs
        if isinstance(previous, Baseline):
            before: Build | None = previous.build
        else:
            before = read_build(previous) if previous is not None else None
    for note in inputs.notes:
        progress(f"note: {note}")
    result = compute(
        inputs, config, previous=before, progress=progress, timings=timings, derived=derived
    )
    files = source_files(config, derived.digests)
    changed = changed_files(config, files)
    for name in changed:
        progress(f"warning: {name} changed while the build ran; the build is not up to date")
    result.build_info = collect_build_info(result, files, previous, before=before, changed=changed)
    t = Messages(config.language)
    coverage = [c.text(t) for c in result.coverage]
    with staging(out) as workdir:
        with _stage("export", timings, progress):
            write_build(result, files, workdir / out.name)
        if write_extras:
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
                    inputs=input_lines(config, t),
                )
                write_text_atomically(workdir / summary_md(out).name, summary)
                draw_or_fail(
                    workdir / map_png(out).name,
                    {
                        "layers": MapLayers.of(result.areas, result.planning_areas),
                        "title": t("summary_title", edition=config.edition),
                        "attribution": attribution(config),
                        # short, in the build's language: the details are in the summary
                        "notes": map_caption(
                            config, result.harmonized.lmb_source, summary_md(out).name, t
                        ),
                        "language": config.language,
                        "chart": chart_job(
                            result.harmonized.schools,
                            config.schools,
                            config.criteria.schools.lmb_threshold,
                            workdir / lmb_png(out).name,
                        ),
                    },
                )
    return result
