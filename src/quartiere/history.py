"""Re-delineation over time, at the pipeline's edges: read builds, write diffs, build a history.

:func:`read_build` reads the layers of a GeoPackage written by ``quartiere build``;
:func:`write_diff` writes a :class:`quartiere.diff.BuildDiff` as ``changes.gpkg`` (layer
``changes``), ``changes.md`` and ``changes.json``; :func:`run_history` builds every edition in
order, each numbered against the one before (``--previous``), and writes the timeline.

The timeline's pure parts (:func:`timeline`, :func:`persistence`, :func:`persistence_matrix`)
take frames and return frames. Across LOR generations everything is matched by geometry overlap:
the persistence of a planning area is computed on the planning areas of the **last** edition (LOR
2021 for the shipped editions), counting an earlier edition when at least half of the planning
area lies inside one of that edition's Handlungsräume.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from quartiere import ATTRIBUTION
from quartiere.diff import (
    CRS,
    Build,
    BuildDiff,
    DiffOptions,
    area_links,
    diff_builds,
    diff_json,
    diff_markdown,
    in_comparison_crs,
    markdown_table,
)
from quartiere.errors import InputError
from quartiere.io.atomic import write_atomically, write_text_atomically
from quartiere.io.builds import read_build

__all__ = [
    "Edition",
    "History",
    "history_json",
    "matrix_counts",
    "persistence",
    "persistence_matrix",
    "read_build",
    "render_timeline",
    "run_history",
    "timeline",
    "timeline_markdown",
    "write_diff",
]

Progress = Callable[[str], None]

BUILD_NAME = "handlungsraeume.gpkg"
"""File name of each edition's build inside its directory of a history."""


# --------------------------------------------------------------------------------------------
# reading and writing


def _write_layers(
    out: Path, layers: dict[str, pd.DataFrame], info: dict[str, str], edition: str
) -> None:
    from quartiere.io.gpkg import write_geopackage

    write_geopackage(out, layers, info, {"edition": edition, "estimates": []})


def write_diff(diff: BuildDiff, out_dir: Path | None, json_path: Path | None = None) -> list[Path]:
    """Write a comparison as ``changes.gpkg``, ``changes.md`` and ``changes.json`` in a directory.

    Parameters
    ----------
    diff
        The result of :func:`quartiere.diff.diff_builds`.
    out_dir
        Directory to write into (created when missing); ``None`` writes no directory outputs.
    json_path
        Write the JSON here instead of ``out_dir / "changes.json"``.

    Returns
    -------
    list of Path
        The files written.
    """
    written: list[Path] = []
    payload = json.dumps(diff_json(diff), ensure_ascii=False, indent=2) + "\n"
    if out_dir is not None:
        out_dir = Path(out_dir)
        info = {
            "kind": "quartiere diff",
            "old": f"{diff.old['label']} ({diff.old['edition']}, built {diff.old['built_at']})",
            "new": f"{diff.new['label']} ({diff.new['edition']}, built {diff.new['built_at']})",
            "changed": str(diff.changed).lower(),
            "counts": ", ".join(f"{k}={v}" for k, v in diff.counts().items()),
        }
        _write_layers(
            out_dir / "changes.gpkg",
            {"changes": diff.changes},
            info,
            f"{diff.old['edition']} -> {diff.new['edition']}",
        )
        write_text_atomically(out_dir / "changes.md", diff_markdown(diff))
        written += [out_dir / "changes.gpkg", out_dir / "changes.md"]
        if json_path is None:
            json_path = out_dir / "changes.json"
    if json_path is not None:
        write_text_atomically(Path(json_path), payload)
        written.append(Path(json_path))
    return written


# --------------------------------------------------------------------------------------------
# the timeline (pure)


@dataclass
class Edition:
    """One edition of a history: its key (the configuration's file stem), label and build."""

    key: str
    year: int
    label: str
    config: Path
    path: Path
    build: Build


