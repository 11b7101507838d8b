"""A data-only encoding for the cache: JSON, ``.npy`` arrays and Arrow IPC tables, never a pickle.

:func:`encode` turns a value into bytes and :func:`decode` turns them back. Decoding reads data
and only data: a JSON manifest, numeric arrays through ``numpy.load(allow_pickle=False)`` and
tables through Arrow's IPC reader (``pyarrow>=15``, which refuses the pickle-based extension
types). No byte of an entry can name a function to call or a module to import outside this
package, so a file planted in the cache can at worst give a wrong value of a known shape; the
cache's key and checksum make even that a miss (:mod:`quartiere.io.cache`).

What can be encoded: ``None``, ``bool``, ``int``, ``float``, ``str``, ``bytes``, lists, tuples,
dicts, numpy arrays and scalars (not of dtype ``object``), pandas ``DataFrame``, ``Series`` and
``Index`` (geometry columns as WKB, the CRS as WKT), ``GeoSeries``, shapely geometries, scipy
sparse arrays, :class:`pathlib.Path`, pandas' missing values, and dataclasses, enums and pydantic
models defined in ``quartiere`` itself. Anything else raises :class:`TypeError` (the value is then
not cached).
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["decode", "encode"]

_MAGIC = b"quartiere-data 1\n"
_PACKAGE = "quartiere."


def _own_class(name: str) -> type:
    """A class defined in this package, by ``module:qualname``; anything else is refused."""
    module_name, _, qualname = name.partition(":")
    if not (module_name + ".").startswith(_PACKAGE) or not qualname.isidentifier():
        raise ValueError(f"class {name!r} is not one of quartiere's")
    value = getattr(importlib.import_module(module_name), qualname, None)
    if not isinstance(value, type) or value.__module__ != module_name:
        raise ValueError(f"class {name!r} is not one of quartiere's")
    return value


def _class_name(cls: type) -> str:
    if not (cls.__module__ + ".").startswith(_PACKAGE) or "." in cls.__qualname__:
        raise TypeError(f"{cls.__module__}.{cls.__qualname__}: not a quartiere class")
    return f"{cls.__module__}:{cls.__qualname__}"


def _levels(index: Any) -> list[Any]:
    """The levels of an index as a list of flat indexes (one for a flat index)."""
    import pandas as pd

    if isinstance(index, pd.MultiIndex):
        return [index.get_level_values(i) for i in range(index.nlevels)]
    return [index]


class _Writer:
    def __init__(self) -> None:
        self.blobs: list[bytes] = []

    def blob(self, data: bytes) -> int:
        self.blobs.append(data)
        return len(self.blobs) - 1

    def array(self, array: np.ndarray) -> dict[str, Any]:
        if array.dtype.hasobject:
            raise TypeError("numpy arrays of dtype object are not cached")
        buffer = io.BytesIO()
        np.save(buffer, array, allow_pickle=False)
        return {"t": "ndarray", "b": self.blob(buffer.getvalue())}

    def frame(self, frame: Any) -> dict[str, Any]:
        import geopandas as gpd
        import pandas as pd
        import pyarrow as pa

        active = frame._geometry_column_name if isinstance(frame, gpd.GeoDataFrame) else None
        geometry: dict[str, Any] = {}
        plain = {}
        for column in list(frame.columns):
            values = frame[column]
            if isinstance(values.dtype, gpd.array.GeometryDtype):
                values = gpd.GeoSeries(values)
                geometry[str(column)] = values.crs.to_wkt() if values.crs is not None else None
                plain[column] = pd.Series(values.to_wkb(), index=frame.index, dtype=object)
        frame = pd.DataFrame(frame).copy(deep=False)
        for column, values in plain.items():
            frame[column] = values
        names = [str(c) for c in frame.columns]
        if len(set(names)) != len(names) or any(not isinstance(c, str) for c in frame.columns):
            labels = self.node(list(frame.columns))
            frame.columns = [f"c{i}" for i in range(frame.shape[1])]
        else:
            labels = None
        # Arrow reads text back as pandas' string dtype: remember which columns were objects
        objects = [
            str(c) for c in frame.columns if frame[c].dtype == object and str(c) not in geometry
        ]
        index_object = [i for i, level in enumerate(_levels(frame.index)) if level.dtype == object]
        try:
            # nthreads=1: pyarrow would convert wide frames in a Python thread pool of its own;
            # library code starts no thread (the cache's frames are small: no loss measured)
            table = pa.Table.from_pandas(frame, preserve_index=True, nthreads=1)
        except (pa.ArrowException, ValueError) as exc:
            raise TypeError(f"not a table of plain values: {exc}") from None
        sink = io.BytesIO()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        node: dict[str, Any] = {
            "t": "frame",
            "b": self.blob(sink.getvalue()),
            "geo": geometry,
            "obj": objects,
            "objidx": index_object,
        }
        if active is not None and active in geometry:
            node["active"] = active
        if labels is not None:
            node["labels"] = labels
        if frame.attrs:
            node["attrs"] = self.node(dict(frame.attrs))
        return node

    def node(self, value: Any) -> Any:  # noqa: C901, PLR0911, PLR0912 - one case per kind
        import pandas as pd

        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, (int, float)) and type(value) in (int, float):
            if isinstance(value, float) and not math.isfinite(value):
                return {"t": "float", "v": repr(value)}
            return value
        if isinstance(value, np.generic):
            return {"t": "scalar", "a": self.array(np.asarray(value))}
        if isinstance(value, bytes):
            return {"t": "bytes", "b": self.blob(value)}
        if isinstance(value, Path):
            return {"t": "path", "v": str(value)}
        if isinstance(value, enum.Enum):
            return {"t": "enum", "cls": _class_name(type(value)), "v": self.node(value.value)}
        if isinstance(value, (list, tuple)):
            return {"t": type(value).__name__, "v": [self.node(v) for v in value]}
        if isinstance(value, dict):
            return {
                "t": "dict",
                "k": [self.node(k) for k in value],
                "v": [self.node(v) for v in value.values()],
            }
        if isinstance(value, np.ndarray):
            return self.array(value)
        if value is pd.NA:
            return {"t": "NA"}
        if value is pd.NaT:
            return {"t": "NaT"}
        if isinstance(value, pd.DataFrame):
            return self.frame(value)
        if isinstance(value, pd.Series):
            frame = value.to_frame(name="values")
            return {"t": "series", "f": self.frame(frame), "name": self.node(value.name)}
        if isinstance(value, pd.Index):
            return {"t": "index", "f": self.frame(pd.DataFrame(index=value))}
        return self.other(value)

    def other(self, value: Any) -> Any:
        import shapely
        from scipy import sparse

        if isinstance(value, shapely.Geometry):
            return {"t": "geometry", "b": self.blob(shapely.to_wkb(value))}
        if sparse.issparse(value):
            csr = value.tocsr()
            return {
                "t": "sparse",
                "array": isinstance(value, sparse.sparray),
                "shape": list(csr.shape),
                "parts": [self.array(np.asarray(p)) for p in (csr.data, csr.indices, csr.indptr)],
            }
        cls = type(value)
        if dataclasses.is_dataclass(value):
            fields = {f.name: self.node(getattr(value, f.name)) for f in dataclasses.fields(value)}
            return {"t": "dataclass", "cls": _class_name(cls), "f": fields}
        if hasattr(cls, "model_dump_json") and hasattr(cls, "model_validate_json"):
            return {"t": "model", "cls": _class_name(cls), "v": value.model_dump_json()}
        raise TypeError(f"{cls.__module__}.{cls.__qualname__}: not a cacheable value")


class _Reader:
    def __init__(self, blobs: list[bytes]) -> None:
        self.blobs = blobs

    def array(self, node: dict[str, Any]) -> np.ndarray:
        if node.get("t") != "ndarray":
            raise ValueError("not an array")
        return np.load(io.BytesIO(self.blobs[node["b"]]), allow_pickle=False)

    def frame(self, node: dict[str, Any]) -> Any:
        import geopandas as gpd
        import pandas as pd
        import pyarrow as pa

        with pa.ipc.open_stream(self.blobs[node["b"]]) as reader:
            frame = reader.read_all().to_pandas()
        for column in node["obj"]:
            frame[column] = frame[column].astype(object)
        if node["objidx"]:
            levels = _levels(frame.index)
            for i in node["objidx"]:
                levels[i] = levels[i].astype(object)
            frame.index = levels[0] if len(levels) == 1 else pd.MultiIndex.from_arrays(levels)
        for column, crs in node["geo"].items():
            frame[column] = gpd.GeoSeries.from_wkb(frame[column], index=frame.index, crs=crs)
        if "active" in node:
            frame = gpd.GeoDataFrame(frame, geometry=node["active"])
        if "labels" in node:
            frame.columns = self.node(node["labels"])
        if "attrs" in node:
            frame.attrs = self.node(node["attrs"])
        return frame

    def node(self, node: Any) -> Any:  # noqa: C901, PLR0911, PLR0912 - one case per kind
        import pandas as pd

        if not isinstance(node, dict):
            return node
        kind = node["t"]
        if kind == "float":
            return float(node["v"])
        if kind == "scalar":
            return self.array(node["a"])[()]
        if kind == "bytes":
            return self.blobs[node["b"]]
        if kind == "path":
            return Path(node["v"])
        if kind == "enum":
            return _own_class(node["cls"])(self.node(node["v"]))
        if kind == "list":
            return [self.node(v) for v in node["v"]]
        if kind == "tuple":
            return tuple(self.node(v) for v in node["v"])
        if kind == "dict":
            return {self.node(k): self.node(v) for k, v in zip(node["k"], node["v"], strict=True)}
        if kind == "ndarray":
            return self.array(node)
        if kind == "NA":
            return pd.NA
        if kind == "NaT":
            return pd.NaT
        if kind == "frame":
            return self.frame(node)
        if kind == "series":
            series = self.frame(node["f"])["values"]
            series.name = self.node(node["name"])
            return series
        if kind == "index":
            return self.frame(node["f"]).index
        return self.other(node)

    def other(self, node: dict[str, Any]) -> Any:
        import shapely
        from scipy import sparse

        kind = node["t"]
        if kind == "geometry":
            return shapely.from_wkb(self.blobs[node["b"]])
        if kind == "sparse":
            data, indices, indptr = (self.array(p) for p in node["parts"])
            make = sparse.csr_array if node["array"] else sparse.csr_matrix
            return make((data, indices, indptr), shape=tuple(node["shape"]))
        if kind == "dataclass":
            cls = _own_class(node["cls"])
            if not dataclasses.is_dataclass(cls):
                raise ValueError(f"{node['cls']}: not a dataclass")
            value = object.__new__(cls)
            names = {f.name for f in dataclasses.fields(cls)}
            if set(node["f"]) != names:
                raise ValueError(f"{node['cls']}: other fields")
            for name, field in node["f"].items():
                object.__setattr__(value, name, self.node(field))
            return value
        if kind == "model":
            return _own_class(node["cls"]).model_validate_json(node["v"])  # type: ignore[attr-defined]
        raise ValueError(f"unknown kind {kind!r}")


def encode(value: Any) -> bytes:
    """The bytes of ``value`` in the data-only format.

    Parameters
    ----------
    value
        A value of the kinds the module lists.

    Returns
    -------
    bytes
        A magic line, the JSON manifest's length and the manifest, then the blobs.

    Raises
    ------
    TypeError
        ``value`` holds something that is not plain data.
    """
    writer = _Writer()
    root = writer.node(value)
    manifest = json.dumps({"root": root, "sizes": [len(b) for b in writer.blobs]}).encode()
    return b"".join([_MAGIC, str(len(manifest)).encode(), b"\n", manifest, *writer.blobs])


def decode(data: bytes) -> Any:
    """The value :func:`encode` gave ``data`` for.

    Parameters
    ----------
    data
        Bytes written by :func:`encode`.

    Returns
    -------
    object
        The value.

    Raises
    ------
    ValueError
        ``data`` is not in this format (it is never executed, whatever it holds).
    """
    if not data.startswith(_MAGIC):
        raise ValueError("not a quartiere data file")
    rest = data[len(_MAGIC) :]
    length, sep, rest = rest.partition(b"\n")
    if not sep or not length.isdigit():
        raise ValueError("no manifest")
    manifest = json.loads(rest[: int(length)])
    blobs, offset = [], int(length)
    for size in manifest["sizes"]:
        blobs.append(rest[offset : offset + size])
        offset += size
    if offset != len(rest):
        raise ValueError("truncated or padded")
    return _Reader(blobs).node(manifest["root"])
