"""Live sources: download the inputs from GDI Berlin's WFS 2.0 services (``quartiere fetch``).

- :mod:`quartiere.fetch.wfs`: the client (OWSLib), retries, ExceptionReports, :class:`SourceError`;
- :mod:`quartiere.fetch.tables`: features -> the tables and layers the editions read, validated;
- :mod:`quartiere.fetch.run`: download all, validate all, then replace atomically, with a manifest;
- :mod:`quartiere.fetch.edition`: an edition file for a new monitoring year;
- :mod:`quartiere.fetch.scheduled`: the scheduled job (fetch what changed, build the newest one).

The catalogue itself is :mod:`quartiere.sources`. See docs/sources.md.
"""

from quartiere.fetch.model import FetchResult
from quartiere.fetch.run import fetch, read_manifest
from quartiere.fetch.wfs import EXIT_SOURCE, SourceError

__all__ = ["EXIT_SOURCE", "FetchResult", "SourceError", "fetch", "read_manifest"]
