"""Write the GeoPackage that GIS staff open in QGIS: valid, styled, documented, reproducible.

The layers are written with pyogrio into a temporary directory beside the target, documented and
styled with plain ``sqlite3`` (OGC GeoPackage 1.3 tables ``gpkg_data_columns``, ``gpkg_metadata``
and QGIS's ``layer_styles``), and only then moved onto the target with :func:`os.replace`.
A failure at any point leaves a previous file untouched and no temporary file behind.

GeoPackage version 1.3 is written on purpose: the GDAL that pyogrio bundles would write 1.4, which
Debian's GDAL 3.6 / QGIS 3.22 open only with a warning.

With ``SOURCE_DATE_EPOCH`` set, every timestamp in the file is that instant, and two writes of the
same frames are byte-identical.
"""

from __future__ import annotations

import html
import os
import re
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from quartiere import ATTRIBUTION
from quartiere.errors import ConfigError
from quartiere.i18n import MESSAGES, Messages
from quartiere.io.atomic import write_atomically
from quartiere.io.school_layer import POINT_LAYERS, school_docs
from quartiere.model import CRS, is_metric_crs

__all__ = [
    "ATTRIBUTION",
    "CRS",
    "FIELDS",
    "LAYERS",
    "Field",
    "field_description",
    "layer_doc",
    "build_timestamp",
    "write_geopackage",
]


GPKG_VERSION = "1.3"
GEOMETRY_COLUMN = "geom"
FID_COLUMN = "fid"
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Field:
    """Alias and storage type of one attribute column; its description is in the catalogue.

    Parameters
    ----------
    title
        Short German alias QGIS shows instead of the column name (unique within the layer).
    sql_type
        GeoPackage column type: ``TEXT(n)`` (n = width in characters; widened when data are longer),
        ``TEXT``, ``SMALLINT`` (16 bit), ``MEDIUMINT`` (32 bit), ``INTEGER`` (64 bit) or ``REAL``.
    """

    title: str
    sql_type: str


LAYERS: dict[str, tuple[str, ...]] = {
    "handlungsraeume": ("hr_id",),
    "planungsraeume": ("plr_id",),
    "einschulungsbereiche": ("esb_id",),
    "build_info": (),
    "atlas_planungsraeume": ("plr_id",),
    "atlas_handlungsraeume": ("hr_id",),
}
"""Known layers and the columns that give their rows a stable order (empty: the order given);
their titles and descriptions are in the catalogue (:func:`layer_doc`). Other layers are written
undocumented and unstyled, in the order given."""

_COUNTED = {"n_c_mss": "c_mss", "n_c_schools": "c_schools", "n_c_atlas": "c_atlas"}


def layer_doc(name: str, t: Messages) -> tuple[str, str]:
    """Title (``gpkg_contents.identifier``) and description of a layer in the language of ``t``."""
    if name not in LAYERS:
        return name, ""
    return t(f"layer.{name}.title"), t(f"layer.{name}", criteria=t("gpkg_criteria"))


def field_description(layer: str, column: str, t: Messages) -> str:
    """One sentence on what a field's value means, with units, in the language of ``t``."""
    if column in _COUNTED:
        return t("field_count", criterion=t(_COUNTED[column]))
    specific = f"field.{layer}.{column}"
    return t(specific if specific in MESSAGES else f"field.{column}")


