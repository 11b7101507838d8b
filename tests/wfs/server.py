"""A real WFS 2.0 server for the fetch tests: Debian's MapServer (CGI) behind a loopback front.

The layers are built from the shipped tables (``data/raw/mss``) and planning areas
(``data/raw/lor2021``) with GDI Berlin's field names and conventions (docs/GDI-BERLIN.md): the
sentinel -9999 and ``kom`` for the planning areas without an index. One front serves several
*scenarios*, each under its own path prefix (``/<scenario>/<service>``), so that a test picks a
healthy or a broken service by its ``--base-url`` alone.

Test code only: the library itself never starts a process.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import geopandas as gpd
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
MAPFILE = Path(__file__).with_name("mss.map")
SENTINEL = -9999
NO_INDEX = "Planungsraum ohne Zuordnung"
DYNAMIC_CODE = {"+": 1, "-": 2, "+/-": 3}


def mapserv() -> str | None:
    """The MapServer binary: ``QUARTIERE_MAPSERV``, else ``/usr/lib/cgi-bin/mapserv`` or
    ``mapserv`` on PATH; None when there is none."""
    if "QUARTIERE_MAPSERV" in os.environ:
        chosen = os.environ["QUARTIERE_MAPSERV"]
        return chosen if os.access(chosen, os.X_OK) else None
    for candidate in ("/usr/lib/cgi-bin/mapserv", shutil.which("mapserv")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def mapserver_available() -> bool:
    """MapServer is installed with its WFS server and OGR input."""
    binary = mapserv()
    if binary is None:
        return False
    probe = subprocess.run([binary, "-v"], capture_output=True, text=True, timeout=60)
    return "SUPPORTS=WFS_SERVER" in probe.stdout and "INPUT=OGR" in probe.stdout


def mss_layers(zeit: int) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """The shipped MSS 2023 tables as GDI Berlin serves them: index and index indicators.

    Planning areas without an index carry -9999 in every index field (``si_v`` and the other
    texts say "Planungsraum ohne Zuordnung") and the reason in ``kom``; the others ``gültig``.
    """
    raw = ROOT / "data" / "raw"
    plr = gpd.read_file(raw / "lor2021" / "planungsraeume.geojson")[["PLR_ID", "BEZ", "geometry"]]
    plr = plr.rename(columns={"PLR_ID": "plr_id", "BEZ": "bez_id"})
    index = pd.read_csv(raw / "mss" / "mss2023_index.csv", dtype={"id": str})
    ind = pd.read_csv(raw / "mss" / "mss2023_indicators.csv", dtype={"id": str})
    indexed = index["status_index"].notna()
    kom = index["note"].where(~indexed, "gültig")
    si_n = index["status_index"].fillna(SENTINEL).astype(int)
    di_n = index["dynamic_index"].map(DYNAMIC_CODE).fillna(SENTINEL).astype(int)
    first = pd.DataFrame(
        {
            "plr_id": index["id"],
            "plr_name": index["name"],
            "ew": index["inhabitants"].astype(int),
            "si_n": si_n,
            "si_v": index["status_index_class"].fillna(NO_INDEX),
            "di_n": di_n,
            "di_v": index["dynamic_index_class"].fillna(NO_INDEX),
            "sdi": index["status_dynamic_index"].fillna(str(SENTINEL)),
            "sdi_n": (10 * si_n + di_n).where(indexed, SENTINEL),
            "sdi_v": index["status_dynamic_index_class"].fillna(NO_INDEX),
            "zeit": zeit,
            "kom": kom,
        }
    )
    second = pd.DataFrame(
        {
            "plr_id": ind["id"],
            "plr_name": ind["name"],
            "ew": ind["inhabitants"].astype(int),
            "kom": ind["id"].map(dict(zip(index["id"], kom, strict=True))),
            "zeit": zeit,
            **{
                f"s{i}": ind[column].fillna(SENTINEL)
                for i, column in enumerate(ind.columns[3:7], start=1)
            },
        }
    )
    frames = []
    for table in (first, second):
        merged = plr.merge(table, on="plr_id", how="inner", validate="one_to_one")
        # Serve in another order than the ids, so that only sortBy makes the pages stable.
        merged = merged.sort_values("plr_name", kind="stable").reset_index(drop=True)
        frames.append(gpd.GeoDataFrame(merged, geometry="geometry", crs=plr.crs))
    return frames[0], frames[1]


@dataclass
class Scenario:
    """One set of services under ``/<name>/``: service name -> (mapfile, hits-only mapfile)."""

    name: str
    services: dict[str, Path] = field(default_factory=dict)
    features_only: dict[str, Path] = field(default_factory=dict)


class WfsFront:
    """MapServer behind a threaded loopback HTTP server (CGI per request)."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.binary = mapserv()
        self.scenarios: dict[str, Scenario] = {}
        self.requests: list[str] = []
        config = workdir / "mapserver.conf"
        config.write_text(
            f'CONFIG\n  ENV\n    MS_MAP_PATTERN "^{workdir}/"\n  END\nEND\n', encoding="utf-8"
        )
        self.config = config
        front = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                front.handle(self)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, scenario: str) -> str:
        """The ``--base-url`` of a scenario."""
        return f"http://127.0.0.1:{self.port}/{scenario}"

    def add_mss(
        self,
        scenario: str,
        year: int,
        layers: tuple[gpd.GeoDataFrame, gpd.GeoDataFrame],
        *,
        page: int = 100,
        lor: str = "542",
        exclude: str = "",
        features_only: tuple[gpd.GeoDataFrame, gpd.GeoDataFrame] | None = None,
    ) -> None:
        """Serve ``layers`` (index, indicators) as service ``mss_<year>`` of ``scenario``.

        ``features_only``: other layers that GetFeature answers from while ``resultType=hits``
        counts ``layers`` (a service whose data changes between the two requests).
        """
        service = f"mss_{year}"
        entry = self.scenarios.setdefault(scenario, Scenario(scenario))
        entry.services[service] = self._mapfile(scenario, service, year, layers, page, lor, exclude)
        if features_only is not None:
            entry.features_only[service] = self._mapfile(
                scenario,
                f"{service}-features",
                year,
                features_only,
                page,
                lor,
                exclude,
                service_name=service,
            )

    def _mapfile(
        self,
        scenario: str,
        stem: str,
        year: int,
        layers: tuple[gpd.GeoDataFrame, gpd.GeoDataFrame],
        page: int,
        lor: str,
        exclude: str,
        service_name: str | None = None,
    ) -> Path:
        service = service_name or stem
        folder = self.workdir / scenario
        folder.mkdir(parents=True, exist_ok=True)
        gpkg = folder / f"{stem}.gpkg"
        layers[0].to_file(gpkg, layer="indizes", driver="GPKG")
        layers[1].to_file(gpkg, layer="indexind", driver="GPKG")
        text = MAPFILE.read_text(encoding="utf-8")
        for key, value in {
            "@SERVICE@": service,
            "@YEAR@": str(year),
            "@URL@": f"{self.url(scenario)}/{service}?",
            "@DATA@": str(gpkg),
            "@PAGE@": str(page),
            "@LOR@": lor,
            "@EXCLUDE@": exclude,
        }.items():
            text = text.replace(key, value)
        mapfile = folder / f"{stem}.map"
        mapfile.write_text(text, encoding="utf-8")
        return mapfile

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(request.path)
        self.requests.append(request.path)
        scenario_name, _, service = parts.path.strip("/").partition("/")
        scenario = self.scenarios.get(scenario_name)
        mapfile = scenario.services.get(service) if scenario else None
        if scenario is None or mapfile is None:
            request.send_error(404, "no such service")
            return
        query = parts.query
        is_feature = "getfeature" in query.lower() and "resulttype=hits" not in query.lower()
        if is_feature and service in scenario.features_only:
            mapfile = scenario.features_only[service]
        # Debian's MapServer 8.0.0 reads its configuration file from /etc/mapserver.conf
        # unless given `-conf` (it ignores MS_CONFIG_FILE), and `-conf` exists only in its
        # command-line mode: the front runs that mode, which answers like the CGI.
        assert self.binary is not None
        argv = [self.binary, "-conf", str(self.config), f"QUERY_STRING=map={mapfile}&{query}"]
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        run = subprocess.run(argv, env=env, capture_output=True, timeout=120)
        head, _, body = run.stdout.partition(b"\r\n\r\n")
        if not body and b"\n\n" in run.stdout:
            head, _, body = run.stdout.partition(b"\n\n")
        status = 200
        headers = []
        for line in head.decode("latin-1").splitlines():
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.split()[0])
            elif name:
                headers.append((name, value.strip()))
        request.send_response(status)
        for name, value in headers:
            request.send_header(name, value)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    def close(self) -> None:
        """Stop the front (the CGI processes end with their requests)."""
        self.httpd.shutdown()
        self.httpd.server_close()
