"""Is a build up to date? The one staleness rule, :func:`why_stale`, and history's reuse.

A build is **current** when it is what building its configuration would give now:

1. the file is there, and no update of its directory is waiting to be finished (an update's
   journal, :func:`quartiere.io.beside.update_journal`, beside it);
2. it has a record (``build_info``), and no configuration or input file changed while it ran
   (``changed_during_build``);
3. it was made by this code (:func:`quartiere.io.cache.code_version`);
4. its configuration files are the configuration's now, by name and SHA-256 (the text it was
   validated from), and so are its input files;
5. when the caller asks for a numbering: numbered against that build file (its SHA-256 now), or
   afresh. A caller that does not ask accepts the numbering the build records (the lineage's,
   ``--previous``'s or afresh): it is the build's own, and its areas carry it.

Every caller asks this one function: Make's helper (``quartiere inputs --check-built``, which
prints ``FORCE`` for a stale build), ``quartiere history`` (:func:`build_is_current`, which keeps
a current build that has its map and summary beside it), ``quartiere explain`` (which reads a
current build and refuses a stale ``--build``) and the scheduled fetch (``fetch --build``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from quartiere.config import Config
    from quartiere.record import BuildInfo

__all__ = ["build_is_current", "why_stale"]


def _first_difference(
    recorded: tuple[tuple[str, str], ...], now: list[tuple[str, str]], what: str
) -> str | None:
    """Why ``recorded`` (name, sha256) pairs are not ``now``'s, naming the first file."""
    before, after = dict(recorded), dict(now)
    for name, digest in now:
        if name not in before:
            return f"{what} {name} is not among those it was built from"
        if before[name] != digest:
            return f"{what} {name} changed since it was built"
    for name, _ in recorded:
        if name not in after:
            return f"it was built from {what} {name}, which this configuration does not name"
    if list(recorded) != list(now):
        return f"its {what} files are in another order"
    return None


def why_stale(
    config: Config,
    out: Path,
    *,
    info: BuildInfo | None = None,
    previous: Path | None = None,
    afresh: bool = False,
) -> str | None:
    """Why the build ``out`` is not what building ``config`` would give now; ``None`` when it is
    current (the rule of the module docstring).

    Parameters
    ----------
    config
        The configuration as loaded now (:func:`quartiere.config.load_config`).
    out
        The build GeoPackage.
    info
        Its record, when the caller has read it already (``Build.info`` of
        :func:`quartiere.io.builds.read_build`, so that the record checked is the one of the
        layers read); read from ``out`` otherwise.
    previous
        Ask that it was numbered against this build file (as it is now).
    afresh
        Ask that it was numbered afresh (against no build).

    Returns
    -------
    str or None
        One phrase ("input mss.csv changed since it was built"), or ``None``.
    """
    from quartiere.build_info import source_files
    from quartiere.io.atomic import journal_path
    from quartiere.io.beside import update_journal
    from quartiere.io.build_record import read_build_info
    from quartiere.io.builds import sha256
    from quartiere.io.cache import code_version

    out = Path(out)
    if not out.is_file():
        return "there is no such build"
    if update_journal(out).exists():
        return "an update of its directory is to be finished (`quartiere update` finishes it)"
    if journal_path(out).exists():
        return "its own commit is to be finished (the next run that writes it finishes it)"
    info = info if info is not None else read_build_info(out)
    if info is None:
        return "it has no build record (build_info)"
    if info.changed_during_build:
        return f"{', '.join(info.changed_during_build)} changed while it was built"
    if info.code_version != code_version():
        return "it was made by another version of the code"
    files = source_files(config)
    n_config = len(config.files)
    reason = _first_difference(info.config_files, files[:n_config], "configuration file")
    reason = reason or _first_difference(info.inputs, files[n_config:], "input")
    if reason is not None:
        return reason
    if previous is not None:
        previous = Path(previous)
        digest = sha256(previous) if previous.is_file() else None
        if info.previous != f"{previous.name} sha256:{digest}":
            return f"it was not numbered against {previous} as that file is now"
    elif afresh and info.previous is not None:
        return f"it was numbered against a build ({info.previous}), not afresh"
    return None


def build_is_current(
    config_path: Path, out: Path, previous: Path | None = None, *, afresh: bool = False
) -> bool:
    """Whether history may keep ``out``: current by :func:`why_stale` (numbered against
    ``previous`` when given, afresh when ``afresh``, else as it records), with its map and
    summary beside it. A build that cannot be read is not current."""
    from quartiere.config import load_config
    from quartiere.io.beside import map_png, summary_md

    out = Path(out)
    if not (out.is_file() and map_png(out).is_file() and summary_md(out).is_file()):
        return False
    config = load_config(config_path)
    return why_stale(config, out, previous=previous, afresh=afresh) is None