FIELDS: dict[str, dict[str, Field]] = {
    "handlungsraeume": {
        "hr_id": Field("Nr.", "TEXT(4)"),
        "hr_name": Field("Name", "TEXT(80)"),
        "bezirk": Field("Bezirk", "TEXT(40)"),
        "n_plr": Field("Anzahl PLR", "SMALLINT"),
        "population": Field("Einwohner", "MEDIUMINT"),
        "area_km2": Field("Fläche km²", "REAL"),
        "plr_ids": Field("PLR-Nummern", "TEXT"),
        "n_c_mss": Field("PLR mit MSS", "SMALLINT"),
        "n_c_schools": Field("PLR mit Schulen", "SMALLINT"),
        "n_c_atlas": Field("PLR mit Atlas", "SMALLINT"),
    },
    "planungsraeume": {
        "plr_id": Field("PLR-Nr.", "TEXT(8)"),
        "plr_name": Field("Planungsraum", "TEXT(80)"),
        "bzr_name": Field("Bezirksregion", "TEXT(80)"),
        "bezirk": Field("Bezirk", "TEXT(40)"),
        "population": Field("Einwohner", "MEDIUMINT"),
        "mss_status": Field("MSS Status", "TEXT(20)"),
        "mss_dynamic": Field("MSS Dynamik", "TEXT(20)"),
        "c_mss": Field("Kriterium MSS", "SMALLINT"),
        "lmb_area_share": Field("lmb-Flächenanteil", "REAL"),
        "c_schools": Field("Kriterium Schulen", "SMALLINT"),
        "n_schools": Field("Schulen", "SMALLINT"),
        "n_schools_flagged": Field("Schulen markiert", "SMALLINT"),
        "atlas_value": Field("Atlas-Index", "REAL"),
        "atlas_stratum": Field("Atlas-Schicht", "SMALLINT"),
        "c_atlas": Field("Kriterium Atlas", "SMALLINT"),
        "n_criteria": Field("Anzahl Kriterien", "SMALLINT"),
        "hr_id": Field("Handlungsraum", "TEXT(4)"),
        "decision": Field("Begründung", "TEXT"),
    },
    "einschulungsbereiche": {
        "esb_id": Field("ESB-Nr.", "TEXT(20)"),
        "lmb_share": Field("lmb-Anteil %", "REAL"),
        "lmb_source": Field("lmb-Quelle", "TEXT(8)"),
        "flagged": Field("markiert", "SMALLINT"),
    },
    "build_info": {
        "key": Field("Schlüssel", "TEXT(64)"),
        "value": Field("Wert", "TEXT"),
    },
    # the robustness atlas's layers (quartiere sensitivity), named planungsraeume and
    # handlungsraeume in its own GeoPackage
    "atlas_planungsraeume": {
        "plr_id": Field("PLR-Nr.", "TEXT(8)"),
        "plr_name": Field("Planungsraum", "TEXT(80)"),
        "bezirk": Field("Bezirk", "TEXT(40)"),
        "population": Field("Einwohner", "MEDIUMINT"),
        "reference_hr_id": Field("Handlungsraum", "TEXT(4)"),
        "inclusion": Field("Einschlusshäufigkeit", "REAL"),
        "seed_frequency": Field("Kernhäufigkeit", "REAL"),
        "class": Field("Einstufung", "TEXT(10)"),
        "flipped_by": Field("Gekippt durch", "TEXT"),
        "in_reference": Field("Im Referenz-Build", "SMALLINT"),
    },
    "atlas_handlungsraeume": {
        "hr_id": Field("Nr.", "TEXT(4)"),
        "hr_name": Field("Name", "TEXT(80)"),
        "population": Field("Einwohner", "MEDIUMINT"),
        "stability": Field("Stabilität", "REAL"),
        "mean_jaccard": Field("Mittlere Übereinstimmung", "REAL"),
        "stability_class": Field("Stabilitätsklasse", "TEXT(8)"),
    },
}
"""Alias and type per field of each known layer; undocumented fields keep the type pyogrio gives
them. The descriptions are in the message catalogue (:func:`field_description`)."""
# The school layer's aliases, types and order; its descriptions are in the catalogue too.
LAYERS["schulen"], FIELDS["schulen"] = school_docs(
    lambda title, description, sort_by: sort_by,
    lambda title, description, sql_type: Field(title, sql_type),
)

_PANDAS_TYPE: dict[str, Any] = {
    "SMALLINT": "Int16",
    "MEDIUMINT": "Int32",
    "INTEGER": "Int64",
    "REAL": "float64",
}


