"""``quartiere explain`` as library calls: a current build is read, only what it lacks is
recomputed.

:func:`explain_build` reads what the build holds (layer ``planungsraeume``: each planning area's
values, flags, ``n_criteria``, decision and number; layer ``handlungsraeume``: each area's
figures; ``build_info``: its language) and recomputes only what it does not hold: the inputs as
loaded and harmonized (through the cache beside the build), for the overlaps with catchments and
source planning areas, the values behind them, the schools and the MSS's remarks. It reads only a
build that is current by the one staleness rule (:func:`quartiere.reuse.why_stale`), so those
inputs are the ones the build was made from. Asked for another language than the build's, it
recomputes the delineation too, numbered as the build, to word the decision again.

:func:`explain_computed` computes everything (no build, or ``--previous``).
Nothing here starts a process or writes a file.
"""

from __future__ import annotations

from pathlib import Path

from quartiere.config import Config
from quartiere.errors import ConfigError
from quartiere.record import Build

__all__ = ["current_build", "explain_build", "explain_computed"]


def current_build(config: Config, path: Path) -> Build:
    """The build ``path``, read once, when it is current for ``config``.

    Raises
    ------
    quartiere.errors.InputError
        The file is missing or is no build.
    quartiere.errors.ConfigError
        It is not current (:func:`quartiere.reuse.why_stale` says why).
    """
    from quartiere.io.builds import read_build
    from quartiere.reuse import why_stale

    build = read_build(Path(path))
    reason = why_stale(config, Path(path), info=build.info)
    if reason is not None:
        raise ConfigError(
            f"not current for {_config_name(config)}: {reason}; rebuild it (make build), or "
            "name the configuration it was built from (--config)",
            path,
        )
    return build


def _config_name(config: Config) -> str:
    return Path(config.files[-1]).name if config.files else config.edition


def explain_build(
    config: Config,
    build: Build,
    plr_id: str,
    *,
    path: Path | None = None,
    language: str | None = None,
) -> str:
    """Why ``plr_id`` is in or out, as the current build ``build`` (:func:`current_build`) says.

    Parameters
    ----------
    config
        The configuration the build was made from.
    build
        The build, read.
    plr_id
        The planning area.
    path
        The file it was read from (named in the text; its cache beside it is used).
    language
        ``de`` or ``en``; default the build's language.
    """
    from quartiere.derived import derived_inputs
    from quartiere.harmonize import harmonize
    from quartiere.io.cache import default_cache
    from quartiere.present.explain import Sources, explain_sources

    language = language or build.language
    where = Path(path) if path is not None else None
    cache = default_cache(where.parent) if where is not None else default_cache()
    derived = derived_inputs(config, cache, harmonize)
    planning_areas = build.planning_areas
    reworded = language != build.language
    if reworded:  # the layer holds the sentences, not the reasons: the delineation again
        from quartiere.pipeline import compute
        from quartiere.present.explain_basis import worded_decisions

        again = compute(derived.inputs, config, previous=build, derived=derived)
        words = worded_decisions(again, language)
        planning_areas = planning_areas.assign(
            decision=words.reindex(planning_areas["plr_id"]).to_numpy()
        )
    sources = Sources(
        config,
        planning_areas,
        build.areas,
        derived.inputs,
        derived.harmonized,
        language,
        read_from=str(where) if where is not None else build.label or build.edition,
        reworded=reworded,
    )
    return explain_sources(sources, plr_id)


def explain_computed(
    config: Config,
    plr_id: str,
    *,
    previous: Build | None = None,
    language: str | None = None,
) -> str:
    """Why ``plr_id`` is in or out, every value computed from the inputs (no build read);
    numbered against ``previous`` when given, whose cut it compares with."""
    from quartiere.derived import derived_inputs
    from quartiere.harmonize import harmonize
    from quartiere.io.cache import default_cache
    from quartiere.pipeline import compute
    from quartiere.present.explain import Sources, explain_sources

    derived = derived_inputs(config, default_cache(), harmonize)
    result = compute(derived.inputs, config, previous=previous, derived=derived)
    against = previous.label if previous is not None else None
    sources = Sources.of_result(result, numbered_against=against, language=language)
    return explain_sources(sources, plr_id, previous.info if previous is not None else None)
