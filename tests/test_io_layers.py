"""read_layer and check_coverage: readable layers agree, broken ones give one clear line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely
import yaml
from geopandas.testing import assert_geodataframe_equal

from quartiere.config import LayerInput
from quartiere.errors import InputError
from quartiere.io.layers import LayerReport, check_coverage, find_coverage_problems, read_layer

DATA = Path(__file__).parent / "data"
RAW = Path(__file__).parents[1] / "data" / "raw"
GOOD_CASES = yaml.safe_load((DATA / "good" / "cases.yaml").read_text(encoding="utf-8"))["layers"]
BAD_CASES = yaml.safe_load((DATA / "bad" / "cases.yaml").read_text(encoding="utf-8"))["layers"]


def spec(path: Path, **keys: Any) -> LayerInput:
    return LayerInput(path=path, **{"id": "id", **keys})


def geojson(
    path: Path,
    features: list[tuple[object, dict[str, Any] | None]],
    crs: str | None = "EPSG::25833",
) -> Path:
    doc: dict[str, Any] = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"id": fid}, "geometry": geom}
            for fid, geom in features
        ],
    }
    if crs:
        doc["crs"] = {"type": "name", "properties": {"name": f"urn:ogc:def:crs:{crs}"}}
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def square(x: float, y: float, side: float = 100.0) -> dict[str, Any]:
    return json.loads(shapely.to_geojson(shapely.box(x, y, x + side, y + side)))


def read_error(layer: LayerInput, **kwargs: Any) -> str:
    with pytest.raises(InputError) as caught:
        read_layer(layer, **kwargs)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{layer.path}: ")
    return message


def assert_same_layer(
    frame: gpd.GeoDataFrame, expected: gpd.GeoDataFrame, tolerance: float
) -> None:
    """Same ids, attributes and CRS; same geometries up to vertex order and ``tolerance`` m."""
    assert_geodataframe_equal(
        frame.drop(columns="geometry")
        .assign(geometry=None)
        .set_geometry("geometry", crs=frame.crs),
        expected.drop(columns="geometry")
        .assign(geometry=None)
        .set_geometry("geometry", crs=expected.crs),
    )
    left, right = np.asarray(frame.geometry.array), np.asarray(expected.geometry.array)
    assert (shapely.hausdorff_distance(left, right) <= tolerance).all()
    assert (shapely.get_num_coordinates(left) == shapely.get_num_coordinates(right)).all()


# --- the corpus ------------------------------------------------------------------------------


def test_clean_reference_reads_as_written() -> None:
    frame, report = read_layer(spec(DATA / "good" / "clean.geojson", id="PLR_ID"), ["name"])
    assert frame.index.name == "id"
    assert frame.index.tolist() == ["01011101", "01011102", "01011103", "11001010"]
    assert list(frame.columns) == ["name", "geometry"]
    assert frame.crs == "EPSG:25833"
    assert frame.area.tolist() == [1e6] * 4
    assert report == LayerReport(
        path=str(DATA / "good" / "clean.geojson"),
        n_features=4,
        source_crs="EPSG:25833",
        reprojected=False,
        repaired=0,
    )


@pytest.mark.parametrize("case", GOOD_CASES["variants"], ids=lambda c: c["file"])
def test_readable_variant_reads_like_the_clean_file(case: dict[str, Any]) -> None:
    expected, _ = read_layer(spec(DATA / "good" / GOOD_CASES["reference"], id="PLR_ID"), ["name"])
    frame, report = read_layer(
        LayerInput(path=DATA / "good" / case["file"], **case["spec"]), ["name"]
    )
    assert_same_layer(frame, expected, tolerance=0.05 if case.get("reprojected") else 1e-6)
    assert report.reprojected is case.get("reprojected", False)
    assert not frame.geometry.has_z.any()  # Z dropped (with_z.geojson has it)
    assert report.repaired == 0
    assert report.source_crs == ("EPSG:4326" if case.get("reprojected") else "EPSG:25833")


@pytest.mark.parametrize("case", BAD_CASES, ids=lambda c: f"{c['file']}-{c.get('spec', '')}")
def test_broken_layer_is_refused_with_its_message(case: dict[str, Any]) -> None:
    layer = LayerInput(path=DATA / "bad" / case["file"], **{"id": "PLR_ID", **case.get("spec", {})})
    if "coverage" in case:
        frame, _ = read_layer(layer, case.get("columns", []))
        with pytest.raises(InputError) as caught:
            check_coverage(frame, case["coverage"], str(layer.path))
        message = str(caught.value)
        assert "\n" not in message
        assert message.startswith(f"{layer.path}: ")
    else:
        message = read_error(layer, columns=case.get("columns", []))
    for fragment in case["expect"]:
        assert fragment in message


# --- the real data ---------------------------------------------------------------------------


@pytest.mark.parametrize(("generation", "count"), [("lor2021", 542), ("lor2006", 448)])
def test_berlin_planning_areas_are_a_coverage(generation: str, count: int) -> None:
    path = RAW / generation / "planungsraeume.geojson"
    frame, report = read_layer(spec(path, id="PLR_ID"), ["PLR_NAME", "BEZ"])
    assert len(frame) == report.n_features == count
    assert frame.index.str.fullmatch(r"\d{8}").all()
    assert frame.geom_type.isin(["Polygon", "MultiPolygon"]).all()
    assert frame.area.sum() / 1e6 == pytest.approx(890.7, abs=0.1)
    check_coverage(frame, 1000.0, str(path))
    # what there is is digitising noise well below a square metre
    problems = find_coverage_problems(frame)
    assert problems["area_m2"].max() < 1.0 if len(problems) else True


def test_catchments_without_crs_need_configuration() -> None:
    path = RAW / "einschulungsbereiche" / "esb_2019_06.geojson"
    message = read_error(spec(path, id="ESB"), id_pattern=r"\d{4}")
    assert "declares no CRS and none is configured (set `crs:`)" in message
    frame, report = read_layer(spec(path, id="ESB", crs="EPSG:25833"), id_pattern=r"\d{4}")
    assert len(frame) == 346
    assert report.source_crs == "EPSG:25833" and not report.reprojected


# --- synthetic layers ------------------------------------------------------------------------


def test_invalid_geometries_are_repaired_and_counted(tmp_path: Path) -> None:
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [100, 100], [100, 0], [0, 100], [0, 0]]]}
    # a polygon with a dangling spike: make_valid returns polygon + line; only the polygon is kept
    spike = {
        "type": "Polygon",
        "coordinates": [
            [[200, 0], [300, 0], [300, 100], [300, 150], [300, 100], [200, 100], [200, 0]]
        ],
    }
    path = geojson(tmp_path / "l.geojson", [("a", bowtie), ("b", spike), ("c", square(400, 0))])
    frame, report = read_layer(spec(path), id_pattern=None)
    assert report.repaired == 2
    assert frame.is_valid.all()
    assert frame.geom_type.tolist() == ["MultiPolygon", "Polygon", "Polygon"]
    assert frame.area.tolist() == pytest.approx([5000.0, 10000.0, 10000.0])


def test_other_crs_is_reprojected(tmp_path: Path) -> None:
    lonlat = gpd.GeoSeries([shapely.box(13.4, 52.5, 13.41, 52.51)], crs="EPSG:4326")
    gpd.GeoDataFrame({"id": ["01011101"]}, geometry=lonlat).to_file(tmp_path / "l.gpkg")
    frame, report = read_layer(spec(tmp_path / "l.gpkg"))
    assert report.reprojected and report.source_crs == "EPSG:4326"
    assert frame.crs == "EPSG:25833"
    x, y = frame.geometry.iloc[0].centroid.coords[0]
    assert 390_000 < x < 392_000 and 5_818_000 < y < 5_820_000


def test_target_crs_is_configurable(tmp_path: Path) -> None:
    path = geojson(tmp_path / "l.geojson", [("01011101", square(390_000, 5_820_000))])
    frame, report = read_layer(spec(path), target_crs="EPSG:3035")
    assert report.reprojected and frame.crs == "EPSG:3035"


def test_declared_crs_wins_over_configured(tmp_path: Path) -> None:
    path = geojson(tmp_path / "l.geojson", [("01011101", square(390_000, 5_820_000))])
    _, report = read_layer(spec(path, crs="EPSG:3035"))
    assert report.source_crs == "EPSG:25833" and not report.reprojected


def test_unknown_configured_crs(tmp_path: Path) -> None:
    path = geojson(tmp_path / "l.geojson", [("01011101", square(390_000, 5_820_000))], crs=None)
    assert "configured `crs: EPSG:99999` is not a known CRS" in read_error(
        spec(path, crs="EPSG:99999")
    )


def test_numeric_ids_restored_on_request(tmp_path: Path) -> None:
    path = geojson(
        tmp_path / "l.geojson",
        [(1011101, square(390_000, 5_820_000)), (1011102.0, square(390_100, 5_820_000))],
    )
    frame, _ = read_layer(spec(path, restore_leading_zeros=True))
    assert frame.index.tolist() == ["01011101", "01011102"]


def test_empty_id_names_the_feature(tmp_path: Path) -> None:
    path = geojson(
        tmp_path / "l.geojson",
        [("01011101", square(390_000, 5_820_000)), (None, square(390_100, 5_820_000))],
    )
    assert "feature 2: empty id in column 'id'" in read_error(spec(path))


def test_zip_with_several_shapefiles_needs_a_layer(tmp_path: Path) -> None:
    import zipfile

    frame = gpd.GeoDataFrame(
        {"id": ["01011101"]}, geometry=[shapely.box(0, 0, 1, 1)], crs="EPSG:25833"
    )
    with zipfile.ZipFile(tmp_path / "two.zip", "w") as archive:
        for stem in ("plr", "bzr"):
            frame.to_file(tmp_path / f"{stem}.shp")
            for part in tmp_path.glob(f"{stem}.*"):
                archive.write(part, part.name)
    assert "zip archive holds 2 layers (bzr, plr); set `layer:`" in read_error(
        spec(tmp_path / "two.zip")
    )
    read, _ = read_layer(spec(tmp_path / "two.zip", layer="plr"))
    assert read.index.tolist() == ["01011101"]


def test_coverage_overlap_by_containment_and_ids() -> None:
    outer = shapely.box(0, 0, 1000, 1000)
    inner = shapely.box(100, 100, 200, 200)
    areas = gpd.GeoDataFrame(geometry=[outer, inner], index=["b", "a"], crs="EPSG:25833")
    problems = find_coverage_problems(areas, 1000.0)
    assert problems.to_dict("records") == [
        {"kind": "overlap", "area_m2": 10000.0, "x": 150, "y": 150, "ids": "a, b"}
    ]


def test_coverage_tolerates_small_slivers_and_ignores_outer_boundary() -> None:
    # an L-shaped city: the notch is outer boundary, the 10 x 10 m hole is within tolerance
    hole = shapely.box(995, 495, 1005, 505)
    geoms = [
        shapely.box(0, 0, 1000, 1000) - hole,
        shapely.box(1000, 0, 2000, 1000) - hole,
        shapely.box(0, 1000, 1000, 2000),
    ]
    areas = gpd.GeoDataFrame(geometry=geoms, index=["a", "b", "c"], crs="EPSG:25833")
    check_coverage(areas, 100.0, "x.geojson")
    problems = find_coverage_problems(areas)
    assert problems["kind"].tolist() == ["gap"]
    assert problems["area_m2"].iloc[0] == pytest.approx(100.0)
    with pytest.raises(InputError, match=r"x\.geojson: coverage: .*1 gap larger than 50 m2"):
        check_coverage(areas, 50.0, "x.geojson")


def test_coverage_lists_the_largest_first_and_counts_the_rest() -> None:
    boxes = [
        shapely.box(i * 100 - size, 0, (i + 1) * 100, 100)
        for i, size in enumerate([0, 10, 20, 30, 40])
    ]
    areas = gpd.GeoDataFrame(geometry=boxes, index=list("abcde"), crs="EPSG:25833")
    with pytest.raises(InputError) as caught:
        check_coverage(areas, 0.0, "x.gpkg")
    message = str(caught.value)
    assert "4 overlaps larger than 0 m2: overlap of 4000 m2" in message
    assert message.index("4000 m2") < message.index("3000 m2") < message.index("2000 m2")
    assert message.endswith("; and 1 more")
    assert np.all(np.diff(find_coverage_problems(areas)["area_m2"]) <= 0)