def build_timestamp() -> datetime:
    """Return the build instant: ``SOURCE_DATE_EPOCH`` when set (reproducible builds), else now.

    Returns
    -------
    datetime
        Timezone-aware UTC time.
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        if not epoch.isdigit():
            raise ConfigError(f"SOURCE_DATE_EPOCH={epoch!r} is not a number of seconds since 1970")
        return datetime.fromtimestamp(int(epoch), tz=UTC)
    return datetime.now(tz=UTC)


def _iso(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


def _prepare(name: str, frame: pd.DataFrame, doc: str | None = None) -> pd.DataFrame:
    """Check names and CRS, cast to the documented types (of catalogue entry ``doc``, by default
    ``name``) and give the rows a stable order."""
    doc = doc or name
    frame = frame.copy()
    geometry = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    frame.columns = [c if c == geometry else str(c).lower() for c in frame.columns]
    attributes = [c for c in frame.columns if c != geometry]
    for column in attributes:
        if not _NAME.match(column):
            raise ValueError(f"layer {name}: field name {column!r} is not [a-z][a-z0-9_]*")
        if column == FID_COLUMN:
            raise ValueError(f"layer {name}: a user column named 'fid' clashes with the feature id")
    if len(set(attributes)) != len(attributes):
        raise ValueError(f"layer {name}: duplicate field names after lower-casing")
    if geometry is not None:
        if not is_metric_crs(frame.crs):
            raise ValueError(f"layer {name}: CRS must be projected in metres, got {frame.crs}")
        present = frame.geometry[frame.geometry.notna()].to_numpy()
        types = set(shapely.get_type_id(present).tolist())
        if doc in POINT_LAYERS and not types <= {0}:  # Point
            raise ValueError(f"layer {name}: geometries must be Points")
        if doc not in POINT_LAYERS and not types <= {3, 6}:  # Polygon, MultiPolygon
            raise ValueError(f"layer {name}: geometries must be (Multi)Polygon")
    for column, field in FIELDS.get(doc, {}).items():
        if column not in frame.columns:
            continue
        if field.sql_type in _PANDAS_TYPE:
            frame[column] = frame[column].astype(_PANDAS_TYPE[field.sql_type])
        else:
            frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    sort_by = LAYERS.get(doc, ())
    if sort_by and all(c in frame.columns for c in sort_by):
        frame = frame.sort_values(list(sort_by), kind="stable")
    return frame.reset_index(drop=True)


def _text_widths(name: str, frame: pd.DataFrame) -> dict[str, int]:
    """Declared width of each TEXT(n) column, widened to the longest value."""
    widths = {}
    for column, field in FIELDS.get(name, {}).items():
        match = re.fullmatch(r"TEXT\((\d+)\)", field.sql_type)
        if match and column in frame.columns:
            longest = frame[column].dropna().astype(str).str.len().max()
            longest = 0 if pd.isna(longest) else int(longest)
            widths[column] = max(int(match.group(1)), longest)
    return widths


def _metadata_xml(items: Mapping[str, str]) -> str:
    """GDAL's metadata XML, which GDAL and QGIS show as dataset or layer metadata."""
    lines = ["<GDALMultiDomainMetadata>", "  <Metadata>"]
    lines += [
        f'    <MDI key="{html.escape(k)}">{html.escape(v, quote=False)}</MDI>'
        for k, v in items.items()
    ]
    lines += ["  </Metadata>", "</GDALMultiDomainMetadata>", ""]
    return "\n".join(lines)


LEGEND_LABELS: dict[str, tuple[str, ...]] = {
    "planungsraeume": ("criteria_0", "criteria_1", "criteria_2", "criteria_3"),
    "einschulungsbereiche": (
        "qml_lmb_0",
        "qml_lmb_1",
        "qml_lmb_2",
        "qml_lmb_3",
        "qml_lmb_none",
        "qml_lmb_estimate",
    ),
    "schulen": ("qml_school_0", "qml_school_1", "qml_school_2", "qml_school_3", "qml_lmb_none"),
    "atlas_planungsraeume": ("qml_robust_in", "qml_contested", "qml_robust_out"),
    "atlas_handlungsraeume": ("qml_stable", "qml_fragile"),
}
"""Message key of each legend entry of a shipped style, by its ``symbol`` number: the QML files
hold the English labels QGIS wrote, replaced here in the configured language."""

_LEGEND_ENTRY = re.compile(r'(<(?:category|rule) [^<]*?symbol="(\d+)"[^<]*? label=")[^"]*(")')


