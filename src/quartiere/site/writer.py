"""Write the static web map: ``index.html``, Leaflet, the page's script and the data as ``.js``.

The site opens from ``file://`` and from any static server and fetches nothing from the network:
the web-map library (Leaflet, from the ``xstatic-leaflet`` package) is copied in, and the data are
``.js`` files that assign globals (a page opened from ``file://`` may not ``fetch()`` local JSON).
The folder is staged beside the target and replaces the previous one in a single atomic exchange
(:func:`quartiere.io.atomic.staging`): a failed run leaves the previous site as it was.
"""

from __future__ import annotations

import json
import re
import shutil
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import DictLoader, Environment, select_autoescape

from quartiere import __version__
from quartiere.errors import ConfigError, InputError, QuartiereError
from quartiere.i18n import MESSAGES, Messages
from quartiere.io.atomic import staging
from quartiere.present.cartography import CRITERIA_COLOURS
from quartiere.profiles.data import read_build_layers
from quartiere.record import Build, BuildInfo
from quartiere.site.content import GeometryStore, edition_content, robustness_content
from quartiere.site.geometry import dumps

__all__ = ["MARKER", "SiteOptions", "SiteResult", "write_site", "leaflet_dir"]

MARKER = ".quartiere-site"
"""A file in every site folder: only such a folder is replaced by a new site."""

LEAFLET_HINT = "pip install 'xstatic-leaflet>=1.9'"

WORD_KEYS = (
    "c_mss",
    "c_schools",
    "c_atlas",
    "c_mss_long",
    "c_schools_long",
    "c_atlas_long",
    "met",
    "not_met",
    "no_data",
    "criteria_0",
    "criteria_1",
    "criteria_2",
    "criteria_3",
    "inhabitants",
    "area_km2",
    "n_plr",
    "key_figures",
    "catchment",
    "lmb_share",
    "estimate",
    "official",
    "school",
    "robust-in",
    "robust-out",
    "contested_class",
    "handlungsraum",
)
"""Catalogue entries the page's script uses besides every ``site.*`` and ``diff.*`` entry."""


@dataclass(frozen=True)
class SiteOptions:
    """What goes into the site.

    Attributes
    ----------
    build
        The build's GeoPackage (``quartiere build``).
    out
        The site's directory.
    history
        A ``quartiere history`` output directory (``timeline.json``, ``<edition>/``), or None.
    sensitivity
        A ``quartiere sensitivity`` output directory (``sensitivity.json``), or None.
    profiles
        A ``quartiere profiles`` output directory whose pages and PDFs are copied in, or None.
    """

    build: Path
    out: Path
    history: Path | None = None
    sensitivity: Path | None = None
    profiles: Path | None = None


@dataclass(frozen=True)
class SiteResult:
    """What was written: the directory, its number of files and bytes, the editions."""

    out: Path
    files: int
    size: int
    editions: tuple[str, ...]


def leaflet_dir() -> Path:
    """The folder of Leaflet's files shipped by ``xstatic-leaflet``.

    Raises
    ------
    QuartiereError
        The package is not installed.
    """
    try:
        import xstatic.pkg.leaflet as leaflet
    except ImportError:
        raise QuartiereError(f"the web map needs Leaflet: {LEAFLET_HINT}") from None
    return Path(leaflet.BASE_DIR)


def check_options(options: SiteOptions) -> None:
    """Check the paths before any work: one :class:`InputError` or :class:`ConfigError` line."""
    if not Path(options.build).is_file():
        raise InputError(
            "build not found; make it with `make build` or `quartiere build`", options.build
        )
    for name, path, needed in (
        ("--history", options.history, "timeline.json"),
        ("--sensitivity", options.sensitivity, "sensitivity.json"),
        ("--profiles", options.profiles, "index.html"),
    ):
        if path is not None and not (Path(path) / needed).is_file():
            raise InputError(f"{name}: no {needed} here", path)
    out = Path(options.out)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out}: is a file; name a directory")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).exists():
        raise ConfigError(
            f"--out {out}: exists and is not a site written by `quartiere site`; name a new "
            "or empty directory"
        )


