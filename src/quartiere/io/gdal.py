"""GDAL settings for one read, scoped: set on entry, restored on exit, never at import."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["reading"]

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