def timeline(
    builds: Sequence[Build], keys: Sequence[str], options: DiffOptions | None = None
) -> pd.DataFrame:
    """Which Handlungsraum existed in which edition, followed through the editions by overlap.

    An area continues the *track* of the area of the edition before that it matches one-to-one
    (the matching of :func:`quartiere.diff.area_links`); any other area starts a new track.

    Parameters
    ----------
    builds
        The builds in chronological order.
    keys
        One short name per build (column names).
    options
        Matching thresholds.

    Returns
    -------
    pandas.DataFrame
        One row per track: ``track`` (``<first key>:<hr_id>``), ``hr_name`` (latest), one column
        per key with the area's ``hr_id`` in that edition (empty when absent), ``first``, ``last``
        and ``n_editions``.
    """
    options = options or DiffOptions()
    tracks: dict[str, dict[str, str]] = {}
    names: dict[str, str] = {}
    current: dict[str, str] = {}
    previous: gpd.GeoDataFrame | None = None
    for key, build in zip(keys, builds, strict=True):
        areas = in_comparison_crs(build.areas)
        areas = areas.assign(hr_id=areas["hr_id"].astype(str))
        matched: dict[str, str] = {}
        if previous is not None:
            links = area_links(
                previous, areas, min_link=options.min_link, min_overlap=options.min_overlap
            )
            matched = dict(
                zip(
                    links.loc[links["match"], "new_hr_id"],
                    links.loc[links["match"], "old_hr_id"],
                    strict=True,
                )
            )
        following: dict[str, str] = {}
        hr_names = (
            areas["hr_name"].fillna("").astype(str)
            if "hr_name" in areas
            else pd.Series("", index=areas.index)
        )
        for hr_id, name in sorted(zip(areas["hr_id"], hr_names, strict=True)):
            old = matched.get(hr_id)
            track = current[old] if old is not None and old in current else f"{key}:{hr_id}"
            tracks.setdefault(track, {})[key] = hr_id
            names[track] = name
            following[hr_id] = track
        current = following
        previous = areas
    rows = []
    for track, cells in tracks.items():
        present = [k for k in keys if k in cells]
        rows.append(
            {
                "track": track,
                "hr_name": names[track],
                **{k: cells.get(k, "") for k in keys},
                "first": present[0],
                "last": present[-1],
                "n_editions": len(present),
            }
        )
    frame = pd.DataFrame(rows, columns=["track", "hr_name", *keys, "first", "last", "n_editions"])
    order = {k: i for i, k in enumerate(keys)}
    frame["_first"] = frame["first"].map(order)
    frame["_id"] = [row[row["first"]] for row in frame.to_dict("records")]
    return (
        frame.sort_values(["_first", "_id"], kind="stable")
        .drop(columns=["_first", "_id"])
        .reset_index(drop=True)
    )


def _inside(planning_areas: gpd.GeoDataFrame, build: Build, share: float) -> np.ndarray:
    """Whether at least ``share`` of each planning area lies inside one of the build's areas."""
    same = build.generation is not None and set(build.planning_areas["plr_id"].astype(str)) == set(
        planning_areas["plr_id"].astype(str)
    )
    if same:
        inside = build.planning_areas.set_index(build.planning_areas["plr_id"].astype(str))
        hr = inside["hr_id"].fillna("").astype(str).reindex(planning_areas["plr_id"].astype(str))
        return (hr.fillna("") != "").to_numpy()
    areas = build.areas.to_crs(planning_areas.crs) if build.areas.crs else build.areas
    union = shapely.union_all(np.asarray(areas.geometry.values))
    geoms = np.asarray(planning_areas.geometry.values)
    covered = shapely.area(shapely.intersection(geoms, union)) / shapely.area(geoms)
    return covered >= share


def persistence(
    planning_areas: gpd.GeoDataFrame,
    builds: Sequence[Build],
    keys: Sequence[str],
    share: float = 0.5,
) -> gpd.GeoDataFrame:
    """In how many editions each planning area was inside a Handlungsraum.

    Parameters
    ----------
    planning_areas
        The target planning areas (``plr_id``, ``plr_name``, ``bezirk``, geometry), normally the
        last edition's ``planungsraeume`` layer (LOR 2021).
    builds, keys
        The editions and their short names.
    share
        A planning area counts as inside an edition of another LOR generation when at least this
        share of its surface lies inside that edition's areas; within one generation the
        membership (``hr_id``) is used as is.

    Returns
    -------
    geopandas.GeoDataFrame
        ``plr_id``, ``plr_name``, ``bezirk``, one 0/1 column ``in_<key>`` per edition,
        ``persistence`` (number of editions inside, 0..n), ``n_editions`` and geometry.
    """
    target = in_comparison_crs(planning_areas)
    out = pd.DataFrame(
        {
            "plr_id": target["plr_id"].astype(str).to_numpy(),
            "plr_name": target.get("plr_name", pd.Series("", index=target.index)).to_numpy(),
            "bezirk": target.get("bezirk", pd.Series("", index=target.index)).to_numpy(),
        }
    )
    for key, build in zip(keys, builds, strict=True):
        out[f"in_{key}"] = _inside(target, build, share).astype(int)
    out["persistence"] = out[[f"in_{k}" for k in keys]].sum(axis=1).astype(int)
    out["n_editions"] = len(keys)
    return gpd.GeoDataFrame(out, geometry=np.asarray(target.geometry.values), crs=CRS)


