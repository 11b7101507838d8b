"""What ``quartiere explain`` tells a planning area's story from (:class:`Sources`), and the
words it shares with its school lines."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pandas as pd

from quartiere.config import Config
from quartiere.harmonize import Harmonized
from quartiere.i18n import MESSAGES, Messages
from quartiere.inputs import Inputs
from quartiere.result import BuildResult

__all__ = ["Sources", "lmb_source_word", "percent", "word", "worded_decisions"]


@dataclass(frozen=True)
class Sources:
    """What explain tells a planning area's story from.

    Parameters
    ----------
    config
        The configuration the build was made from.
    planning_areas, areas
        The build's layers ``planungsraeume`` and ``handlungsraeume`` (as read, or as computed):
        values, flags, ``n_criteria``, ``decision`` and ``hr_id``; each area's figures.
    inputs, harmonized
        The inputs and harmonized values behind them (overlaps, source values, schools).
    language
        The language of the text (``de`` or ``en``).
    read_from
        The build file the layers were read from; ``None`` when they were computed.
    reworded
        The decision was worded again in ``language`` (the build speaks another one).
    numbered_against
        For layers computed: the build file they are numbered against, if any.
    """

    config: Config
    planning_areas: pd.DataFrame
    areas: pd.DataFrame
    inputs: Inputs
    harmonized: Harmonized
    language: str = "de"
    read_from: str | None = None
    reworded: bool = False
    numbered_against: str | None = None

    @classmethod
    def of_result(
        cls,
        result: BuildResult,
        numbered_against: str | None = None,
        language: str | None = None,
    ) -> Sources:
        """The sources of a result computed in memory; in ``language`` (default its
        configuration's), the decisions worded again from its clustering when that differs."""
        language = language or result.config.language
        planning_areas = result.planning_areas
        if language != result.delineation.language:
            words = worded_decisions(result, language)
            planning_areas = planning_areas.assign(
                decision=words.reindex(planning_areas["plr_id"]).to_numpy()
            )
        return cls(
            result.config,
            planning_areas,
            result.areas,
            result.inputs,
            result.harmonized,
            language,
            numbered_against=numbered_against,
        )


def worded_decisions(result: BuildResult, language: str) -> pd.Series:
    """Each planning area's decision sentence in ``language``, indexed by plr_id: the reasons
    the clustering decided, worded again with the result's numbers."""
    delineation = dataclasses.replace(result.delineation, language=language)
    members = delineation.members
    words = delineation.decisions(members["hr_id"].to_numpy(dtype=object))
    return pd.Series(words, index=members.index.astype(str), dtype="str")


def percent(t: Messages, share: float, decimals: int = 0) -> str:
    """A share as a percentage the language writes: ``45%`` / ``45 %``, ``12.5%`` / ``12,5 %``.

    >>> percent(Messages("en"), 0.125, 1), percent(Messages("de"), 0.125, 1)
    ('12.5%', '12,5 %')
    """
    if t.language == "en":
        return f"{share:.{decimals}%}"
    return f"{t.number(share * 100, decimals)} %"


def word(t: Messages, family: str, code: str, otherwise: str) -> str:
    """The catalogue's word ``family.code``, or ``otherwise`` for a code it has none for."""
    key = f"{family}.{code}"
    return t(key) if key in MESSAGES else otherwise


def lmb_source_word(t: Messages, source: str) -> str:
    """Where an lmb share comes from (``estimate``, ``official`` ...), in the language."""
    return word(t, "explain.lmb_source", str(source), str(source))
