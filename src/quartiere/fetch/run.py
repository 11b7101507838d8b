"""``quartiere fetch``: download sources, validate them whole, then replace the previous files.

A run has two phases. First every named source is downloaded and validated in memory: its
service's capabilities (the type name must be offered), ``numberMatched`` (``resultType=hits``),
GeoJSON pages in EPSG:25833 sorted by a real attribute until ``numberMatched`` features have come,
and the checks of :mod:`quartiere.fetch.tables`. Only when all of them passed are the files
replaced, each source's files and its ``manifest.json`` together through the atomic writer
(:func:`quartiere.io.atomic.staging`); a source whose files hash as in its manifest is left as it
is (``unchanged``). Any failure before that leaves every previous file and manifest untouched.

A year of a monitoring edition without an edition file gets one (:mod:`quartiere.fetch.edition`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from quartiere.fetch.model import MANIFEST, Fetched, FetchResult
from quartiere.fetch.tables import features_frame, serialise
from quartiere.fetch.wfs import NoService, WfsClient, WfsService
from quartiere.sources import Catalogue, Layer, Source

__all__ = ["FetchResult", "Fetched", "fetch", "read_manifest"]


def read_manifest(directory: Path) -> dict[str, Any] | None:
    """The manifest of a previous download in ``directory``, or None."""
    path = Path(directory) / MANIFEST
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _download(
    client: WfsClient,
    service: WfsService,
    source: Source,
    key: str,
    layer: Layer,
    catalogue: Catalogue,
) -> Fetched:
    where = f"{source.name}: {layer.type_name}"
    if layer.type_name not in service.type_names:
        from quartiere.fetch.wfs import SourceError

        offered = ", ".join(service.type_names) or "none"
        raise SourceError(
            f"unknown type name; GetCapabilities offers: {offered}", service.url, where
        )
    total = client.hits(service, layer.type_name)
    features: list[dict[str, Any]] = []
    pages = 0
    page_size = catalogue.client.page_size
    while len(features) < total:
        page = client.page(
            service,
            layer.type_name,
            start=len(features),
            count=min(page_size, total - len(features)),
            sort=layer.sort,
            srs=catalogue.crs,
            output_format=catalogue.format,
        )
        pages += 1
        if not page:
            break
        features += page
        client.progress(f"{where}: {len(features)} of {total} features ({pages} pages)")
    frame = features_frame(
        features[: total + 1] if len(features) > total else features,
        layer,
        sentinel=catalogue.sentinel,
        crs=catalogue.crs,
        number_matched=total,
        where=where,
    )
    zeit = sorted({str(f["properties"]["zeit"]) for f in features if "zeit" in f["properties"]})
    request = {
        "url": service.getfeature_url,
        "params": {
            "service": "WFS",
            "version": "2.0.0",
            "request": "GetFeature",
            "typeNames": layer.type_name,
            "outputFormat": catalogue.format,
            "srsName": catalogue.crs,
            "sortBy": layer.sort,
            "count": page_size,
            "startIndex": "0, then the features received so far",
        },
    }
    return Fetched(
        key=key,
        layer=layer,
        data=serialise(frame, layer),
        number_matched=total,
        features=len(frame),
        pages=pages,
        request=request,
        as_of=zeit,
    )


def _manifest(result: FetchResult, catalogue: Catalogue, retrieved_at: str) -> dict[str, Any]:
    from importlib.metadata import version

    source = result.source
    return {
        "source": source.name,
        "service": result.layers[0].request["url"] if result.layers else source.service,
        "retrieved_at": retrieved_at,
        "client": f"OWSLib {version('OWSLib')}",
        "format": catalogue.format,
        "crs": catalogue.crs,
        "axis_order": catalogue.axis_order,
        "sentinel": catalogue.sentinel,
        "licence": source.licence,
        "attribution": source.attribution,
        **({"note": source.note} if source.note else {}),
        "layers": {
            f.key: {
                "type_name": f.layer.type_name,
                "file": f.layer.file,
                "number_matched": f.number_matched,
                "features": f.features,
                "pages": f.pages,
                "sha256": f.sha256,
                "bytes": len(f.data),
                **({"as_of": f.as_of} if f.as_of else {}),
                "request": f.request,
            }
            for f in result.layers
        },
    }


def _unchanged(directory: Path, fetched: list[Fetched]) -> bool:
    """The previous download has the same files with the same hashes."""
    manifest = read_manifest(directory)
    if manifest is None:
        return False
    layers = manifest.get("layers") or {}
    for f in fetched:
        entry = layers.get(f.key) or {}
        path = directory / f.layer.file
        if entry.get("sha256") != f.sha256 or not path.is_file():
            return False
        if hashlib.sha256(path.read_bytes()).hexdigest() != f.sha256:
            return False
    return True


def _probe_years(
    catalogue: Catalogue, client: WfsClient, pattern: str, today: datetime
) -> list[str]:
    """Source names of later years whose service answers (a new edition on the service)."""
    spec = catalogue.editions[pattern]
    found: list[str] = []
    year = max(spec.years) + spec.every
    while year <= today.year + 1:
        name = spec.name.replace("{year}", str(year))
        try:
            client.open(spec.service.replace("{year}", str(year)))
        except NoService:
            client.progress(f"{name}: no {spec.service.replace('{year}', str(year))} service yet")
        else:
            client.progress(f"{name}: a new edition on the service")
            found.append(name)
        year += spec.every
    return found


def fetch(
    catalogue: Catalogue,
    names: list[str] | None = None,
    out: Path = Path("data/raw"),
    *,
    base_url: str | None = None,
    editions: Path = Path("config/editions"),
    progress: Callable[[str], None] = lambda _: None,
    sleep: Callable[[float], None] | None = None,
    now: datetime | None = None,
) -> list[FetchResult]:
    """Download the named sources (all when none) into ``out/<source>/``; see the module text.

    Parameters
    ----------
    catalogue
        The source catalogue (:func:`quartiere.sources.load_catalogue`).
    names
        Source names (``mss2023``, ``lor2021``) or pattern keys (``mss``: every year the
        catalogue names and any later year the service has). None or empty: everything.
    out
        The directory the sources go into, each in ``out/<source>/``.
    base_url
        Replaces the catalogue's ``base_url`` (tests, mirrors).
    editions
        Where edition files are; a fetched year without one gets ``editions/<source>.yaml``.
    progress
        Called with one line per step (pages, retries, notes).
    sleep, now
        Injected in tests (backoff, the current year for probing later editions).

    Returns
    -------
    list of FetchResult
        Per source: its files, whether they changed, the edition written.

    Raises
    ------
    quartiere.fetch.wfs.SourceError
        The first failure; nothing was replaced.
    """
    import time

    from quartiere.io.atomic import staging

    today = now or datetime.now(UTC)
    client = WfsClient(
        base_url or catalogue.base_url,
        catalogue.client,
        progress=progress,
        sleep=sleep or time.sleep,
    )
    wanted = list(names or [])
    probe = [k for k in catalogue.editions if not wanted or k in wanted]
    sources = catalogue.sources(wanted)
    for pattern in probe:
        known = {s.name for s in sources}
        sources += [
            catalogue.source(n)
            for n in _probe_years(catalogue, client, pattern, today)
            if n not in known
        ]
    services: dict[str, WfsService] = {}
    results: list[FetchResult] = []
    for source in sources:
        fetched = []
        for key, layer in source.layers.items():
            if layer.service not in services:
                services[layer.service] = client.open(layer.service)
            fetched.append(
                _download(client, services[layer.service], source, key, layer, catalogue)
            )
        results.append(
            FetchResult(source=source, directory=Path(out) / source.name, layers=fetched)
        )
    retrieved_at = today.strftime("%Y-%m-%dT%H:%M:%SZ")
    for result in results:
        if _unchanged(result.directory, result.layers):
            continue
        manifest = _manifest(result, catalogue, retrieved_at)
        with staging(result.directory / MANIFEST) as workdir:
            for f in result.layers:
                (workdir / f.layer.file).write_bytes(f.data)
            (workdir / MANIFEST).write_text(
                json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
            )
        result.changed = True
    from quartiere.fetch.edition import write_missing_editions

    write_missing_editions(results, catalogue, editions, progress=progress)
    return results