def persistence_matrix(
    builds: Sequence[Build], keys: Sequence[str], options: DiffOptions | None = None
) -> pd.DataFrame:
    """How many areas of each edition persist into each later edition, matched directly.

    Parameters
    ----------
    builds, keys
        The editions in chronological order and their short names.
    options
        Matching thresholds (one-to-one, at least ``min_overlap`` of either area).

    Returns
    -------
    pandas.DataFrame
        Rows and columns are keys; cell (i, j), j after i, is the number of areas of edition i
        continued by an area of edition j; the diagonal holds the number of areas; the rest is NA.
    """
    options = options or DiffOptions()
    empty = {k: pd.array([pd.NA] * len(keys), dtype="Int64") for k in keys}
    matrix = pd.DataFrame(empty, index=list(keys))
    areas = [in_comparison_crs(b.areas) for b in builds]
    for i, key_i in enumerate(keys):
        matrix.loc[key_i, key_i] = len(areas[i])
        for j in range(i + 1, len(keys)):
            links = area_links(
                areas[i], areas[j], min_link=options.min_link, min_overlap=options.min_overlap
            )
            matrix.loc[key_i, keys[j]] = int(links["match"].sum())
    return matrix


def matrix_counts(matrix: pd.DataFrame) -> dict[str, dict[str, int | None]]:
    """:func:`persistence_matrix` as nested plain dicts: row key -> column key -> count or None."""
    return {
        str(row): {
            str(col): (None if value is pd.NA else int(value))
            for col, value in zip(matrix.columns, values, strict=True)
        }
        for row, values in zip(matrix.index, matrix.to_numpy(dtype=object), strict=True)
    }


def timeline_markdown(
    editions: Sequence[Edition],
    table: pd.DataFrame,
    matrix: pd.DataFrame,
    plr: gpd.GeoDataFrame,
    min_overlap: float = 0.5,
) -> str:
    """The timeline as Markdown: the areas per edition, persistence between editions and per PLR.

    Parameters
    ----------
    editions
        The editions in order.
    table
        :func:`timeline`.
    matrix
        :func:`persistence_matrix`.
    plr
        :func:`persistence`.
    min_overlap
        The matching threshold the timeline and matrix were computed with (for the text).

    Returns
    -------
    str
    """
    keys = [e.key for e in editions]
    persist_into = matrix_counts(matrix)
    heads = [f"MSS {e.year} ({e.key})" for e in editions]
    lines = ["# Handlungsräume over the editions", ""]
    lines += [
        f"- **{e.key}**: {e.label}, {len(e.build.areas)} Handlungsräume, "
        f"population inside {int(pd.to_numeric(e.build.areas['population']).sum()):,}"
        for e in editions
    ]
    if len(editions) >= 2:
        last = editions[-1]
        generations = list(dict.fromkeys(e.build.generation or "?" for e in editions))
        lines += [
            "",
            "Areas are matched by geometry overlap, never by number: an area persists into a "
            "later edition when it and an area of that edition are each other's largest overlap "
            f"and share at least {min_overlap:.0%} of the smaller of the two."
            + (
                " Planning areas are not compared by id: the editions use different LOR "
                f"generations ({' -> '.join(generations)})."
                if len(generations) > 1
                else ""
            ),
        ]
        for e in editions[:-1]:
            lines.append(
                f"- {persist_into[e.key][last.key]} of the {len(e.build.areas)} areas of "
                f"MSS {e.year} ({e.key}) persist into MSS {last.year} ({last.key})."
            )
    lines += ["", "## Which areas existed in which edition", ""]
    lines += markdown_table(
        ["track", "name", *heads, "editions"],
        [
            [row["track"], row["hr_name"], *(row[k] or "·" for k in keys), row["n_editions"]]
            for row in table.to_dict("records")
        ],
    )
    lines += [
        "",
        "A track follows one area through the editions; the cells hold its number in "
        "each edition (· = not an area).",
        "",
        "## Persistence between editions",
        "",
        "Areas of the row's edition continued by an area of the column's edition "
        "(diagonal: number of areas).",
        "",
    ]
    lines += markdown_table(
        ["", *keys],
        [[key, *("" if v is None else v for v in persist_into[key].values())] for key in keys],
    )
    n = len(keys)
    per_count = plr["persistence"].value_counts().reindex(range(n + 1), fill_value=0)
    lines += [
        "",
        "## Persistence per planning area",
        "",
        f"On the {len(plr)} planning areas of the last edition ({keys[-1]}): in how many of "
        f"the {n} editions each lay inside a Handlungsraum (`persistence.csv`).",
        "",
    ]
    lines += markdown_table(
        ["editions inside", "planning areas"], [[k, int(v)] for k, v in per_count.items()]
    )
    core = plr[plr["persistence"] == n]
    if len(core):
        lines += [
            "",
            f"Inside in every edition ({len(core)}): "
            + ", ".join(
                f"{r['plr_id']} {r['plr_name']}"
                for r in core.sort_values("plr_id").to_dict("records")
            )
            + ".",
        ]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# the small-multiples map