def _style_qml(name: str, columns: Sequence[str], t: Messages) -> str | None:
    """The layer's default QML with legend labels in the language of ``t`` and field aliases
    added, or None for a layer without a style."""
    resource = resources.files("quartiere").joinpath("styles", f"{name}.qml")
    if not resource.is_file():
        return None
    qml = resource.read_text(encoding="utf-8")
    labels = LEGEND_LABELS.get(name, ())
    qml = _LEGEND_ENTRY.sub(
        lambda m: (
            m.group(1) + html.escape(t(labels[int(m.group(2))])) + m.group(3)
            if int(m.group(2)) < len(labels)
            else m.group(0)
        ),
        qml,
    )
    fields = FIELDS.get(name, {})
    aliases = [
        f'    <alias field="{html.escape(c)}" index="{i}" name="{html.escape(fields[c].title)}"/>'
        for i, c in enumerate(columns, start=1)
        if c in fields  # index 0 is the fid
    ]
    block = "  <aliases>\n" + "\n".join(aliases) + "\n  </aliases>\n"
    qml = re.sub(
        r'styleCategories="([^"]*)"',
        lambda m: f'styleCategories="{m.group(1)}|Fields"',
        qml,
        count=1,
    )
    return qml.replace("</qgis>", block + "</qgis>")


_DDL = """
CREATE TABLE gpkg_data_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, name TEXT,
  title TEXT, description TEXT, mime_type TEXT, constraint_name TEXT,
  CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name),
  CONSTRAINT gdc_tn UNIQUE (table_name, name));
CREATE TABLE gpkg_data_column_constraints (constraint_name TEXT NOT NULL,
  constraint_type TEXT NOT NULL, value TEXT, min NUMERIC, min_is_inclusive BOOLEAN, max NUMERIC,
  max_is_inclusive BOOLEAN, description TEXT,
  CONSTRAINT gdcc_ntv UNIQUE (constraint_name, constraint_type, value));
CREATE TABLE gpkg_metadata (id INTEGER CONSTRAINT m_pk PRIMARY KEY ASC NOT NULL,
  md_scope TEXT NOT NULL DEFAULT 'dataset', md_standard_uri TEXT NOT NULL,
  mime_type TEXT NOT NULL DEFAULT 'text/xml', metadata TEXT NOT NULL DEFAULT '');
CREATE TABLE gpkg_metadata_reference (reference_scope TEXT NOT NULL, table_name TEXT,
  column_name TEXT, row_id_value INTEGER,
  timestamp DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  md_file_id INTEGER NOT NULL, md_parent_id INTEGER,
  CONSTRAINT crmr_mfi_fk FOREIGN KEY (md_file_id) REFERENCES gpkg_metadata(id),
  CONSTRAINT crmr_mpi_fk FOREIGN KEY (md_parent_id) REFERENCES gpkg_metadata(id));
CREATE TABLE layer_styles (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  f_table_catalog TEXT(256), f_table_schema TEXT(256), f_table_name TEXT(256),
  f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT, styleSLD TEXT,
  useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30),
  update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')));
"""
_SCHEMA_EXT = "http://www.geopackage.org/spec121/#extension_schema"
_METADATA_EXT = "http://www.geopackage.org/spec121/#extension_metadata"


def _set_text_widths(db: sqlite3.Connection, table: str, widths: Mapping[str, int]) -> None:
    """Declare TEXT(n) widths in the table's schema.

    ``TEXT(n)`` and ``TEXT`` share SQLite's TEXT affinity, so only the declaration changes, never
    the stored data: the case SQLite documents as safe for editing ``sqlite_master`` directly.
    """
    if not widths:
        return
    (sql,) = db.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).fetchone()
    for column, width in widths.items():
        sql, n = re.subn(rf'"{re.escape(column)}" TEXT\b(?!\()', f'"{column}" TEXT({width})', sql)
        if n != 1:
            raise RuntimeError(f"cannot declare the width of {table}.{column}")
    (version,) = db.execute("PRAGMA schema_version").fetchone()
    db.execute("PRAGMA writable_schema = ON")
    db.execute("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?", (sql, table))
    db.execute(f"PRAGMA schema_version = {version + 1}")
    db.execute("PRAGMA writable_schema = OFF")


