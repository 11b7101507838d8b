"""Which earlier build a new edition's numbers continue, when no ``--previous`` is given.

The history's numbering is the lineage: ``quartiere history`` numbers every edition against the
one before, from the oldest on. A build of edition X started any other way (``quartiere build
--config``, ``quartiere update``, ``make build``/``make update``) numbers its areas against the
newest *earlier* edition E of X's edition list (:mod:`quartiere.editions`), taken from the first of

1. ``<processed>/history/<E>/handlungsraeume.gpkg`` (written by ``quartiere history``);
2. ``<processed>/<E>/handlungsraeume.gpkg`` or ``<processed>/handlungsraeume.gpkg``, when its
   ``build_info`` says it is edition E (``edition_key``) and that its own numbers continue the
   lineage (``numbered_against``), or E is the oldest edition (numbered afresh by definition);
3. otherwise E is computed in memory, numbered against *its* earlier edition found the same way,
   down to the oldest edition, which is numbered afresh. That is exactly what ``history`` does,
   so a build gets the numbers ``history`` gives its edition; with warm caches it costs about
   0.15 s per edition computed.

The oldest edition of a list is numbered afresh. Reading files and computing is all this module
does: it starts no process and writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from quartiere.config import Config
from quartiere.editions import EditionRef, earlier_editions
from quartiere.io.build_record import read_build_info
from quartiere.record import Baseline, Build, BuildInfo

__all__ = ["BUILD_NAME", "HISTORY_DIR", "baseline_for", "edition_build"]

BUILD_NAME = "handlungsraeume.gpkg"
"""The file name of a build inside its directory."""

HISTORY_DIR = "history"
"""The directory of ``quartiere history`` inside the processed-data directory."""

Progress = Callable[[str], None]


def edition_build(edition: EditionRef, processed: Path, *, oldest: bool = False) -> Path | None:
    """The build of ``edition`` whose numbers are the lineage's, if one is on disk.

    Parameters
    ----------
    edition
        The edition looked for.
    processed
        The processed-data directory (``data/processed``).
    oldest
        Whether ``edition`` is the oldest of its list (its own build is then numbered afresh,
        which is the lineage).

    Returns
    -------
    pathlib.Path or None
        The history's build of it, else its own or the default output when that says it is this
        edition and continues the lineage (see the module docstring); ``None`` when none is.
    """
    processed = Path(processed)
    history = processed / HISTORY_DIR / edition.key / BUILD_NAME
    if history.is_file():
        return history
    for candidate in (processed / edition.key / BUILD_NAME, processed / BUILD_NAME):
        if not candidate.is_file():
            continue
        info = read_build_info(candidate)
        if info is None:  # not a GeoPackage, or no record: not a build of anything
            continue
        if info.edition_key == edition.key and (info.numbered_against is not None or oldest):
            return candidate
    return None


def _computed(edition: EditionRef, before: Baseline | None, steps: list[str]) -> Baseline:
    """``edition`` computed in memory (no file written), numbered against ``before``."""
    from quartiere.config import load_config
    from quartiere.derived import derived_inputs
    from quartiere.io.cache import default_cache
    from quartiere.pipeline import compute, harmonize

    config = load_config(edition.path)
    derived = derived_inputs(config, default_cache(), harmonize)
    previous = before.build if before is not None else None
    result = compute(derived.inputs, config, previous=previous, derived=derived)
    info = BuildInfo(
        edition=config.edition, edition_key=edition.key, hr_ids_used=tuple(result.hr_ids_used)
    )
    build = Build(result.areas, result.planning_areas, info, label=f"{edition.key} (in memory)")
    return Baseline(build, edition.key, "computed in memory: " + " > ".join(steps))


def baseline_for(
    config: Config, processed: Path, *, progress: Progress = lambda _: None
) -> Baseline | None:
    """The earlier build a build of ``config`` numbers its areas against.

    Parameters
    ----------
    config
        The edition being built (an edition file, or the default that extends one).
    processed
        The processed-data directory (``data/processed``), where the history and the editions'
        own builds lie.
    progress
        Receives one line saying which build the numbering continues, or that it starts
        afresh.

    Returns
    -------
    Baseline or None
        ``None`` for the oldest edition of its list (numbered afresh).

    Raises
    ------
    quartiere.errors.ConfigError
        Two editions of one MSS year in the edition list.
    """
    from quartiere.io.builds import read_build

    chain = earlier_editions(config)
    if not chain:
        progress("numbering afresh: this is the oldest edition of its list")
        return None
    start, found = -1, None
    for i in range(len(chain) - 1, -1, -1):
        found = edition_build(chain[i], processed, oldest=i == 0)
        if found is not None:
            start = i
            break
    base: Baseline | None = None
    steps: list[str] = []
    if found is not None:
        edition = chain[start]
        base = Baseline(read_build(found, label=str(found)), edition.key, str(found), found)
        steps.append(f"{edition.key} ({found})")
    for edition in chain[start + 1 :]:
        steps.append(edition.key if steps else f"{edition.key} (afresh)")
        base = _computed(edition, base, steps)
    assert base is not None  # chain is not empty
    if base.path is not None:
        progress(f"numbering continues {base.key}: {base.source}")
    else:
        progress(
            f"numbering continues {base.key}, {base.source} (no build of {base.key} found; "
            "`make history` writes every edition's)"
        )
    return base