def render_timeline(
    editions: Sequence[Edition], plr: gpd.GeoDataFrame, out_png: Path, dpi: int = 150
) -> None:
    """Draw one panel per edition (areas with their numbers) and a persistence panel.

    Parameters
    ----------
    editions
        The editions in order.
    plr
        :func:`persistence` (drawn in the last panel).
    out_png
        The PNG to write (atomically).
    dpi
        Resolution.
    """
    from matplotlib import colormaps, patheffects
    from matplotlib.figure import Figure

    n_panels = len(editions) + 1
    ncols = min(3, n_panels)
    nrows = int(np.ceil(n_panels / ncols))
    # No Agg canvas until savefig: geopandas calls draw_idle after every layer, which an Agg
    # canvas would honour with a full (constrained-layout) redraw each time.
    fig = Figure(figsize=(4.2 * ncols, 3.7 * nrows), layout="constrained")
    halo = [patheffects.withStroke(linewidth=2, foreground="white")]
    city = shapely.union_all(np.asarray(plr.geometry.values))
    outline = gpd.GeoSeries([city], crs=CRS)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax, edition in zip(axes, editions, strict=False):
        areas = in_comparison_crs(edition.build.areas)
        in_comparison_crs(edition.build.planning_areas).boundary.plot(
            ax=ax, color="#dddddd", linewidth=0.2
        )
        outline.boundary.plot(ax=ax, color="#555555", linewidth=0.6)
        areas.plot(ax=ax, color="#e66101", alpha=0.75, edgecolor="#7f2704", linewidth=0.4)
        for hr_id, point in zip(areas["hr_id"], areas.geometry.representative_point(), strict=True):
            ax.text(
                point.x,
                point.y,
                str(hr_id),
                fontsize=5.5,
                ha="center",
                va="center",
                path_effects=halo,
            )
        population = int(pd.to_numeric(areas["population"]).sum())
        ax.set_title(
            f"MSS {edition.year} ({edition.key})\n{len(areas)} areas, {population:,} inhabitants",
            fontsize=8,
        )
    ax = axes[len(editions)]
    n = len(editions)
    cmap = colormaps["YlOrRd"].resampled(n + 1)
    plr.plot(
        ax=ax,
        column="persistence",
        cmap=cmap,
        vmin=-0.5,
        vmax=n + 0.5,
        edgecolor="#bbbbbb",
        linewidth=0.1,
        legend=True,
        legend_kwds={
            "shrink": 0.6,
            "ticks": list(range(n + 1)),
            "label": "editions inside an area",
        },
    )
    outline.boundary.plot(ax=ax, color="#555555", linewidth=0.6)
    colorbar = fig.axes[-1]
    colorbar.tick_params(labelsize=7)
    colorbar.yaxis.label.set_fontsize(7)
    ax.set_title(f"Persistence on the planning areas of {editions[-1].key}", fontsize=8)
    for ax in axes:
        ax.set_axis_off()
        ax.set_aspect("equal")
    fig.suptitle("Handlungsräume over the MSS editions", fontsize=10)
    fig.text(
        0.99,
        0.005,
        ATTRIBUTION,
        fontsize=5,
        ha="right",
        va="bottom",
    )
    write_atomically(Path(out_png), lambda tmp: fig.savefig(tmp, dpi=dpi, format="png"))


# --------------------------------------------------------------------------------------------
# the history run


@dataclass
class History:
    """What :func:`run_history` built and wrote."""

    editions: list[Edition]
    timeline: pd.DataFrame
    matrix: pd.DataFrame
    persistence: gpd.GeoDataFrame
    diffs: dict[str, BuildDiff] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)


def _order(config_paths: Sequence[Path]) -> list[tuple[int, str, Path, str]]:
    """Configurations sorted by MSS year: (year, key, path, edition label)."""
    from quartiere.config import load_config
    from quartiere.errors import ConfigError

    seen: dict[str, Path] = {}
    rows = []
    for path in config_paths:
        config = load_config(path)
        key = Path(path).stem
        if key in seen:
            raise ConfigError(f"two editions are named {key!r} ({seen[key]}); rename one", path)
        seen[key] = Path(path)
        rows.append((config.mss.edition, key, Path(path), config.edition))
    return sorted(rows, key=lambda r: (r[0], r[1]))