def _document(
    db: sqlite3.Connection,
    frames: Mapping[str, pd.DataFrame],
    stamp: str,
    dataset_items: Mapping[str, str],
    layer_items: Mapping[str, str],
    t: Messages,
    docs: Mapping[str, str],
) -> None:
    """Add field docs, metadata, styles and fixed timestamps to a freshly written GeoPackage;
    descriptions and legends in the language of ``t``, each layer's from its catalogue entry
    ``docs[name]``."""
    for statement in _DDL.split(";"):  # not executescript: that would commit the transaction
        if statement.strip():
            db.execute(statement)
    db.executemany(
        "INSERT INTO gpkg_extensions VALUES (?, NULL, ?, ?, 'read-write')",
        [
            ("gpkg_data_columns", "gpkg_schema", _SCHEMA_EXT),
            ("gpkg_data_column_constraints", "gpkg_schema", _SCHEMA_EXT),
            ("gpkg_metadata", "gpkg_metadata", _METADATA_EXT),
            ("gpkg_metadata_reference", "gpkg_metadata", _METADATA_EXT),
        ],
    )
    db.execute("UPDATE gpkg_contents SET last_change = ?", (stamp,))

    db.execute(
        "INSERT INTO gpkg_metadata VALUES (1, 'dataset', 'http://gdal.org', 'text/xml', ?)",
        (_metadata_xml(dataset_items),),
    )
    db.execute(
        "INSERT INTO gpkg_metadata_reference VALUES ('geopackage', NULL, NULL, NULL, ?, 1, NULL)",
        (stamp,),
    )
    db.execute(
        "INSERT INTO gpkg_metadata VALUES (2, 'dataset', 'http://gdal.org', 'text/xml', ?)",
        (_metadata_xml(layer_items),),
    )
    for name, frame in frames.items():
        db.execute(
            "INSERT INTO gpkg_metadata_reference VALUES ('table', ?, NULL, NULL, ?, 2, NULL)",
            (name, stamp),
        )
        doc = docs[name]
        fields = FIELDS.get(doc, {})
        db.executemany(
            "INSERT INTO gpkg_data_columns VALUES (?, ?, ?, ?, ?, NULL, NULL)",
            [
                (name, c, fields[c].title, fields[c].title, field_description(doc, c, t))
                for c in frame.columns
                if c in fields
            ],
        )
        _set_text_widths(db, name, _text_widths(doc, frame))
        if not isinstance(frame, gpd.GeoDataFrame):
            continue
        qml = _style_qml(doc, [c for c in frame.columns if c != frame.geometry.name], t)
        if qml is not None:
            db.execute(
                "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
                "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, "
                "owner, ui, update_time) VALUES ('', '', ?, ?, ?, ?, '', 1, ?, '', NULL, ?)",
                (name, GEOMETRY_COLUMN, name, qml, "quartiere default style", stamp),
            )
    # QGIS registers layer_styles as an attributes table; do the same so GDAL lists it cleanly.
    db.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, "
        "last_change) VALUES ('layer_styles', 'attributes', 'layer_styles', ?, ?)",
        (t("layer_styles"), stamp),
    )
    db.execute(
        "INSERT INTO gpkg_ogr_contents VALUES ('layer_styles', (SELECT count(*) FROM layer_styles))"
    )


