"""Profiles (Bestandsaufnahme) of every Handlungsraum: offline HTML pages and A4 PDFs.

:func:`write_profiles` reads a build, the edition's MSS tables and the shipped editions (for the
trend), renders ``index.html`` and one ``<hr_id>.html`` per area (inline CSS, images as SVG data
URIs: nothing is fetched), and prints each page to PDF with headless Chromium. The pages are
staged beside the target and committed into it at the end, with the pages of areas that no longer
exist removed (:func:`quartiere.io.atomic.staging`), so a failed run leaves the previous profiles
intact.
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from jinja2 import Environment, select_autoescape

from quartiere import ATTRIBUTION, __version__
from quartiere.config import Config
from quartiere.errors import InputError, QuartiereError
from quartiere.i18n import Messages
from quartiere.io.atomic import staging
from quartiere.io.build_record import info_rows
from quartiere.io.gdal import reading
from quartiere.present.profile_figures import area_map, overview_map, trend_chart
from quartiere.profiles import data
from quartiere.profiles.printing import INSTALL_HINT, PdfPrinter, find_chromium
from quartiere.record import BuildInfo

__all__ = ["ProfileOptions", "write_profiles"]

SVG_SIZE = re.compile(r'<svg[^>]*\bwidth="([\d.]+)pt"[^>]*\bheight="([\d.]+)pt"')


@dataclass(frozen=True)
class ProfileOptions:
    build: Path
    out: Path
    history: Path | None = None
    sensitivity: Path | None = None
    editions: tuple[Path, ...] = ()
    pdf: bool = True


def _data_uri(svg: str) -> tuple[str, float, float]:
    match = SVG_SIZE.search(svg)
    width, height = (float(match.group(1)), float(match.group(2))) if match else (500.0, 400.0)
    encoded = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return f"data:image/svg+xml;base64,{encoded}", width * 4 / 3, height * 4 / 3


def _template_env() -> tuple[Environment, str]:
    files = resources.files("quartiere.present") / "templates"
    templates = {
        name: (files / name).read_text(encoding="utf-8")
        for name in ("base.html", "map_figure.html", "profile.html", "index.html")
    }
    from jinja2 import DictLoader

    env = Environment(
        loader=DictLoader(templates), autoescape=select_autoescape(default=True), trim_blocks=False
    )
    return env, (files / "profile.css").read_text(encoding="utf-8")


def _flag(value: Any, t: Messages) -> str:
    if value is None or pd.isna(value):
        return t("no_data")
    return t("met") if int(value) == 1 else t("not_met")


def _read_sensitivity(directory: Path | None) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """Layers ``handlungsraeume`` and ``planungsraeume`` of ``DIR/sensitivity.gpkg``, or None."""
    if directory is None:
        return None
    gpkg = Path(directory) / "sensitivity.gpkg"
    if not gpkg.is_file():
        raise InputError(
            "no sensitivity.gpkg here (make it with `quartiere sensitivity`)", directory
        )
    try:
        with reading():
            areas = gpd.read_file(
                gpkg, layer="handlungsraeume", engine="pyogrio", ignore_geometry=True
            )
        with reading():
            plr = gpd.read_file(
                gpkg, layer="planungsraeume", engine="pyogrio", ignore_geometry=True
            )
    except Exception as exc:  # pyogrio raises DataLayerError
        raise InputError(f"cannot read sensitivity layers ({exc})", gpkg) from None
    for frame, columns, layer in (
        (areas, ("hr_id", "stability", "mean_jaccard"), "handlungsraeume"),
        (plr, ("plr_id", "inclusion", "class"), "planungsraeume"),
    ):
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise InputError(f"layer {layer!r} lacks column(s) {', '.join(missing)}", gpkg)
    return areas, plr


def _robustness(
    hr_id: str, members: pd.DataFrame, sensitivity: tuple[pd.DataFrame, pd.DataFrame], t: Messages
) -> dict[str, Any] | None:
    areas, plr = sensitivity
    row = areas[areas["hr_id"].astype(str) == hr_id]
    if row.empty:
        return None
    by_id = plr.assign(plr_id=plr["plr_id"].astype(str)).set_index("plr_id")
    # Contested planning areas of the area itself and at its edge (its neighbours in the layer
    # are not known here: the area's own members and those named in the layer with its hr_id).
    own = by_id.reindex(members["plr_id"].astype(str))
    contested = own[own["class"] == "contested"].sort_values("inclusion", ascending=False)
    names = members.set_index("plr_id")["plr_name"]
    return {
        "stability": t.number(100 * float(row["stability"].iloc[0]), 0) + " %",
        "jaccard": t.number(float(row["mean_jaccard"].iloc[0]), 2),
        "contested": [
            (f"{pid} {names.get(pid, '')}", t.number(100 * float(r["inclusion"]), 0))
            for pid, r in contested.iterrows()
        ],
    }


def _yes_no(value: Any, t: Messages) -> str:
    if value is None or pd.isna(value):
        return "–"
    return t("yes") if int(value) == 1 else t("no")


def _schools(
    hr_id: str,
    geometry: Any,
    build: data.Build,
    t: Messages,
) -> tuple[list[tuple[str, bool]], list[list[str]], str | None]:
    """The area's schools (from a ``schulen`` layer) or else the catchments touching it."""
    if build.schools is not None and len(build.schools):
        schools = build.schools[build.schools.intersects(geometry)]
        header = [
            (t("school"), False),
            (t("lmb_share"), True),
            (t("lmb_source"), False),
            (t("flagged"), False),
        ]
        rows = []
        for s in schools.sort_values(
            "bsn" if "bsn" in schools else schools.columns[0]
        ).itertuples():
            label = " ".join(str(getattr(s, c)) for c in ("bsn", "name") if hasattr(s, c))
            source = str(getattr(s, "lmb_source", "estimate"))
            rows.append(
                [
                    label,
                    t.number(getattr(s, "lmb_share", None), 1),
                    t(source) if source in ("estimate", "official") else source,
                    _yes_no(getattr(s, "flagged", None), t),
                ]
            )
        return header, rows, None
    catchments = build.catchment_layer[build.catchment_layer.intersects(geometry)]
    catchments = catchments[catchments.intersection(geometry).area > 1e4]
    header = [
        (t("catchment"), False),
        (t("lmb_share"), True),
        (t("lmb_source"), False),
        (t("flagged"), False),
    ]
    rows = [
        [
            str(c.esb_id),
            t.number(c.lmb_share, 1),
            t(str(c.lmb_source)) if str(c.lmb_source) in ("estimate", "official") else "",
            _yes_no(c.flagged, t),
        ]
        for c in catchments.sort_values("esb_id").itertuples()
    ]
    return header, rows, t("schools_from_catchments")