def run_history(
    config_paths: Sequence[Path],
    out_dir: Path,
    *,
    progress: Progress = lambda _: None,
    options: DiffOptions | None = None,
) -> History:
    """Build each edition in chronological order, numbered against the one before, and compare.

    Parameters
    ----------
    config_paths
        Edition configurations, in any order: they are sorted by MSS year (``mss.edition``).
    out_dir
        Output directory. Each edition goes to ``<key>/handlungsraeume.gpkg`` (with its map and
        summary) and, from the second on, ``<key>/changes.{gpkg,md,json}`` against the one before;
        the timeline to ``timeline.csv``, ``timeline.md``, ``persistence.csv``,
        ``history.gpkg`` (layer ``persistence``) and ``history.png``.
    progress
        Receives one line per step.
    options
        Matching thresholds for the comparisons.

    Returns
    -------
    History
    """
    from quartiere.pipeline import build

    options = options or DiffOptions()
    out_dir = Path(out_dir)
    editions: list[Edition] = []
    diffs: dict[str, BuildDiff] = {}
    files: list[Path] = []
    previous: Edition | None = None
    for year, key, config_path, label in _order(config_paths):
        target = out_dir / key / BUILD_NAME
        progress(
            f"[{key}] building {label}" + (f", numbered against {previous.key}" if previous else "")
        )
        build(
            config_path,
            target,
            previous=previous.path if previous else None,
            progress=lambda _msg: None,
        )
        edition = Edition(
            key=key,
            year=year,
            label=label,
            config=config_path,
            path=target,
            build=read_build(target, label=f"{key}/{BUILD_NAME}"),
        )
        files.append(target)
        if previous is not None:
            result = diff_builds(previous.build, edition.build, options)
            diffs[key] = result
            files += write_diff(result, out_dir / key)
            c = result.counts()
            progress(
                f"[{key}] {len(edition.build.areas)} areas: {c['persisted']} persisted, "
                f"{c['split']} split, {c['merged']} merged, {c['appeared']} appeared, "
                f"{c['vanished']} vanished since {previous.key}"
            )
        else:
            progress(f"[{key}] {len(edition.build.areas)} areas")
        editions.append(edition)
        previous = edition
    if not editions:
        raise InputError("no edition configuration given")
    keys = [e.key for e in editions]
    builds = [e.build for e in editions]
    table = timeline(builds, keys, options)
    matrix = persistence_matrix(builds, keys, options)
    plr = persistence(editions[-1].build.planning_areas, builds, keys, share=options.plr_share)
    progress("writing the timeline")
    write_atomically(out_dir / "timeline.csv", lambda tmp: table.to_csv(tmp, index=False))
    write_atomically(
        out_dir / "persistence.csv",
        lambda tmp: pd.DataFrame(plr.drop(columns="geometry")).to_csv(tmp, index=False),
    )
    history = History(
        editions=editions, timeline=table, matrix=matrix, persistence=plr, diffs=diffs, files=files
    )
    write_text_atomically(
        out_dir / "timeline.json",
        json.dumps(history_json(history), ensure_ascii=False, indent=2) + "\n",
    )
    info = {
        "kind": "quartiere history",
        "editions": ", ".join(f"{e.key} ({e.label})" for e in editions),
    }
    _write_layers(
        out_dir / "history.gpkg", {"persistence": plr}, info, f"history {keys[0]} .. {keys[-1]}"
    )
    render_timeline(editions, plr, out_dir / "history.png")
    # Last, because `make history` takes timeline.md as the sign that the history is complete.
    write_text_atomically(
        out_dir / "timeline.md",
        timeline_markdown(editions, table, matrix, plr, min_overlap=options.min_overlap),
    )
    files += [
        out_dir / n
        for n in (
            "timeline.csv",
            "timeline.md",
            "timeline.json",
            "persistence.csv",
            "history.gpkg",
            "history.png",
        )
    ]
    return history


def history_json(history: History) -> dict[str, Any]:
    """The timeline as plain data (editions, tracks, persistence matrix)."""
    return {
        "editions": [
            {"key": e.key, "year": e.year, "label": e.label, "n_areas": len(e.build.areas)}
            for e in history.editions
        ],
        "tracks": history.timeline.to_dict("records"),
        "persist_into": matrix_counts(history.matrix),
    }