def _items(
    edition: str, metadata: Mapping[str, Any], build_info: Mapping[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    """Dataset-level and layer-level metadata items (GDAL metadata keys are upper case)."""
    attribution = str(metadata.get("attribution") or ATTRIBUTION)
    estimates = "\n".join(str(s) for s in metadata.get("estimates", ()))
    layer = {"EDITION": edition, "LICENSE": "CC BY 3.0 DE", "ATTRIBUTION": attribution}
    if estimates:
        layer["ESTIMATES"] = estimates
    dataset = dict(layer)
    for i, item in enumerate(metadata.get("inputs", ()), start=1):
        dataset[f"INPUT_{i}"] = f"{item['path']} sha256:{item['sha256']}"
    if metadata.get("config"):
        dataset["CONFIG"] = str(metadata["config"])
    for key, value in build_info.items():
        dataset[f"BUILD_{re.sub(r'[^A-Z0-9]+', '_', str(key).upper())}"] = str(value)
    return dataset, layer


def write_geopackage(
    out: Path,
    layers: Mapping[str, gpd.GeoDataFrame | pd.DataFrame],
    build_info: Mapping[str, str],
    metadata: Mapping[str, Any],
    documented_as: Mapping[str, str] | None = None,
) -> None:
    """Write the layers atomically as a styled, documented GeoPackage 1.3.

    Parameters
    ----------
    out
        Target ``.gpkg``; replaced only once the new file is complete.
    layers
        Layer name -> frame, written in this order. GeoDataFrames must hold (Multi)Polygons (or
        points, :data:`POINT_LAYERS`) in one projected CRS in metres (the configuration's
        ``crs``, :data:`quartiere.model.CRS` by default) and are written as MultiPolygon with a
        spatial index; plain DataFrames become attribute tables. Known layers (:data:`LAYERS`)
        get a description, field documentation, typed columns, a stable row order and, where
        one exists, a default QGIS style.
    build_info
        Key -> value of what the build used (versions, timestamp ...), recorded in the dataset
        metadata; also written as table ``build_info`` when ``layers`` has none.
    metadata
        ``edition`` (str), ``config`` (YAML text), ``inputs`` (list of ``{path, sha256}``),
        ``attribution`` (defaults to :data:`ATTRIBUTION`), ``estimates`` (sentences naming the
        values that are estimates or approximations), ``language`` (``de``, the default, or
        ``en``: of the layer and field descriptions and the QGIS legends).
    documented_as
        Layer name -> the catalogue entry (:data:`LAYERS`, :data:`FIELDS`, the shipped style,
        the messages) that documents it, for a layer named like a known one but holding other
        fields (the robustness atlas's ``planungsraeume``: ``atlas_planungsraeume``). By
        default each layer is documented by its own name.

    Raises
    ------
    ValueError
        A layer breaks the contract (field names, CRS, geometry type).
    """
    out = Path(out)
    docs = {name: (documented_as or {}).get(name, name) for name in [*layers, "build_info"]}
    frames = {name: _prepare(name, frame, docs[name]) for name, frame in layers.items()}
    crss = {f.crs.to_string() for f in frames.values() if isinstance(f, gpd.GeoDataFrame)}
    if len(crss) > 1:
        raise ValueError(f"layers in more than one CRS ({', '.join(sorted(crss))}); use one")
    if "build_info" not in frames:
        frames["build_info"] = pd.DataFrame(
            {"key": list(build_info), "value": [str(v) for v in build_info.values()]}
        )
        frames["build_info"] = _prepare("build_info", frames["build_info"])
    stamp = _iso(build_timestamp())
    t = Messages(str(metadata.get("language", "de")))
    dataset_items, layer_items = _items(str(metadata.get("edition", "")), metadata, build_info)

    def write(tmp: Path) -> None:
        for i, (name, frame) in enumerate(frames.items()):
            identifier, description = layer_doc(docs[name], t)
            options: dict[str, Any] = {
                "IDENTIFIER": identifier,
                "DESCRIPTION": description,
                "FID": FID_COLUMN,
            }
            kwargs: dict[str, Any] = {}
            if isinstance(frame, gpd.GeoDataFrame):
                options.update(GEOMETRY_NAME=GEOMETRY_COLUMN, SPATIAL_INDEX="YES")
                kwargs.update(geometry_type="MultiPolygon", promote_to_multi=True)
                if docs[name] in POINT_LAYERS:
                    kwargs = {"geometry_type": "Point"}
            pyogrio.write_dataframe(
                frame,
                tmp,
                layer=name,
                driver="GPKG",
                layer_options=options,
                dataset_options={"VERSION": GPKG_VERSION} if i == 0 else None,
                **kwargs,
            )
        db = sqlite3.connect(tmp, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode = DELETE")
            db.execute("BEGIN")
            _document(db, frames, stamp, dataset_items, layer_items, t, docs)
            db.execute("COMMIT")
            # VACUUM rewrites every page, so no stale bytes of deleted rows reach the output.
            db.execute("VACUUM")
            problems = db.execute("PRAGMA integrity_check").fetchall()
            if problems != [("ok",)]:
                raise RuntimeError(f"GeoPackage integrity check failed: {problems}")
        finally:
            db.close()
        _normalise_header(tmp)

    with _gdal_current_date(stamp):
        write_atomically(out, write)


@contextmanager
def _gdal_current_date(stamp: str) -> Iterator[None]:
    """Let GDAL's own timestamps be the build instant while the layers are written."""
    before = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": stamp})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": before})


CHANGE_COUNTER_OFFSETS = (24, 92)
"""SQLite header: file change counter and the "version-valid-for" number that must equal it."""


def _normalise_header(path: Path) -> None:
    """Set SQLite's file change counter (and its copy) to 1 in a closed database file.

    GDAL skips a timestamp update when the millisecond has not changed, so the number of write
    transactions, and with it the counter, depended on timing; the counter carries no content.
    """
    with open(path, "r+b") as handle:
        for offset in CHANGE_COUNTER_OFFSETS:
            handle.seek(offset)
            handle.write((1).to_bytes(4, "big"))
        handle.flush()
        os.fsync(handle.fileno())
