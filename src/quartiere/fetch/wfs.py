"""WFS 2.0 through OWSLib: capabilities, ``numberMatched``, GeoJSON pages; bounded retries.

Why OWSLib and not GDAL's WFS driver (docs/sources.md): every request is one call with its own
timeout and parameters (``count``, ``startIndex``, ``sortBy``, ``outputFormat``, ``srsName``), so
this module decides the paging, stops on ``numberMatched`` (GDI Berlin's ``next`` link appears even
past the last page), reports progress per page, and reads the GeoJSON the service writes instead
of GML whose axis order GDAL has to guess. GDAL's driver takes its page size, timeout and retries
from process-wide configuration options (``OGR_WFS_PAGE_SIZE``, ``GDAL_HTTP_TIMEOUT``), which a
library must not set, and hides the pages behind one layer.

OWSLib recognises only WFS 1.x's ``ServiceExceptionReport``; a WFS 2.0 ``ows:ExceptionReport`` (as
an HTTP 400 body or a 200 answer) is read here and becomes one line. ``resultType=hits`` has no
OWSLib call: it is sent through OWSLib's :func:`owslib.util.openURL` with the GetFeature address
the capabilities name.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from quartiere.errors import QuartiereError
from quartiere.sources import Client

__all__ = ["EXIT_SOURCE", "NoService", "SourceError", "WfsClient", "WfsService"]

EXIT_SOURCE = 5
"""Exit status of a failed fetch (a service that does not answer or answers wrongly)."""


class SourceError(QuartiereError):
    """A live source did not answer, or answered something incomplete or unexpected."""

    exit_code = EXIT_SOURCE


class NoService(SourceError):
    """The service does not exist (HTTP 404): for a later edition year, "not yet"."""


def exception_text(body: bytes | str) -> str | None:
    """The one-line text of an OGC ExceptionReport (OWS 1.1 or WFS 1.x), or None if not one.

    >>> exception_text(b'<ows:ExceptionReport xmlns:ows="http://www.opengis.net/ows/1.1">'
    ...   b'<ows:Exception exceptionCode="InvalidParameterValue" locator="sortBy">'
    ...   b'<ows:ExceptionText>sortBy gml:id refused</ows:ExceptionText></ows:Exception>'
    ...   b'</ows:ExceptionReport>')
    'ExceptionReport InvalidParameterValue (sortBy): sortBy gml:id refused'
    """
    from owslib.etree import etree

    raw = body.encode("utf-8") if isinstance(body, str) else body
    if not raw.lstrip().startswith(b"<"):
        return None
    try:
        tree = etree.fromstring(raw.lstrip())
    except Exception:  # lxml's XMLSyntaxError and friends: not XML, so not a report
        return None
    if not tree.tag.endswith("ExceptionReport"):
        return None
    parts = []
    for exc in tree.iter():
        if not isinstance(exc.tag, str) or not exc.tag.endswith(
            ("}Exception", "}ServiceException")
        ):
            continue
        code = exc.get("exceptionCode") or exc.get("code") or "Exception"
        locator = exc.get("locator")
        texts = [t.text.strip() for t in exc.iter() if isinstance(t.tag, str) and t.text]
        text = " ".join(" ".join(texts).split())
        parts.append(f"{code}{f' ({locator})' if locator else ''}: {text}")
    return "ExceptionReport " + "; ".join(parts or ["(empty)"])


@dataclass
class WfsService:
    """One service's capabilities: its type names and its GetFeature address."""

    url: str
    wfs: Any
    type_names: list[str] = field(default_factory=list)

    @property
    def getfeature_url(self) -> str:
        """The GET address of GetFeature as the capabilities name it."""
        operation = self.wfs.getOperationByName("GetFeature")
        for method in operation.methods:
            if method.get("type", "").lower() == "get":
                return str(method["url"])
        return self.url


