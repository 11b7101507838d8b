"""The edition list: which edition a configuration is, and the editions beside it in MSS order.

An *edition* is a file ``editions/<key>.yaml`` (a complete configuration: its tables and years);
its key is the file's stem (``mss2021``, ``gi2018``) and its MSS year is ``mss.edition``. A
configuration that ``extends:`` an edition file (``config/criteria.yaml``, the default) *is* that
edition: same key, same year. The editions beside it are every ``*.yaml`` of its ``editions/``
directory, ordered by MSS year; two of one year are refused (:class:`ConfigError` naming both
files), since "the edition before" would then be ambiguous.

Pure library code: it reads configuration files and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from quartiere.config import Config, load_config
from quartiere.errors import ConfigError

__all__ = [
    "EDITIONS_DIR",
    "EditionRef",
    "earlier_editions",
    "edition_file",
    "edition_key",
    "editions_beside",
    "order_editions",
]

EDITIONS_DIR = "editions"
"""The name of the directory that holds the edition files."""


@dataclass(frozen=True)
class EditionRef:
    """One edition of an edition list.

    Attributes
    ----------
    key
        The stem of its edition file (``mss2021``).
    year
        Its MSS year (``mss.edition``).
    path
        The configuration file given for it (an edition file, or a file extending one).
    label
        Its ``edition:`` label (``"MSS 2021 / LOR 2021"``).
    """

    key: str
    year: int
    path: Path
    label: str


def edition_file(config: Config) -> Path | None:
    """The edition file a configuration is or extends: the last file of its ``extends:`` chain
    that lies in a directory named ``editions``; ``None`` when there is none.

    Parameters
    ----------
    config
        A loaded configuration (:func:`quartiere.config.load_config`).

    Returns
    -------
    pathlib.Path or None
        The resolved path of the edition file.
    """
    for path in reversed(config.files):
        if Path(path).parent.name == EDITIONS_DIR:
            return Path(path)
    return None


def edition_key(config: Config) -> str:
    """The edition key of a configuration: its edition file's stem (``config/criteria.yaml``,
    which extends ``editions/mss2023.yaml``, is ``mss2023``); a configuration outside any
    ``editions/`` directory is keyed by its own file's stem.

    Parameters
    ----------
    config
        A loaded configuration.

    Returns
    -------
    str
    """
    path = edition_file(config)
    return (path if path is not None else Path(config.files[-1])).stem


def order_editions(config_paths: Iterable[Path]) -> list[EditionRef]:
    """Editions sorted by MSS year; two with one key or one MSS year are refused.

    Parameters
    ----------
    config_paths
        Configuration files (edition files, or files extending one), in any order.

    Returns
    -------
    list of EditionRef
        Oldest first.

    Raises
    ------
    ConfigError
        Two configurations are the same edition (one key) or two editions have one MSS year;
        the message names both files.
    """
    by_key: dict[str, Path] = {}
    by_year: dict[int, Path] = {}
    rows = []
    for given in config_paths:
        path = Path(given)
        config = load_config(path)
        key, year = edition_key(config), config.mss.edition
        if key in by_key:
            raise ConfigError(
                f"{by_key[key]} and {path} are both edition {key!r}; give one of them", path
            )
        if year in by_year:
            raise ConfigError(
                f"two editions of MSS {year}: {by_year[year]} and {path}; the edition before "
                "another must be unambiguous, so remove one or correct its mss.edition",
                path,
            )
        by_key[key], by_year[year] = path, path
        rows.append(EditionRef(key=key, year=year, path=path, label=config.edition))
    return sorted(rows, key=lambda r: r.year)


def editions_beside(config: Config) -> list[EditionRef]:
    """The edition list a configuration belongs to: every ``*.yaml`` of its edition file's
    directory, ordered by MSS year (a configuration outside an ``editions/`` directory is a
    list of its own).

    Parameters
    ----------
    config
        A loaded configuration.

    Returns
    -------
    list of EditionRef
        Oldest first; the configuration's own edition is the entry with its key.

    Raises
    ------
    ConfigError
        Two editions of one MSS year (see :func:`order_editions`).
    """
    own = edition_file(config)
    if own is None:
        path = Path(config.files[-1])
        return [EditionRef(path.stem, config.mss.edition, path, config.edition)]
    return order_editions(sorted(own.parent.glob("*.yaml")))


def earlier_editions(config: Config) -> list[EditionRef]:
    """The editions beside ``config`` with an earlier MSS year, oldest first.

    Parameters
    ----------
    config
        A loaded configuration.

    Returns
    -------
    list of EditionRef
        The last entry is the edition a build of ``config`` continues the numbering of.
    """
    return [e for e in editions_beside(config) if e.year < config.mss.edition]
