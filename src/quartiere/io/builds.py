"""Read back a GeoPackage written by ``quartiere build``: for --previous, diff and history."""

from __future__ import annotations

import hashlib
from pathlib import Path

import geopandas as gpd

from quartiere.errors import InputError
from quartiere.io.gdal import reading
from quartiere.record import Baseline, Build

__all__ = ["previous_record", "read_build", "sha256"]


def read_build(path: Path, label: str | None = None) -> Build:
    """Read the layers a comparison needs from a GeoPackage written by ``quartiere build``.

    Parameters
    ----------
    path
        The GeoPackage (layers ``handlungsraeume``, ``planungsraeume``, ``build_info``).
    label
        How outputs name this build; defaults to the path as given.

    Returns
    -------
    Build

    Raises
    ------
    InputError
        The file is missing or lacks a layer.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("build not found", path)
    with path.open("rb") as head:
        if head.read(16) != b"SQLite format 3\x00":  # every GeoPackage is an SQLite file
            raise InputError("not a GeoPackage; is this a quartiere build?", path)
    layers = {}
    for layer in ("handlungsraeume", "planungsraeume", "build_info"):
        try:
            with reading():
                layers[layer] = gpd.read_file(path, layer=layer, engine="pyogrio")
        except Exception as exc:  # pyogrio raises DataSourceError / DataLayerError
            raise InputError(
                f"cannot read layer {layer!r} ({exc}); is this a quartiere build?", path
            ) from None
    info_table = layers["build_info"]
    info = dict(zip(info_table["key"].astype(str), info_table["value"].astype(str), strict=True))
    for layer, columns in (
        ("handlungsraeume", ("hr_id",)),
        ("planungsraeume", ("plr_id", "hr_id")),
    ):
        missing = [c for c in columns if c not in layers[layer].columns]
        if missing:
            raise InputError(f"layer {layer!r} lacks column(s) {', '.join(missing)}", path)
    planning_areas = layers["planungsraeume"]
    planning_areas["hr_id"] = planning_areas["hr_id"].fillna("").astype(str)
    return Build(
        areas=layers["handlungsraeume"],
        planning_areas=planning_areas,
        info=info,
        label=label if label is not None else str(path),
        sha256=sha256(path),
    )


def sha256(path: Path) -> str:
    """The SHA-256 of a file, hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def previous_record(previous: Path | Baseline) -> dict[str, str]:
    """What ``build_info`` records of the build a new one was numbered against.

    Parameters
    ----------
    previous
        A build file (``--previous``, ``--seed``) or a :class:`~quartiere.record.Baseline`.

    Returns
    -------
    dict
        ``numbered_against``: ``<edition key>: <where from>`` (or ``--previous FILE``);
        ``previous``: the file's name and SHA-256, or ``computed in memory``.
    """
    if isinstance(previous, Baseline):
        path, against = previous.path, f"{previous.key}: {previous.source}"
    else:
        path = Path(previous)
        against = f"--previous {path}"
    record = f"{path.name} sha256:{sha256(path)}" if path is not None else "computed in memory"
    return {"numbered_against": against, "previous": record}