def _simplified(build: data.Build, tolerance_m: float = 4.0) -> data.Build:
    """The build with its polygons simplified for drawing (a map at 1:25,000 shows no 4 m detail;
    the pages get small). Planning areas as a coverage, so neighbours keep their shared edges."""
    import shapely

    def simple(frame: gpd.GeoDataFrame, coverage: bool = False) -> gpd.GeoDataFrame:
        geoms = frame.geometry.to_numpy()
        if coverage:
            simplified = shapely.coverage_simplify(geoms, tolerance_m)
        else:
            simplified = shapely.simplify(geoms, tolerance_m, preserve_topology=True)
        return frame.set_geometry(gpd.GeoSeries(simplified, index=frame.index, crs=frame.crs))

    return replace(
        build,
        areas=simple(build.areas),
        planning_areas=simple(build.planning_areas, coverage=True),
        catchments=simple(build.catchment_layer),
    )


def _pct(value: Any, t: Messages, decimals: int = 1) -> str:
    return t.number(value, decimals)


OVERVIEW = ""
"""The task of drawing the overview map (the others are hr_ids)."""


def _draw_figures(state: dict[str, Any], task: str) -> tuple[str, str | None]:
    """An area's map and trend chart as data URIs; for :data:`OVERVIEW` the overview map."""
    t = state["t"]
    if task == OVERVIEW:
        drawn = _simplified(state["build"], 25.0)
        districts = drawn.planning_areas.dissolve(by="bezirk").geometry
        return _data_uri(overview_map(drawn.areas, drawn.planning_areas, districts, t))[0], None
    svg = area_map(
        task,
        state["areas"],
        state["planning_areas"],
        state["catchments"],
        state["schools"],
        state["districts"],
        state["threshold"],
        t,
    )
    trend: data.Trend = state["trend"]
    chart = None
    if not trend.areas.empty and task in trend.areas.index.get_level_values(0):
        own = trend.areas.xs(task, level="hr_id")
        assert isinstance(own, pd.DataFrame)
        svg_chart = trend_chart(own, trend.berlin, state["names"][task], t, state["series"])
        chart = _data_uri(svg_chart)[0]
    return _data_uri(svg)[0], chart


