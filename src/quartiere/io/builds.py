"""Read back a GeoPackage written by ``quartiere build``: for --previous, diff and history."""

from __future__ import annotations

import hashlib
from pathlib import Path

from quartiere.errors import InputError
from quartiere.io.build_layers import missing_outside
from quartiere.io.build_record import parse_info
from quartiere.io.cache import sha256
from quartiere.io.gdal import layer_names, read_layer_of
from quartiere.record import Baseline, Build

__all__ = ["previous_record", "read_build", "sha256"]


#: the layers every build has; ``full`` reads the catchments (and the schools, when present) too
BUILD_LAYERS = ("handlungsraeume", "planungsraeume", "build_info")
FULL_LAYERS = (*BUILD_LAYERS, "einschulungsbereiche")


def _layer_names(data: bytes) -> set[str]:
    return set(layer_names(data))


def read_build(path: Path, label: str | None = None, *, full: bool = False) -> Build:
    """Read a GeoPackage written by ``quartiere build``: its layers and its record, as one build.

    The file's bytes are read once and every layer is read from them, so the layers are one
    snapshot: a build that replaces the file meanwhile (the writer renames a finished file over
    it) cannot mix two builds, and :attr:`Build.sha256` is the digest of exactly those bytes.

    Parameters
    ----------
    path
        The GeoPackage (layers ``handlungsraeume``, ``planungsraeume``, ``build_info``; with
        ``full`` also ``einschulungsbereiche``).
    label
        How outputs name this build; defaults to the path as given.
    full
        Also read the catchments and, when the build has them, the schools (profiles, site).

    Returns
    -------
    Build

    Raises
    ------
    InputError
        The file is missing, not a GeoPackage, or lacks a layer or column.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("build not found; make it with `make build` or `quartiere build`", path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot be read: {exc.strerror or exc}", path) from None
    try:
        names = _layer_names(data)
    except Exception:  # noqa: BLE001 - pyogrio's DataSourceError: not a file GDAL can open
        raise InputError("not a GeoPackage; is this a quartiere build?", path) from None
    needed = FULL_LAYERS if full else BUILD_LAYERS
    missing = [n for n in needed if n not in names]
    if missing:
        raise InputError(f"lacks layer(s) {', '.join(missing)}; is this a quartiere build?", path)
    if full and "schulen" in names:
        needed = (*needed, "schulen")
    layers = {}
    for layer in needed:
        try:
            layers[layer] = read_layer_of(data, layer)
        except Exception as exc:  # noqa: BLE001 - pyogrio raises DataSourceError / DataLayerError
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise InputError(
                f"cannot read layer {layer!r} ({first}); is this a quartiere build?", path
            ) from None
    table = layers["build_info"]
    for layer, columns in (
        ("handlungsraeume", ("hr_id",)),
        ("planungsraeume", ("plr_id", "hr_id")),
        ("build_info", ("key", "value")),
    ):
        lacking = [c for c in columns if c not in layers[layer].columns]
        if lacking:
            raise InputError(f"layer {layer!r} lacks column(s) {', '.join(lacking)}", path)
    planning_areas = layers["planungsraeume"]
    planning_areas["hr_id"] = missing_outside(planning_areas["hr_id"])  # missing outside, as built
    return Build(
        areas=layers["handlungsraeume"],
        planning_areas=planning_areas,
        info=parse_info(zip(table["key"].tolist(), table["value"].tolist(), strict=True)),
        label=label if label is not None else str(path),
        sha256=hashlib.sha256(data).hexdigest(),
        catchments=layers.get("einschulungsbereiche"),
        schools=layers.get("schulen"),
    )


def previous_record(previous: Path | Baseline, read: Build | None = None) -> tuple[str, str]:
    """What ``build_info`` records of the build a new one was numbered against.

    Parameters
    ----------
    previous
        A build file (``--previous``, ``--seed``) or a :class:`~quartiere.record.Baseline`.
    read
        The build as it was read from that file (its :attr:`Build.sha256` is of the bytes the
        numbering used); when not given, the file is hashed now.

    Returns
    -------
    tuple of str
        ``numbered_against``: ``<edition key>: <where from>`` (or ``--previous FILE``);
        ``previous``: the file's name and SHA-256, or ``computed in memory``.
    """
    if isinstance(previous, Baseline):
        path, against = previous.path, f"{previous.key}: {previous.source}"
        read = previous.build if read is None else read
    else:
        path = Path(previous)
        against = f"--previous {path}"
    if path is None:
        return against, "computed in memory"
    digest = read.sha256 if read is not None and read.sha256 else sha256(path)
    return against, f"{path.name} sha256:{digest}"
