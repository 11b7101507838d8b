"""Re-delineation over time, the orchestration at the pipeline's edge: write diffs, build a history.

:func:`write_diff` writes a :class:`quartiere.compare.diff.BuildDiff` as ``changes.gpkg`` (layer
``changes``), ``changes.md`` and ``changes.json``; :func:`run_history` builds every edition in
order, each numbered against the one before (``--previous``), and writes the timeline. The
comparisons are pure (:mod:`quartiere.compare`), their text and maps come from
:mod:`quartiere.present`, files are written through :mod:`quartiere.io`. The memo, timeline and
map are in the language the (newest) build was made in (``language:``, German by default).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from quartiere.compare.diff import BuildDiff, DiffOptions, diff_builds
from quartiere.compare.timeline import Edition, History, persistence, persistence_matrix, timeline
from quartiere.editions import order_editions
from quartiere.errors import InputError
from quartiere.io.atomic import staging, write_atomically, write_text_atomically
from quartiere.io.builds import read_build
from quartiere.io.figures import write_png
from quartiere.present.diff_text import diff_json, diff_markdown
from quartiere.present.maps import timeline_figure
from quartiere.present.timeline_text import history_json, timeline_markdown

Progress = Callable[[str], None]


BUILD_NAME = "handlungsraeume.gpkg"
"""File name of each edition's build inside its directory of a history."""


def _write_layers(
    out: Path, layers: dict[str, pd.DataFrame], info: dict[str, str], edition: str, language: str
) -> None:
    from quartiere.io.gpkg import write_geopackage

    metadata = {"edition": edition, "estimates": [], "language": language}
    write_geopackage(out, layers, info, metadata)


def _memo_after(memo: list[Path], builds: list[Path]) -> bool:
    """Whether every memo file exists and was written after both builds it compares."""
    try:
        newest = max(p.stat().st_mtime_ns for p in builds)
        return all(p.stat().st_mtime_ns >= newest for p in memo)
    except OSError:
        return False


def write_diff(diff: BuildDiff, out_dir: Path | None, json_path: Path | None = None) -> list[Path]:
    """Write a comparison as ``changes.gpkg``, ``changes.md`` and ``changes.json`` in a directory.

    Parameters
    ----------
    diff
        The result of :func:`quartiere.compare.diff.diff_builds`.
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
        # the three replace theirs together, or (a full disk) none does
        with staging(out_dir / "changes.md") as work:
            _write_layers(
                work / "changes.gpkg",
                {"changes": diff.changes},
                info,
                f"{diff.old['edition']} -> {diff.new['edition']}",
                diff.new.get("language") or "de",
            )
            write_text_atomically(work / "changes.md", diff_markdown(diff))
            if json_path is None:
                write_text_atomically(work / "changes.json", payload)
        written += [out_dir / "changes.gpkg", out_dir / "changes.md"]
        if json_path is None:
            return [*written, out_dir / "changes.json"]
    if json_path is not None:
        write_text_atomically(Path(json_path), payload)
        written.append(Path(json_path))
    return written


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
        Edition configurations, in any order: they are sorted by MSS year (``mss.edition``)
        and keyed by their edition file (:mod:`quartiere.editions`); two of one MSS year are
        refused.
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
    from quartiere.reuse import build_is_current

    options = options or DiffOptions()
    out_dir = Path(out_dir)
    editions: list[Edition] = []
    diffs: dict[str, BuildDiff] = {}
    files: list[Path] = []
    previous: Edition | None = None
    previous_current = False
    for ref in order_editions(config_paths):
        year, key, config_path, label = ref.year, ref.key, ref.path, ref.label
        target = out_dir / key / BUILD_NAME
        progress(
            f"[{key}] building {label}" + (f", numbered against {previous.key}" if previous else "")
        )
        before = previous.path if previous else None
        current = build_is_current(config_path, target, before, afresh=before is None)
        if current:
            progress(f"[{key}] up to date: inputs, configuration and code unchanged")
        else:
            build(config_path, target, previous=before, progress=lambda _msg: None)
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
            memo = [out_dir / key / f"changes.{x}" for x in ("gpkg", "md", "json")]
            if current and previous_current and _memo_after(memo, [previous.path, target]):
                # both builds as they were, and the memo written after both: it is theirs (a
                # history interrupted between a build and its memo leaves an older memo)
                files += memo
            else:
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
        previous, previous_current = edition, current
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
    language = editions[-1].build.language  # the documents speak the last edition's language
    _write_layers(
        out_dir / "history.gpkg",
        {"persistence": plr},
        info,
        f"history {keys[0]} .. {keys[-1]}",
        language,
    )
    write_png(out_dir / "history.png", timeline_figure(editions, plr, language), dpi=150)
    # Last, because `make history` takes timeline.md as the sign that the history is complete.
    write_text_atomically(
        out_dir / "timeline.md",
        timeline_markdown(
            editions, table, matrix, plr, min_overlap=options.min_overlap, language=language
        ),
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