def _safe(key: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", key)


def _words(language: str) -> dict[str, str]:
    t = Messages(language)
    keys = [k for k in MESSAGES if k.startswith(("site.", "diff.kind.", "diff.extent."))]
    return {k: t(k) for k in (*WORD_KEYS, *keys)}


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read ({type(exc).__name__}: {exc})", path) from None


def _changes(memo: dict[str, Any]) -> dict[str, Any]:
    """The part of a change memo (``changes.json``) the page shows."""
    keep = (
        "kind",
        "old_hr_ids",
        "new_hr_ids",
        "old_name",
        "new_name",
        "old_population",
        "new_population",
        "d_population",
        "extent",
        "renumbered",
    )
    return {
        "old": memo.get("old", {}).get("edition", ""),
        "counts": memo.get("counts", {}),
        "areas": [{k: a.get(k) for k in keep} for a in memo.get("areas", [])],
    }


def _membership(build: Build) -> dict[str, str]:
    plr = build.planning_areas
    return dict(zip(plr["plr_id"].astype(str), plr["hr_id"].fillna("").astype(str), strict=True))


@dataclass
class _Edition:
    key: str
    label: str
    year: int | None
    build: Build
    memo: Path | None = None
    changes: dict[str, Any] | None = None
    is_build: bool = False


def _editions(build: Build, history: Path | None, t: Messages) -> list[_Edition]:
    """The build, then the history's editions in order; the build takes the place of the
    history's edition it equals (same configuration, same planning areas in the same areas)."""
    label = build.info.edition or ""
    own = _Edition("build", f"{label} ({t('site.this_build')})", None, build, is_build=True)
    if history is None:
        return [own]
    timeline = _read_json(Path(history) / "timeline.json")
    out = [own]
    for entry in timeline.get("editions", []):
        key = str(entry["key"])
        folder = Path(history) / key
        gpkg = folder / "handlungsraeume.gpkg"
        past = read_build_layers(gpkg)
        changes_json = folder / "changes.json"
        changes = _changes(_read_json(changes_json)) if changes_json.is_file() else None
        memo = folder / "changes.md" if (folder / "changes.md").is_file() else None
        edition = _Edition(
            key, str(entry.get("label", key)), entry.get("year"), past, memo, changes
        )
        same = past.info.config_hash == build.info.config_hash and _membership(past) == _membership(
            build
        )
        if same and own in out:  # the build is this edition of the history
            out.remove(own)
            edition.build, edition.is_build = build, True
        out.append(edition)
    return out


def _js(name: str, value: Any) -> str:
    return f"(window.{name}=window.{name}||{{}})[{json.dumps(value[0])}]={value[1]};\n"


def _copy_profiles(source: Path, target: Path) -> list[str]:
    target.mkdir(parents=True, exist_ok=True)
    copied = []
    for path in sorted(source.iterdir()):
        if path.suffix in (".html", ".pdf") and path.is_file():
            shutil.copy2(path, target / path.name)
            if path.suffix == ".html" and path.stem != "index":
                copied.append(path.stem)
    return copied


def _template(name: str) -> str:
    return (resources.files("quartiere.site") / "templates" / name).read_text(encoding="utf-8")


def _static(name: str) -> str:
    return (resources.files("quartiere.site") / "static" / name).read_text(encoding="utf-8")


def _when(info: BuildInfo) -> datetime:
    try:
        return datetime.fromisoformat((info.built_at or "").replace("Z", "+00:00"))
    except ValueError:
        return datetime.now(UTC)


def _downloads(options: SiteOptions, build: Build, stage: Path, t: Messages) -> list[list[str]]:
    folder = stage / "downloads"
    folder.mkdir()
    links = []
    gpkg = Path(options.build)
    # Zipped: a GeoPackage deflates to about 40 % (5.5 MB -> 2.2 MB for Berlin), and static
    # servers do not compress binary files. QGIS opens it as it is (/vsizip/).
    entry = zipfile.ZipInfo(gpkg.name, date_time=(1980, 1, 1, 0, 0, 0))
    entry.compress_type = zipfile.ZIP_DEFLATED
    with (
        zipfile.ZipFile(folder / f"{gpkg.name}.zip", "w") as archive,
        gpkg.open("rb") as source,
        archive.open(entry, "w") as target,
    ):
        shutil.copyfileobj(source, target, 1 << 20)
    links.append([f"downloads/{gpkg.name}.zip", t("site.dl_gpkg")])
    table = build.planning_areas.drop(columns="geometry")
    table.to_csv(folder / "planungsraeume.csv", index=False, encoding="utf-8-sig")
    links.append(["downloads/planungsraeume.csv", t("site.dl_csv")])
    from quartiere.io.beside import summary_md

    summary = summary_md(gpkg)  # X.md beside X.gpkg, summary.md beside the default name
    if summary.is_file():
        shutil.copy2(summary, folder / "summary.md")
        links.append(["downloads/summary.md", t("site.dl_summary")])
    return links


def _stage(
    options: SiteOptions, stage: Path, progress: Callable[[str], None], start: float
) -> tuple[str, ...]:
    build = read_build_layers(options.build)
    language = build.info.language or "de"
    t = Messages(language if language in ("de", "en") else "de")
    editions = _editions(build, options.history, t)
    progress(f"read {len(editions)} edition(s)      {time.perf_counter() - start:6.2f} s")
    robustness = None
    if options.sensitivity is not None:
        atlas = _read_json(Path(options.sensitivity) / "sensitivity.json")
        robustness = robustness_content(
            atlas,
            {
                "robust_in": t("robust-in"),
                "robust_out": t("robust-out"),
                "contested": t("contested_class"),
            },
        )

    (stage / "data").mkdir()
    (stage / "lib").mkdir()
    leaflet = leaflet_dir()
    for name in ("leaflet.js", "leaflet.css"):
        shutil.copy2(leaflet / name, stage / "lib" / name)
    if (leaflet / "images").is_dir():
        shutil.copytree(leaflet / "images", stage / "lib" / "images")
    (stage / "site.js").write_text(_static("site.js"), encoding="utf-8")
    (stage / "site.css").write_text(_static("site.css"), encoding="utf-8")

    profiles: list[str] = []
    if options.profiles is not None:
        profiles = _copy_profiles(Path(options.profiles), stage / "profiles")

    store = GeometryStore()
    entries = []
    for edition in editions:
        content = edition_content(edition.build, store)
        content["robustness"] = (
            robustness is not None and robustness["edition"] == edition.build.info.edition
        )
        name = f"ed-{_safe(edition.key)}"
        (stage / "data" / f"{name}.js").write_text(
            _js("QUARTIERE_EDITIONS", (edition.key, dumps(content))), encoding="utf-8"
        )
        memo = None
        if edition.memo is not None:
            memo = f"editions/{_safe(edition.key)}/changes.md"
            (stage / memo).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(edition.memo, stage / memo)
        entries.append(
            {
                "key": edition.key,
                "label": edition.label,
                "year": edition.year,
                "n_areas": len(content["areas"]["order"]),
                "script": f"data/{name}.js",
                "geo": [
                    f"data/{g}.js"
                    for g in (content["plr_geo"], content["esb_geo"], content["districts_geo"])
                ],
                "changes": edition.changes,
                "memo": memo,
                "is_build": edition.is_build,
                "profiles": profiles if edition.is_build else [],
            }
        )
    for geo_name, text in store.collections.items():
        (stage / "data" / f"{geo_name}.js").write_text(
            _js("QUARTIERE_GEO", (geo_name, text)), encoding="utf-8"
        )
    progress(f"data of {len(entries)} edition(s) written {time.perf_counter() - start:6.2f} s")

    downloads = _downloads(options, build, stage, t)
    if profiles:
        downloads.append(["profiles/index.html", t("site.dl_profiles")])
    attribution = build.info.attribution or ""
    notes = [t("atlas_note")]
    if "estimate" in set(build.catchment_layer["lmb_source"].astype(str)):
        notes.insert(0, t("lmb_estimate_note"))
    if build.schools is not None:
        notes.append(t("schools_note"))
    site = {
        "language": t.language,
        "attribution": attribution,
        "colours": {str(k): v for k, v in CRITERIA_COLOURS.items()},
        "editions": entries,
        "default": entries[0]["key"],
        "words": _words(t.language),
        "robustness": robustness,
        "notes": notes,
        "downloads": downloads,
    }
    (stage / "data" / "site.js").write_text(f"window.QUARTIERE={dumps(site)};\n", encoding="utf-8")
    env = Environment(
        loader=DictLoader({"index.html": _template("index.html")}),
        autoescape=select_autoescape(default=True),
    )
    html = env.get_template("index.html").render(
        t=t,
        lang=t.language,
        edition=build.info.edition or "",
        made=t("site.made", version=__version__, date=t.date(_when(build.info))),
        attribution=attribution,
        notes=notes,
        downloads=downloads,
        leaflet_version=_leaflet_version(),
        has_robustness=robustness is not None,
        has_schools=build.schools is not None,
    )
    (stage / "index.html").write_text(html, encoding="utf-8")
    (stage / MARKER).write_text(f"quartiere {__version__}\n", encoding="utf-8")
    return tuple(str(e["key"]) for e in entries)


def _leaflet_version() -> str:
    try:
        import xstatic.pkg.leaflet as leaflet

        return str(leaflet.VERSION)
    except ImportError:  # pragma: no cover - checked by leaflet_dir() before
        return ""


def write_site(
    options: SiteOptions, progress: Callable[[str], None] = lambda _m: None
) -> SiteResult:
    """Write the static site into ``options.out`` (replacing a previous site there).

    Parameters
    ----------
    options
        The build, the optional history, atlas and profiles, and the output directory.
    progress
        Called with one line per phase.

    Returns
    -------
    SiteResult

    Raises
    ------
    InputError
        A missing build, history, atlas or profiles directory, or an unreadable file.
    ConfigError
        ``--out`` names a file, or a non-empty directory that is not a site.
    QuartiereError
        Leaflet (``xstatic-leaflet``) is not installed.
    """
    start = time.perf_counter()
    check_options(options)
    leaflet_dir()
    out = Path(options.out)
    with staging(out) as stage:  # the folder replaces the previous site in one exchange
        (stage / out.name).mkdir()
        editions = _stage(options, stage / out.name, progress, start)
    files = [p for p in out.rglob("*") if p.is_file()]
    return SiteResult(out, len(files), sum(p.stat().st_size for p in files), editions)