def indicator_groups(
    config: Config, means: pd.DataFrame, columns: tuple[str, ...], t: Messages
) -> list[tuple[str, list[tuple[str, list[str]]]]]:
    """The indicator tables of a page: ``(heading, [(label, values per column)])``.

    One row per indicator the edition declares and a profile shows
    (:func:`~quartiere.profiles.data.shown_indicators`), labelled with the edition's own
    meaning and unit; ``means`` is :func:`~quartiere.profiles.data.indicator_means`.
    """
    shown = data.shown_indicators(config)
    groups = []
    for heading, table in (
        (t("index_indicators"), config.indicators.index),
        (t("context_indicators"), config.indicators.context),
    ):
        rows = [
            (item.label(t.language), [_pct(means.loc[item.code, c], t) for c in columns])
            for item in (table.items if table is not None else [])
            if item in shown
        ]
        if rows:
            groups.append((heading, rows))
    return groups


def chart_series(trend: data.Trend, t: Messages) -> list[tuple[str, str, str]]:
    """``(series id, label, unit)`` of every series of the trend, in its order."""
    labels = data.series_labels(trend.series, t.language)
    return [
        (name, labels[name], next(iter(items.values())).unit)
        for name, items in trend.series.items()
    ]


def trend_rows(trend: data.Trend, hr_id: str, t: Messages) -> dict[str, Any] | None:
    """The trend table of an area: years, ``(label, values)`` rows, transfer marks and the
    labels of the charted series; None when the trend has no row for the area.

    One row per declared series (and one for Berlin beside it), never per MSS code: an edition
    that does not declare a series shows no value in its row.
    """
    if trend.areas.empty or hr_id not in trend.areas.index.get_level_values(0):
        return None
    own = trend.areas.xs(hr_id, level="hr_id")
    assert isinstance(own, pd.DataFrame)
    years = list(own.index)
    series = chart_series(trend, t)
    rows = [(label, [_pct(v, t) for v in own[name]]) for name, label, _ in series] + [
        (f"{label}: {t('berlin')}", [_pct(v, t) for v in trend.berlin[name].reindex(years)])
        for name, label, _ in series
    ]
    rows.append((t("inhabitants"), [t.number(v) for v in own["population"]]))
    rows.append((t("attention_share"), [_pct(v, t, 0) for v in own["attention_share"]]))
    if "in_area_share" in own.columns:
        rows.append((t("in_area_share"), [_pct(v, t, 0) for v in own["in_area_share"]]))
    return {
        "years": years,
        "rows": rows,
        "transferred": [trend.transferred.get(y, False) for y in years],
        "labels": ", ".join(
            label for name, label, unit in series if unit == "%" and own[name].notna().any()
        ),
    }


