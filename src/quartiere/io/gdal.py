"""GDAL settings for one read, scoped: set on entry, restored on exit, never at import."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from io import BytesIO
from pathlib import Path
from typing import Any

import geopandas as gpd

__all__ = ["layer_names", "read_layer_of", "reading"]

#: reading must never write: GDAL would otherwise leave .aux.xml side files beside what it reads
READ_OPTIONS = {"GDAL_PAM_ENABLED": "NO"}


@contextmanager
def reading() -> Iterator[None]:
    """GDAL's configuration for reading (no ``.aux.xml`` side files) for the calls inside.

    GDAL's own configuration options (``pyogrio.set_gdal_config_options``), not ``os.environ``:
    the process's environment and its children's are left as they were, like rasterio's
    ``with Env()``.
    """
    import pyogrio

    before = {key: pyogrio.get_gdal_config_option(key) for key in READ_OPTIONS}
    pyogrio.set_gdal_config_options(READ_OPTIONS)
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options(before)


#: GDAL warns that a GeoPackage read from memory (``/vsimem/``) has no ``.gpkg`` extension
_IN_MEMORY = ".*non conformant file extension"


def read_layer_of(source: Path | bytes, layer: str, **options: Any) -> gpd.GeoDataFrame:
    """One layer of a GeoPackage given as a path or as its bytes (read once by the caller).

    Parameters
    ----------
    source
        The file, or its bytes: GDAL then reads them from memory, so that several layers read
        from one ``bytes`` are one snapshot of the file.
    layer
        The layer's name.
    **options
        Passed to :func:`geopandas.read_file` (pyogrio engine).
    """
    data = BytesIO(source) if isinstance(source, bytes) else source
    with reading(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_IN_MEMORY)
        return gpd.read_file(data, layer=layer, engine="pyogrio", **options)


def layer_names(source: Path | bytes) -> list[str]:
    """The layers of a GeoPackage given as a path or as its bytes."""
    import pyogrio

    data = BytesIO(source) if isinstance(source, bytes) else source
    with reading(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_IN_MEMORY)
        return [str(row[0]) for row in pyogrio.list_layers(data)]
