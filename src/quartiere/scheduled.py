"""Scheduled re-delineation (`quartiere update`, `make update`): rebuild, keep the record.

One update, in one output directory ``D`` (``D/handlungsraeume.gpkg`` by default):

1. the edition is rebuilt into a staging folder ``D/.update.<pid>-<random>.tmp/``, numbered
   against the current build (linked in as ``previous.gpkg``, never copied);
2. when the new result equals the current one (no area event, no planning-area change),
   ``D/previous.gpkg`` and the last change memo stay as they are: they still describe the last
   real change, and nothing a scheduled job found is lost;
3. otherwise the current build becomes ``D/previous.gpkg`` and the memo goes to
   ``D/changes/<build time>[-N]/changes.{md,json,gpkg}`` (``-2``, ``-3``, ... when a memo of that
   time exists, as with ``SOURCE_DATE_EPOCH``: a memo is never overwritten); ``D/changes.md`` is
   the latest memo, headed by the path of its dated copy.

**One transaction.** Everything an update writes (the new GeoPackage with its lineage, its map and
summary, ``previous.gpkg``, the dated memo and ``changes.md``) is staged first; the update is then
committed by writing a journal, ``D/.update-journal.json``, that lists the renames, and doing
them: the journalled commit of the one staging helper (:class:`quartiere.io.atomic.Stage`).
Before the journal exists a kill leaves the old state whole (the staging folder is removed by the
next run); once it exists the new state is decided, and the next run, or ``quartiere
inputs --check-built``'s ``FORCE`` and then ``quartiere update``, finishes the renames before
anything else (:func:`recover`). SIGTERM, SIGINT and SIGHUP are held back while the journal is
written and the renames are done (a few milliseconds; the handlers are swapped for the moment, and
restored), so a signal either stops the update before the commit or lands after it;
:class:`~quartiere.errors.Interrupted` says which.
"""

from __future__ import annotations

import os
import shutil
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from quartiere.errors import Interrupted
from quartiere.io.beside import JOURNAL
from quartiere.record import Baseline

__all__ = ["JOURNAL", "recover", "update"]

_HELD = {signal.SIGTERM, signal.SIGINT, signal.SIGHUP}


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


@contextmanager
def _signals_held() -> Iterator[None]:
    """Hold back SIGTERM, SIGINT and SIGHUP for the block; deliver them when it ends.

    The handlers are replaced for the block (in the main thread; elsewhere nothing is held) by one
    that only notes the signal, and restored afterwards, when a noted signal is raised again. A
    thread mask would not do: the kernel hands a process-directed signal to any thread.
    """
    pending: list[int] = []
    previous: dict[signal.Signals, object] = {}
    try:
        for held in _HELD:
            previous[held] = signal.signal(held, lambda n, _frame: pending.append(n))
    except ValueError:  # not the main thread: signals are not ours to handle
        pass
    try:
        yield
    finally:
        for held, handler in previous.items():
            signal.signal(held, handler)  # type: ignore[arg-type]
        for caught in pending[:1]:
            signal.raise_signal(caught)


STAGE = "update"
"""The name an update is staged under (:class:`quartiere.io.atomic.Stage`): its folder is
``D/.update.<pid>-<random>.tmp``, its journal ``D/.update-journal.json`` (:data:`JOURNAL`)."""


def recover(out_dir: Path) -> str | None:
    """Finish an update committed but not completed, and remove dead updates' staging folders.

    Parameters
    ----------
    out_dir
        The build's directory (held under the output lock by the caller).

    Returns
    -------
    str or None
        One line when an interrupted commit was finished, else None.
    """
    from quartiere.io.atomic import recover as finish

    with _signals_held():
        # earlier versions' staging folders too
        note = finish(Path(out_dir) / STAGE, leftovers=(".update-*",))
    if note is None:
        return None
    return f"finished the update interrupted while committing: {note}"