def profile_context(
    build: data.Build,
    config: Config,
    trend: data.Trend,
    sensitivity: tuple[pd.DataFrame, pd.DataFrame] | None,
    t: Messages,
) -> tuple[list[dict[str, Any]], pd.DataFrame, dict[str, Any]]:
    """Everything each area's page shows, as display strings; and what its figures are drawn
    from (:func:`_draw_figures`)."""
    key = data.key_figures(build)
    indicators = data.read_indicators(config)
    means = data.indicator_means(build, indicators, key)
    drawn = _simplified(build)
    districts = drawn.planning_areas.dissolve(by="bezirk").geometry
    state = dict(
        build=build,
        areas=drawn.areas,
        planning_areas=drawn.planning_areas,
        catchments=drawn.catchments,
        schools=build.schools,
        districts=districts,
        threshold=config.criteria.schools.lmb_threshold,
        trend=trend,
        series=chart_series(trend, t),
        names={str(a.hr_id): str(a.hr_name) for a in build.areas.itertuples()},
        t=t,
    )
    pages = []
    for area in build.areas.itertuples():
        hr_id = str(area.hr_id)
        k = key.loc[hr_id]
        bezirk = str(k["bezirk"])
        members = build.planning_areas[build.planning_areas["hr_id"] == hr_id].sort_values("plr_id")
        key_rows = [
            (t("inhabitants"), [t.number(k[f"{p}population"]) for p in ("", "bezirk_", "berlin_")]),
            (t("area_km2"), [t.number(k[f"{p}area_km2"], 1) for p in ("", "bezirk_", "berlin_")]),
            (t("n_plr"), [t.number(k[f"{p}n_plr"]) for p in ("", "bezirk_", "berlin_")]),
            (t("density"), [t.number(k[f"{p}density"]) for p in ("", "bezirk_", "berlin_")]),
        ]
        groups = indicator_groups(config, means, (hr_id, bezirk, "Berlin"), t)
        trend_block = trend_rows(trend, hr_id, t)
        plr_rows = [
            {
                "id": p.plr_id,
                "name": p.plr_name,
                "mss": f"{p.mss_status or '–'} / {p.mss_dynamic or '–'} ({_flag(p.c_mss, t)})",
                "schools": f"{_pct(p.lmb_area_share, t, 0)} ({_flag(p.c_schools, t)})",
                "atlas": f"{t.number(p.atlas_value, 2)} / "
                f"{t.number(p.atlas_stratum)} ({_flag(p.c_atlas, t)})",
                "population": t.number(p.population),
                "decision": p.decision,
            }
            for p in members.itertuples()
        ]
        schools_header, schools, schools_note = _schools(hr_id, area.geometry, build, t)
        pages.append(
            {
                "hr_id": hr_id,
                "name": str(area.hr_name),
                "bezirk": bezirk,
                "map": None,  # figures: drawn page by page while the pages are written
                "key": key_rows,
                "indicators": groups,
                "trend": trend_block,
                "trend_chart": None,
                "plr": plr_rows,
                "schools_header": schools_header,
                "schools": schools,
                "schools_note": schools_note,
                "robustness": (
                    _robustness(hr_id, members, sensitivity, t) if sensitivity is not None else None
                ),
                "population": t.number(k["population"]),
                "area": t.number(k["area_km2"], 1),
                "n_plr": t.number(k["n_plr"]),
                "density": t.number(k["density"]),
            }
        )
    return pages, key, state


def context_note(config: Config, t: Messages) -> str | None:
    """Why a profile shows no context indicators when the edition's context table is of another
    year (:func:`quartiere.profiles.data.shown_indicators`), or None."""
    table = config.indicators.context
    if table is None or table.year == config.mss.edition:
        return None
    return t(
        "context_other_year",
        edition=config.mss.edition,
        year=table.year,
        codes=", ".join(i.code for i in table.items),
        file=Path(table.path).name,
        why=table.why,
    )


def _notes(build: data.Build, config: Config, t: Messages) -> list[str]:
    notes = []
    if build.schools is not None:
        # The build's own school-list attribution (and year): an edition on another list must
        # not be credited to the 2018/19 one.
        source = build.info.school_fact("schools.attribution")
        notes.append(t("schools_note_of", attribution=source) if source else t("schools_note"))
    if "estimate" in set(build.catchment_layer["lmb_source"].astype(str)):
        notes.append(t("lmb_estimate_note", indicator=config.child_poverty_label(t.language)))
    notes.append(t("atlas_note"))
    notes.append(t("trend_approx_note"))
    return notes


def _build_facts(info: BuildInfo) -> list[tuple[str, str]]:
    """The record's rows a profile lists under "build", as the build wrote them."""
    keep = re.compile(
        r"^(edition|built_at|quartiere_version|lor_generation|config\.\d+|input:.*"
        r"|lmb_source|lmb_estimate_factor|versions)$"
    )
    return [(k, v) for k, v in info_rows(info) if keep.match(k)]