class WfsClient:
    """Talks to ``<base_url>/<service>``; every failure is a :class:`SourceError` line.

    ``sleep`` is injectable so that tests of the backoff need not wait.
    """

    def __init__(
        self,
        base_url: str,
        client: Client,
        *,
        progress: Callable[[str], None] = lambda _: None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.client = client
        self.progress = progress
        self.sleep = sleep

    def service_url(self, service: str) -> str:
        """``<base_url>/<service>``."""
        return f"{self.base_url}/{service}"

    def _attempt(self, what: str, url: str, call: Callable[[], Any]) -> Any:
        """``call()`` with bounded retries on timeouts, refused connections and HTTP 5xx."""
        import requests
        from owslib.util import ServiceException

        attempts = self.client.retries + 1
        for attempt in range(1, attempts + 1):
            try:
                return call()
            except ServiceException as exc:
                text = exception_text(str(exc)) or " ".join(str(exc).split())[:300]
                raise SourceError(text, url, what) from None
            except requests.HTTPError as exc:
                status = exc.response.status_code if exc.response is not None else 0
                if status == 404:
                    raise NoService("no such service (HTTP 404)", url, what) from None
                reason = f"HTTP {status}"
                if status < 500:
                    raise SourceError(reason, url, what) from None
            except (requests.ConnectionError, requests.Timeout) as exc:
                reason = _short_reason(exc)
            if attempt == attempts:
                raise SourceError(
                    f"the service does not answer ({reason}) after {attempts} attempts; "
                    "nothing was replaced",
                    url,
                    what,
                )
            delay = self.client.backoff_s * 2 ** (attempt - 1)
            self.progress(f"{what}: {reason}; attempt {attempt + 1} of {attempts} in {delay:g} s")
            self.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def open(self, service: str) -> WfsService:
        """GetCapabilities of ``service`` (WFS 2.0.0)."""
        from owslib.wfs import WebFeatureService

        url = self.service_url(service)

        def call() -> Any:
            return WebFeatureService(url, version="2.0.0", timeout=self.client.timeout_s)

        try:
            wfs = self._attempt("GetCapabilities", url, call)
        except SourceError:
            raise
        except Exception as exc:  # OWSLib parses: a non-WFS answer raises anything
            raise SourceError(
                f"not a WFS 2.0 capabilities document ({type(exc).__name__}: {exc})",
                url,
                "GetCapabilities",
            ) from None
        return WfsService(url=url, wfs=wfs, type_names=sorted(wfs.contents))

    def hits(self, service: WfsService, type_name: str) -> int:
        """``numberMatched`` of ``type_name`` (``resultType=hits``: no features are sent)."""
        from owslib.etree import etree
        from owslib.util import openURL

        params = {
            "service": "WFS",
            "version": "2.0.0",
            "request": "GetFeature",
            "typeNames": type_name,
            "resultType": "hits",
        }
        url = service.getfeature_url

        def call() -> bytes:
            return bytes(openURL(url, params, "Get", timeout=self.client.timeout_s).read())

        body = self._attempt(f"{type_name} hits", service.url, call)
        report = exception_text(body)
        if report:
            raise SourceError(report, service.url, f"{type_name} hits")
        try:
            matched = etree.fromstring(body.lstrip()).get("numberMatched")
            return int(matched)
        except Exception:  # no XML, no attribute, or "unknown"
            raise SourceError(
                "resultType=hits gave no numberMatched", service.url, f"{type_name} hits"
            ) from None

    def page(
        self,
        service: WfsService,
        type_name: str,
        *,
        start: int,
        count: int,
        sort: str | None,
        srs: str,
        output_format: str,
    ) -> list[dict[str, Any]]:
        """One GetFeature page as GeoJSON features (``startIndex`` = ``start``)."""
        what = f"{type_name} GetFeature startIndex={start}"

        def call() -> bytes:
            answer = service.wfs.getfeature(
                typename=[type_name],
                maxfeatures=count,
                startindex=start,
                srsname=srs,
                outputFormat=output_format,
                sortby=[sort] if sort else None,
            )
            return bytes(answer.read())

        body = self._attempt(what, service.url, call)
        report = exception_text(body)
        if report:
            raise SourceError(report, service.url, what)
        try:
            collection = json.loads(body)
            features = collection["features"]
        except (ValueError, KeyError, TypeError):
            raise SourceError(
                f"the answer is not GeoJSON (outputFormat={output_format}): {body[:80]!r}",
                service.url,
                what,
            ) from None
        return list(features)


def _short_reason(exc: Exception) -> str:
    """A refused connection or timeout in a few words."""
    import requests

    if isinstance(exc, requests.Timeout):
        return "timed out"
    text = str(exc)
    for marker in ("Connection refused", "Name or service not known", "No route to host"):
        if marker in text:
            return marker.lower()
    return type(exc).__name__
