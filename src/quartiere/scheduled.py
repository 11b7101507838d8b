"""Scheduled re-delineation (`quartiere update`, `make update`): rebuild, keep the record.

One update, in one output directory ``D`` (``D/handlungsraeume.gpkg`` by default):

1. the current build is copied aside and the edition is rebuilt, numbered against it;
2. when the new result equals the current one (no area event, no planning-area change),
   ``D/previous.gpkg`` and the last change memo stay as they are: they still describe the last
   real change, and nothing a scheduled job found is lost;
3. otherwise the current build becomes ``D/previous.gpkg`` and the memo goes to
   ``D/changes/<build time>/changes.{md,json,gpkg}``; ``D/changes.md`` is the latest memo, headed
   by the path of its dated copy.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from quartiere.record import Baseline

__all__ = ["update"]


def _first_baseline(
    config_path: Path, processed: Path, progress: Callable[[str], None]
) -> Path | Baseline | None:
    """The history's build of this very edition, else the newest earlier edition's build."""
    from quartiere.config import load_config
    from quartiere.editions import edition_key
    from quartiere.lineage import BUILD_NAME, HISTORY_DIR, baseline_for

    config = load_config(config_path)
    own = processed / HISTORY_DIR / edition_key(config) / BUILD_NAME
    if own.is_file():
        from quartiere.io.builds import read_build

        progress(f"numbering continues the history's build of this edition: {own}")
        return Baseline(read_build(own, label=str(own)), edition_key(config), str(own), own)
    return baseline_for(config, processed, progress=progress)


def update(
    config_path: Path,
    out: Path,
    *,
    seed: Path | None = None,
    processed: Path | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> str:
    """Rebuild ``out`` from ``config_path``; return one line saying what happened.

    Parameters
    ----------
    config_path
        The edition configuration.
    out
        The build to update; ``previous.gpkg`` and ``changes/`` go beside it.
    seed
        An earlier build to number the very first build against; ignored once ``out`` exists.
    processed
        Without ``seed``, the processed-data directory the first build's numbering is looked
        up in: this edition's build in ``<processed>/history/`` (the history's lineage), else
        the newest earlier edition's (:func:`quartiere.lineage.baseline_for`). ``None`` and no
        ``seed``: the first build is numbered afresh.
    progress
        Receives the build's progress lines.

    Returns
    -------
    str
        One line: first build, no change, or changed (and where the memo went).
    """
    from quartiere.compare.diff import diff_builds
    from quartiere.history import write_diff
    from quartiere.i18n import Messages
    from quartiere.io.atomic import write_text_atomically
    from quartiere.io.builds import read_build
    from quartiere.pipeline import build

    out = Path(out)
    out_dir = out.parent
    if not out.is_file():
        first: Path | Baseline | None = seed
        if seed is None and processed is not None:
            first = _first_baseline(config_path, Path(processed), progress)
        build(config_path, out, previous=first, progress=progress)
        if isinstance(first, Baseline):
            return f"first build: {out} (numbered against {first.key}: {first.source})"
        return f"first build: {out}" + (f" (numbered against {first})" if first else "")
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".update-", dir=out_dir) as tmp:
        current = Path(tmp) / "previous.gpkg"
        shutil.copy2(out, current)
        result = build(config_path, out, previous=current, progress=progress)
        diff = diff_builds(
            read_build(current, label="previous.gpkg"), read_build(out, label=out.name)
        )
        if not diff.changed:
            return (
                f"no change against the previous build: {out} rebuilt; previous.gpkg and "
                "changes.md kept from the last change"
            )
        os.replace(current, out_dir / "previous.gpkg")
    stamp = (result.build_info.built_at or "").replace(":", "").replace("-", "")
    dated = out_dir / "changes" / stamp
    write_diff(diff, dated)
    memo = (dated / "changes.md").read_text(encoding="utf-8")
    t = Messages(diff.new.get("language") or "de")
    pointer = t("diff.latest_memo", path=f"changes/{stamp}/changes.md") + "\n\n"
    write_text_atomically(out_dir / "changes.md", pointer + memo)
    return f"changed: previous.gpkg updated, memo in {dated}/changes.md"