def write_profiles(
    options: ProfileOptions,
    config: Config,
    progress: Callable[[str], None] = lambda _m: None,
    printer: PdfPrinter | None = None,
) -> list[Path]:
    """Write ``index.html`` and per area ``<hr_id>.html`` and ``<hr_id>.pdf`` into ``options.out``.

    ``printer``: a running :class:`PdfPrinter` (the command line starts it before its imports);
    without one, one is started here when PDFs are wanted (Chromium, the one client process).
    The figures are drawn one after the other in this process, while Chromium prints the pages
    already written (a pool of figure workers gained nothing measurable on the shared 2-core
    machine: docs/performance.md, "Concurrency").

    Returns the files written. Raises :class:`InputError` for a missing build, history or
    sensitivity directory, and :class:`QuartiereError` when PDFs are wanted but no Chromium is
    installed.
    """
    start = time.perf_counter()
    # The user's own arguments first: a missing build is exit 3 with or without Chromium.
    build = data.read_build_layers(options.build)
    sensitivity = _read_sensitivity(options.sensitivity)
    if options.history is not None and not Path(options.history).is_dir():
        raise InputError("history run not found (make it with `make history`)", options.history)
    chromium = find_chromium() if options.pdf else None
    if options.pdf and chromium is None:
        raise QuartiereError(f"PDF profiles need headless Chromium: {INSTALL_HINT}; or --no-pdf")
    with ExitStack() as stack:
        # Chromium runs in a process of its own and prints each page once it is written (one
        # page at a time keeps up with the drawing and leaves the cores to it).
        if printer is None and chromium is not None:
            printer = stack.enter_context(PdfPrinter(chromium, parallel=1))
        return _write(options, config, build, sensitivity, printer, progress, start)


def _write(
    options: ProfileOptions,
    config: Config,
    build: data.Build,
    sensitivity: tuple[pd.DataFrame, pd.DataFrame] | None,
    printer: PdfPrinter | None,
    progress: Callable[[str], None],
    start: float,
) -> list[Path]:
    t = Messages(config.language)
    if options.history is None:
        years, trend = data.cached_trend(build.areas, list(options.editions))
    else:
        editions = data.load_editions(list(options.editions))
        data.read_history(options.history, editions)
        years, trend = [e.year for e in editions], data.trend(build.areas, editions)
    progress(f"trend over {len(years)} editions {time.perf_counter() - start:6.2f} s")
    pages, key, state = profile_context(build, config, trend, sensitivity, t)
    env, css = _template_env()
    built = build.info.built_at or ""
    try:
        when = datetime.fromisoformat(built.replace("Z", "+00:00"))
    except ValueError:
        when = datetime.now(UTC)
    common = {
        "t": t,
        "lang": config.language,
        "css": css,
        "edition": build.info.edition or config.edition,
        "today": t.date(when),
        "attribution": build.info.attribution or ATTRIBUTION,
        "version": __version__,
        "mss_year": config.mss.edition,
        "context_note": context_note(config, t),
        "notes": _notes(build, config, t),
        "build_facts": _build_facts(build.info),
        "trend_heading": t("trend", first=min(years), last=max(years))
        if years
        else t("trend", first="", last=""),
        "robustness_absent": t("robustness_absent"),
        "map_width": 672,
        "map_height": 538,
        "chart_width": 614,
        "chart_height": 250,
    }
    out = Path(options.out)
    names: list[str] = []
    # the pages of areas that no longer exist go in the same commit
    with staging(out, into=True, prune=lambda old: old.suffix in (".html", ".pdf")) as stage:
        try:
            profile = env.get_template("profile.html")
            todo = list(pages)
            overview = ""

            def take(figures: tuple[str, str | None]) -> None:
                nonlocal overview
                if not todo:  # the last task: the overview map
                    overview = figures[0]
                    return
                page = todo.pop(0)
                page.update(map=figures[0], trend_chart=figures[1])
                path = stage / f"{page['hr_id']}.html"
                path.write_text(profile.render(a=page, **common), encoding="utf-8")
                if printer is not None:
                    printer.print(path)

            for task in [*(page["hr_id"] for page in pages), OVERVIEW]:
                take(_draw_figures(state, task))
            (stage / "index.html").write_text(
                env.get_template("index.html").render(overview=overview, rows=pages, **common),
                encoding="utf-8",
            )
            progress(f"{len(pages)} pages written      {time.perf_counter() - start:6.2f} s")
            if printer is not None:
                printer.finish()
                progress(f"{len(pages)} PDFs printed       {time.perf_counter() - start:6.2f} s")
            names = sorted(p.name for p in stage.iterdir())
        finally:
            if printer is not None:
                printer.stop()  # it may be printing into the stage: stop it before the commit
    return [out / name for name in names]
