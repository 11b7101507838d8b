"""Write the input corpus of the reader tests: ``tests/data/good/`` and ``tests/data/bad/``.

``good/`` holds one clean table and one clean layer plus variants as analysts receive them (other
encodings, delimiters, decimal marks, XLSX, zipped shapefiles, other CRS) that must read to the
same frame. ``bad/`` holds one small broken input per failure kind. ``cases.yaml`` in each folder
says how each file is read and, for ``bad/``, which message fragments the error must contain.

Run ``.venv/bin/python tests/data/bad/make_corpus.py`` to regenerate; the files are committed so
the tests need nothing but this folder. XLSX files differ byte-wise on each run (timestamps).
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from pathlib import Path

import geopandas as gpd
import openpyxl
import shapely

BAD = Path(__file__).resolve().parent
GOOD = BAD.parent / "good"

HEADER = ["id", "name", "status", "inhabitants", "share"]
ROWS = [
    ["01011101", "Stülerstraße", "mittel", 12345, 20.5],
    ["01011102", "Großer Tiergarten", "hoch", 180, None],
    ["01011103", "Lützowstraße", "niedrig", 4818, -0.75],
    ["11001010", "Müggelheim", "sehr niedrig", 1234567.5, 0.707],
]
# 2 x 2 lattice of 1 km squares in Berlin (EPSG:25833), ids as in ROWS
X0, Y0, SIDE = 390_000.0, 5_820_000.0, 1000.0


def _square(col: int, row: int, shrink: float = 0.0) -> shapely.Polygon:
    x, y = X0 + col * SIDE, Y0 + row * SIDE
    return shapely.box(x, y, x + SIDE - shrink, y + SIDE)


def _lattice() -> gpd.GeoDataFrame:
    geoms = [_square(0, 0), _square(1, 0), _square(0, 1), _square(1, 1)]
    return gpd.GeoDataFrame(
        {"PLR_ID": [r[0] for r in ROWS], "name": [r[1] for r in ROWS]},
        geometry=geoms,
        crs="EPSG:25833",
    )


def _csv(path: Path, lines: list[str], encoding: str = "utf-8", newline: str = "\n") -> None:
    path.write_bytes((newline.join(lines) + newline).encode(encoding))


def _xlsx(path: Path, rows: list[list[object]], sheet: str = "Tabelle1") -> None:
    workbook = openpyxl.Workbook()
    ws = workbook.active
    ws.title = sheet
    for row in rows:
        ws.append(row)
    workbook.save(path)


def _geojson_text(features: list[str], crs: str | None = "EPSG::25833") -> str:
    head = '{"type": "FeatureCollection", '
    if crs:
        head += f'"crs": {{"type": "name", "properties": {{"name": "urn:ogc:def:crs:{crs}"}}}}, '
    return head + '"features": [\n' + ",\n".join(features) + "\n]}\n"


def _feature(fid: object, geometry: str | None, name: str = "x") -> str:
    ident = f'"{fid}"' if isinstance(fid, str) else str(fid)
    geom = "null" if geometry is None else geometry
    return (
        f'{{"type": "Feature", "properties": {{"PLR_ID": {ident}, "name": "{name}"}}, '
        f'"geometry": {geom}}}'
    )


def _poly(col: int, row: int) -> str:
    return shapely.to_geojson(_square(col, row))


def _zip_shapefile(
    frame: gpd.GeoDataFrame, target: Path, inner: str = "plr.shp", drop: tuple[str, ...] = ()
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        shp = Path(tmp) / inner
        shp.parent.mkdir(parents=True, exist_ok=True)
        frame.to_file(shp, engine="pyogrio")
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for part in sorted(shp.parent.glob(shp.stem + ".*")):
                if part.suffix not in drop:
                    archive.write(part, str(Path(inner).parent / part.name))


def make_good() -> None:
    GOOD.mkdir(exist_ok=True)
    clean = [",".join(HEADER)] + [
        "01011101,Stülerstraße,mittel,12345,20.5",
        '01011102,"Großer Tiergarten",hoch,180,',
        "01011103,Lützowstraße,niedrig ,4818,-.75",
        "11001010, Müggelheim,sehr niedrig,1234567.5,0.707",
    ]
    _csv(GOOD / "clean.csv", clean)
    _csv(GOOD / "bom_utf8_crlf.csv", clean, "utf-8-sig", "\r\n")
    _csv(
        GOOD / "cp1252_semicolon_decimal_comma.csv",
        [";".join(HEADER)]
        + [
            "01011101;Stülerstraße;mittel;12.345;20,5",
            "01011102;Großer Tiergarten;hoch;180;",
            "01011103;Lützowstraße;niedrig;4.818;-0,75",
            '11001010;"Müggelheim";sehr niedrig;1.234.567,5;0,707',
        ],
        "cp1252",
        "\r\n",
    )
    _csv(
        GOOD / "semicolon_decimal_point.csv",
        [";".join(HEADER)]
        + [
            "01011101;Stülerstraße;mittel;12345;20.5",
            "01011102;Großer Tiergarten;hoch;180;",
            "01011103;Lützowstraße;niedrig;4818;-0.75",
            "11001010;Müggelheim;sehr niedrig;1234567.5;0.707",
        ],
    )
    _csv(
        GOOD / "utf16_tab.txt",
        ["\t".join(HEADER)]
        + [
            "01011101\tStülerstraße\tmittel\t12345\t20,5",
            "01011102\tGroßer Tiergarten\thoch\t180\t",
            "01011103\tLützowstraße\tniedrig\t4818\t-0,75",
            "11001010\tMüggelheim\tsehr niedrig\t1234567,5\t0,707",
        ],
        "utf-16",
        "\r\n",
    )
    _csv(
        GOOD / "float_ids.csv",
        [",".join(HEADER)]
        + [
            "1011101.0,Stülerstraße,mittel,12345,20.5",
            "1011102.0,Großer Tiergarten,hoch,180,",
            "1011103.0,Lützowstraße,niedrig,4818,-0.75",
            "11001010.0,Müggelheim,sehr niedrig,1234567.5,0.707",
        ],
    )
    _xlsx(
        GOOD / "header_offset.xlsx",
        [["Monitoring Soziale Stadtentwicklung 2021, Tabelle 1"], [], HEADER, *ROWS, [], []],
    )
    _xlsx(GOOD / "numeric_ids.xlsx", [HEADER, *[[int(r[0]), *r[1:]] for r in ROWS]], "Daten")

    lattice = _lattice()
    lattice.to_file(GOOD / "clean.geojson", engine="pyogrio")
    lattice.to_crs("EPSG:4326").to_file(
        GOOD / "wgs84_rfc7946.geojson", engine="pyogrio", driver="GeoJSON", RFC7946="YES"
    )
    _zip_shapefile(lattice, GOOD / "shapefile.zip")
    _zip_shapefile(lattice, GOOD / "shapefile_in_folder.zip", inner="export/lor/plr.shp")
    _zip_shapefile(lattice, GOOD / "shapefile_without_prj.zip", drop=(".prj",))
    (GOOD / "no_crs_member.geojson").write_text(
        _geojson_text(
            [_feature(r[0], _poly(i % 2, i // 2), r[1]) for i, r in enumerate(ROWS)], crs=None
        ),
        encoding="utf-8",
    )
    three_d = lattice.copy()
    three_d["geometry"] = shapely.force_3d(three_d.geometry.array, z=34.0)
    three_d.to_file(GOOD / "with_z.geojson", engine="pyogrio")
    gpkg = GOOD / "two_layers.gpkg"
    gpkg.unlink(missing_ok=True)
    lattice.to_file(gpkg, layer="planungsraeume", engine="pyogrio")
    lattice.dissolve().to_file(gpkg, layer="bezirke", engine="pyogrio")
    numeric = lattice.copy()
    numeric["PLR_ID"] = numeric["PLR_ID"].astype(int)
    _zip_shapefile(numeric, GOOD / "numeric_ids_shapefile.zip")


def make_bad() -> None:
    (BAD / "legacy.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    (BAD / "report.pdf").write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    (BAD / "binary.csv").write_bytes(b"id,name\n\x00\x01\x02\x03")
    _csv(BAD / "not_really.xlsx", ["id,name", "01011101,a"])
    (BAD / "bad_encoding.csv").write_bytes(b"id,name\n01011101,a\n01011102,\x81b\n")
    (BAD / "empty.csv").write_bytes(b"\n\n")
    ok = ["01011101,a,mittel,100,1.5", "01011102,b,hoch,200,2.5"]
    _csv(BAD / "missing_column.csv", [",".join(HEADER), *ok])
    _csv(BAD / "missing_id_column.csv", ["ID,name,status,inhabitants,share", *ok])
    _xlsx(BAD / "header_not_first.xlsx", [["Tabelle 1"], [], HEADER, *ROWS])
    _xlsx(BAD / "wrong_sheet.xlsx", [HEADER, *ROWS])
    _csv(BAD / "empty_id.csv", [",".join(HEADER), ok[0], " ,b,hoch,200,2.5"])
    _csv(BAD / "duplicate_id.csv", [",".join(HEADER), *ok, "01011101,c,hoch,300,3.5"])
    _csv(BAD / "malformed_id.csv", [",".join(HEADER), ok[0], "0101110A,b,hoch,200,2.5"])
    _csv(
        BAD / "lost_leading_zeros.csv",
        [
            ",".join(HEADER),
            "1011101,a,mittel,100,1.5",
            "1011102,b,hoch,200,2.5",
            "11001010,c,hoch,3,1",
        ],
    )
    _csv(BAD / "float_ids.csv", [",".join(HEADER), "1011101.0,a,mittel,100,1.5"])
    _csv(BAD / "not_a_number.csv", [",".join(HEADER), *ok, "01011103,c,hoch,n/a,3.5"])
    _csv(
        BAD / "mixed_decimal_marks.csv",
        [";".join(HEADER), "01011101;a;mittel;100;1,5", "01011102;b;hoch;200.5;2"],
    )
    _csv(BAD / "ragged_row.csv", [",".join(HEADER), ok[0], "01011102,b,hoch,200,2,5"])
    _csv(BAD / "duplicate_column.csv", ["id,name,share,inhabitants,share", *ok])
    _xlsx(
        BAD / "text_in_numeric.xlsx",
        [HEADER, ROWS[0], ROWS[1], ["01011103", "c", "hoch", "k.A.", 1.0]],
    )

    (BAD / "garbage.geojson").write_text("this is not GeoJSON\n", encoding="utf-8")
    lattice = _lattice()  # two layers in one GeoPackage: see good/two_layers.gpkg
    squares = [_poly(i % 2, i // 2) for i in range(4)]
    ids = [r[0] for r in ROWS]

    def layer(name: str, features: list[str], crs: str | None = "EPSG::25833") -> None:
        (BAD / name).write_text(_geojson_text(features, crs), encoding="utf-8")

    layer("no_crs.geojson", [_feature(i, g) for i, g in zip(ids, squares, strict=True)], None)
    _zip_shapefile(lattice, BAD / "shapefile_without_prj.zip", drop=(".prj",))
    wrong = lattice.set_crs("EPSG:4326", allow_override=True)
    _zip_shapefile(wrong, BAD / "wrong_prj.zip")
    layer(
        "empty_geometry.geojson",
        [_feature(ids[0], squares[0]), _feature(ids[1], '{"type": "Polygon", "coordinates": []}')],
    )
    layer("null_geometry.geojson", [_feature(ids[0], squares[0]), _feature(ids[1], None)])
    point = '{"type": "Point", "coordinates": [390500, 5821500]}'
    layer(
        "point.geojson",
        [_feature(ids[0], squares[0]), _feature(ids[1], squares[1]), _feature(ids[2], point)],
    )
    layer("line.geojson", [_feature(ids[0], shapely.to_geojson(_square(0, 0).exterior))])
    layer(
        "duplicate_id.geojson",
        [_feature(ids[0], squares[0]), _feature(ids[1], squares[1]), _feature(ids[0], squares[2])],
    )
    layer("numeric_ids.geojson", [_feature(1011101, squares[0]), _feature(1011102, squares[1])])
    layer("missing_field.geojson", [_feature(ids[0], squares[0])])
    collapsed = (
        '{"type": "Polygon", "coordinates": [[[390000,5820000],[391000,5820000],'
        "[392000,5820000],[390000,5820000]]]}"
    )
    layer("collapsed_geometry.geojson", [_feature(ids[0], squares[0]), _feature(ids[1], collapsed)])
    layer("no_features.geojson", [])
    with zipfile.ZipFile(BAD / "no_data_in_zip.zip", "w") as archive:
        archive.writestr("readme.txt", "the shapefile was forgotten")
    gap = [
        _poly(0, 0),
        shapely.to_geojson(_square(1, 0, shrink=0)),
        _poly(0, 1),
        shapely.to_geojson(shapely.box(X0 + SIDE, Y0 + SIDE, X0 + 2 * SIDE, Y0 + 2 * SIDE)),
    ]
    # a 100 m x 100 m hole in the middle of the lattice, cut from the four squares' corners
    hole = shapely.box(X0 + SIDE - 50, Y0 + SIDE - 50, X0 + SIDE + 50, Y0 + SIDE + 50)
    gap = [shapely.to_geojson(shapely.difference(shapely.from_geojson(g), hole)) for g in gap]
    layer("gap.geojson", [_feature(i, g) for i, g in zip(ids, gap, strict=True)])
    overlap = [
        _poly(0, 0),
        shapely.to_geojson(shapely.box(X0 + SIDE - 60, Y0, X0 + 2 * SIDE, Y0 + SIDE)),
        _poly(0, 1),
        _poly(1, 1),
    ]
    layer("overlap.geojson", [_feature(i, g) for i, g in zip(ids, overlap, strict=True)])


if __name__ == "__main__":
    for folder in (GOOD, BAD):
        for child in folder.glob("*"):
            if child.suffix not in (".yaml", ".py", ".md"):
                child.unlink() if child.is_file() else shutil.rmtree(child)
    make_good()
    make_bad()