def _memo_name(out_dir: Path, stamp: str) -> str:
    """``stamp``, or ``stamp-2``, ``stamp-3``, ...: the first name no memo has."""
    name, n = stamp, 1
    while (out_dir / "changes" / name).exists():
        n += 1
        name = f"{stamp}-{n}"
    return name


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def update(
    config_path: Path,
    out: Path,
    *,
    seed: Path | None = None,
    processed: Path | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> str:
    """Rebuild ``out`` from ``config_path`` as one transaction; return one line saying what
    happened.

    Parameters
    ----------
    config_path
        The edition configuration.
    out
        The build to update; ``previous.gpkg`` and ``changes/`` go beside it. The caller holds
        the output lock of its directory.
    seed
        An earlier build to number the very first build against; ignored once ``out`` exists.
    processed
        Without ``seed``, the processed-data directory the first build's numbering is looked
        up in: this edition's build in ``<processed>/history/`` (the history's lineage), else
        the newest earlier edition's (:func:`quartiere.lineage.baseline_for`). ``None`` and no
        ``seed``: the first build is numbered afresh.
    progress
        Receives the build's progress lines (and one line when an interrupted commit of an
        earlier run was finished first).

    Returns
    -------
    str
        One line: first build, no change, or changed (and where the memo went).

    Raises
    ------
    quartiere.errors.Interrupted
        A signal stopped the update; its message says whether the old state or the new one is
        current.
    """
    from quartiere.io.atomic import Stage
    from quartiere.pipeline import build

    out = Path(out)
    out_dir = out.parent
    out_dir.mkdir(parents=True, exist_ok=True)
    finished = recover(out_dir)
    if finished is not None:
        progress(finished)
    if not out.is_file():
        first: Path | Baseline | None = seed
        if seed is None and processed is not None:
            first = _first_baseline(config_path, Path(processed), progress)
        build(config_path, out, previous=first, progress=progress)
        if isinstance(first, Baseline):
            return f"first build: {out} (numbered against {first.key}: {first.source})"
        return f"first build: {out}" + (f" (numbered against {first})" if first else "")
    stage = Stage.begin(out_dir / STAGE)
    committed = False
    outcome = ""
    try:
        moves, outcome = _stage_update(config_path, out, stage.path, progress, build)
        with _signals_held():
            stage.commit(moves, note=outcome)
            committed = True
        return outcome
    except KeyboardInterrupt:
        if committed:
            raise Interrupted(f"interrupted after the update was committed: {outcome}") from None
        raise Interrupted(
            f"interrupted before the update was committed: {out}, previous.gpkg and the change "
            "memos are as they were"
        ) from None
    finally:
        stage.discard()


def _stage_update(
    config_path: Path,
    out: Path,
    stage: Path,
    progress: Callable[[str], None],
    build: Callable[..., Any],
) -> tuple[list[list[str]], str]:
    """Build and compare inside ``stage``; the renames that commit it (staged path -> path in
    the build's directory), and its one line."""
    from quartiere.compare.diff import diff_builds
    from quartiere.history import write_diff
    from quartiere.i18n import Messages
    from quartiere.io.atomic import write_text_atomically
    from quartiere.io.builds import read_build

    out_dir = out.parent
    old = read_build(out, label="previous.gpkg")  # a damaged build is named by its own path
    current = stage / "previous.gpkg"
    _link_or_copy(out, current)
    new_out = stage / "new" / out.name
    result = build(config_path, new_out, previous=current, progress=progress)
    new_files = sorted(p.name for p in new_out.parent.iterdir() if p.is_file())
    # the build itself last: Make and readers take it as the sign of a finished update
    new_files.sort(key=lambda name: name == out.name)
    build_moves = [[f"new/{name}", name] for name in new_files]
    diff = diff_builds(old, read_build(new_out, label=out.name))
    if not diff.changed:
        return build_moves, (
            f"no change against the previous build: {out} rebuilt; previous.gpkg and "
            "changes.md kept from the last change"
        )
    stamp = (result.build_info.built_at or "").replace(":", "").replace("-", "")
    name = _memo_name(out_dir, stamp)
    dated = stage / "changes" / name
    write_diff(diff, dated)
    memo = (dated / "changes.md").read_text(encoding="utf-8")
    t = Messages(diff.new.get("language") or "de")
    pointer = t("diff.latest_memo", path=f"changes/{name}/changes.md") + "\n\n"
    write_text_atomically(stage / "changes.md", pointer + memo)
    moves = [
        [f"changes/{name}", f"changes/{name}"],
        ["previous.gpkg", "previous.gpkg"],
        ["changes.md", "changes.md"],
        *build_moves,
    ]
    memo_dir = out_dir / "changes" / name
    return moves, f"changed: previous.gpkg updated, memo in {memo_dir}/changes.md"
