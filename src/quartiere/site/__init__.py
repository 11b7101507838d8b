"""``quartiere site``: a self-contained static web map of a build, its history and atlas.

:func:`write_site` (:mod:`quartiere.site.writer`) reads the layers of a build GeoPackage, and where
given the editions of a ``quartiere history`` run, a ``quartiere sensitivity`` atlas and a
``quartiere profiles`` folder, and writes a folder that opens from ``file://`` or any static web
server and fetches nothing from the network (docs/site.md).
"""

from quartiere.site.writer import SiteOptions, SiteResult, write_site

__all__ = ["SiteOptions", "SiteResult", "write_site"]
