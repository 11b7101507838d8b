"""The ``build_info`` table of a build GeoPackage and its typed view, :class:`BuildInfo`.

The one writer (:func:`info_rows`) and the one parser (:func:`parse_info`) of the table's key
strings: ``config.<i>`` = ``<name> sha256:<hex>``, ``input:<name>`` = ``sha256:<hex>``,
``coverage.<input>``, ``input_year.<key>``, ``estimate.<i>``, ``note.<i>``, ``lineage.<i>``,
``continued`` = ``old>new,...``, ``hr_ids_used`` = ``01,02,...`` and the plain keys. The rows
are exactly those builds have always written (the golden files pin them):
``info_rows(parse_info(rows)) == rows``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from quartiere.io.gdal import read_layer_of
from quartiere.record import BuildInfo

__all__ = ["SCALARS", "info_rows", "parse_info", "read_build_info"]

Rows = list[tuple[str, str]]

#: plain keys, in the order they are written, each before the families that follow it
_HEAD = (
    "edition",
    "edition_key",
    "built_at",
    "quartiere_version",
    "code_version",
    "lor_generation",
    "crs",
)
SCALARS = (
    *_HEAD,
    "config_hash",
    "versions",
    "atlas_cut",
    "lmb_source",
    "language",
    "lmb_estimate_factor",
    "counts",
    "numbered_against",
    "previous",
    "attribution",
)
"""The keys that hold one text each (a :class:`BuildInfo` field of the same name)."""

#: prefixes of the school list's, the calibration's and the validation's facts
_SCHOOL_PREFIXES = ("schools.", "lmb_calibration.", "lmb_validation.")


#: numbered families (``estimate.0``, ``estimate.1`` ...) and their field
_NUMBERED = {"estimate": "estimates", "note": "notes", "lineage": "lineage"}


def _scalar(info: BuildInfo, *keys: str) -> Rows:
    return [(k, v) for k in keys if (v := getattr(info, k)) is not None]


def info_rows(info: BuildInfo) -> Rows:
    """The ``build_info`` rows of a record, in the order builds write them.

    Parameters
    ----------
    info
        The record.

    Returns
    -------
    list of (str, str)
        ``(key, value)`` rows; a field that is ``None`` (or empty, for the families) writes no
        row.
    """
    rows = _scalar(info, *_HEAD)
    rows += [(f"config.{i}", f"{name} sha256:{d}") for i, (name, d) in enumerate(info.config_files)]
    rows += _scalar(info, "config_hash")
    rows += [(f"input:{name}", f"sha256:{d}") for name, d in info.inputs]
    rows += _scalar(info, "versions")
    rows += [(f"coverage.{k}", v) for k, v in info.coverage]
    rows += [(f"input_year.{k}", v) for k, v in info.input_years]
    rows += _scalar(info, "atlas_cut", "lmb_source", "language")
    rows += list(info.schools)
    rows += _scalar(info, "lmb_estimate_factor")
    rows += [(f"estimate.{i}", v) for i, v in enumerate(info.estimates)]
    rows += [(f"note.{i}", v) for i, v in enumerate(info.notes)]
    rows += _scalar(info, "counts", "numbered_against", "previous")
    if info.continued is not None:
        rows.append(("continued", ",".join(f"{o}>{n}" for o, n in info.continued)))
    rows += [(f"lineage.{i}", v) for i, v in enumerate(info.lineage)]
    if info.hr_ids_used is not None:
        rows.append(("hr_ids_used", ",".join(info.hr_ids_used)))
    rows += _scalar(info, "attribution")
    if info.changed_during_build:
        rows.append(("changed_during_build", ",".join(info.changed_during_build)))
    return rows + list(info.other)


def _digest(value: str) -> str:
    return value.rsplit("sha256:", 1)[-1]


def parse_info(rows: Iterable[tuple[Any, Any]]) -> BuildInfo:
    """The record of ``build_info`` rows (as :func:`info_rows` writes them).

    Parameters
    ----------
    rows
        ``(key, value)`` pairs in table order; values are taken as text.

    Returns
    -------
    BuildInfo
        Keys this version does not know are kept in ``other``, in order.
    """
    fields: dict[str, Any] = {}
    lists: dict[str, list[Any]] = {
        k: []
        for k in (
            "config_files",
            "inputs",
            "coverage",
            "input_years",
            "schools",
            "estimates",
            "notes",
            "lineage",
            "other",
        )
    }
    for raw_key, raw_value in rows:
        key, value = str(raw_key), "" if raw_value is None else str(raw_value)
        family, _, rest = key.partition(".")
        if key in SCALARS:
            fields[key] = value
        elif family == "config" and rest.isdigit():
            name, _, digest = value.rpartition(" sha256:")
            lists["config_files"].append((name, digest))
        elif key.startswith("input:"):
            lists["inputs"].append((key.removeprefix("input:"), _digest(value)))
        elif family == "coverage" and rest:
            lists["coverage"].append((rest, value))
        elif family == "input_year" and rest:
            lists["input_years"].append((rest, value))
        elif key.startswith(_SCHOOL_PREFIXES):
            lists["schools"].append((key, value))
        elif family in _NUMBERED and rest.isdigit():
            lists[_NUMBERED[family]].append(value)
        elif key == "continued":
            pairs = [item.split(">", 1) for item in value.split(",") if ">" in item]
            fields["continued"] = tuple((o, n) for o, n in pairs)
        elif key == "hr_ids_used":
            fields["hr_ids_used"] = tuple(v for v in value.split(",") if v)
        elif key == "changed_during_build":
            fields["changed_during_build"] = tuple(v for v in value.split(",") if v)
        else:
            lists["other"].append((key, value))
    fields.update({k: tuple(v) for k, v in lists.items()})
    return BuildInfo(**fields)


def read_build_info(source: Path | bytes) -> BuildInfo | None:
    """The record of a build GeoPackage; ``None`` when it has none (or is no GeoPackage).

    Parameters
    ----------
    source
        The GeoPackage, or its bytes as read once (:func:`quartiere.io.builds.read_build`).

    Returns
    -------
    BuildInfo or None
    """
    if isinstance(source, Path | str) and not Path(source).is_file():
        return None
    try:
        table = read_layer_of(source, "build_info")
    except Exception:  # noqa: BLE001 - not a GeoPackage, or no build_info layer: no record
        return None
    if "key" not in table.columns or "value" not in table.columns:
        return None
    return parse_info(zip(table["key"].tolist(), table["value"].tolist(), strict=True))
