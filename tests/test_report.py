"""The map and the summary beside the GeoPackage."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

try:
    from test_gpkg import synthetic_layers
except ImportError:  # tests/ imported as a package
    from tests.test_gpkg import synthetic_layers

from quartiere.io.atomic import write_text_atomically
from quartiere.io.figures import write_png
from quartiere.present.build_map import map_figure
from quartiere.present.cartography import CRITERIA_COLOURS, nice_length
from quartiere.present.figure_data import MapLayers
from quartiere.present.summary import summary_markdown

ATTRIBUTION = "Datenquelle: Amt für Statistik Berlin-Brandenburg / Senatsverwaltungen Berlin"


def render_map(layers: dict, out: Path, title: str) -> None:
    """Draw the map of ``layers`` and write it as the build does."""
    figure = map_figure(
        MapLayers.of(layers["handlungsraeume"], layers["planungsraeume"]),
        title=title,
        attribution=ATTRIBUTION,
    )
    write_png(out, figure)


def test_render_map_draws_every_class_colour(tmp_path: Path) -> None:
    layers = synthetic_layers()
    out = tmp_path / "map.png"
    render_map(layers, out, "Test")
    image = imread(out)[..., :3]
    assert image.shape[0] >= 1600 and image.shape[1] >= 2300  # A4 landscape at 200 dpi
    rgb = (image * 255).round().astype(int)
    present = {tuple(c) for c in np.unique(rgb.reshape(-1, 3), axis=0)}
    for colour in CRITERIA_COLOURS.values():
        expected = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
        assert expected in present, colour
    assert [p.name for p in tmp_path.iterdir()] == ["map.png"]


def test_png_is_opaque_rgb_with_its_dpi_and_the_same_bytes_twice(tmp_path: Path) -> None:
    from PIL import Image

    layers = synthetic_layers()
    render_map(layers, tmp_path / "a.png", "Test")
    render_map(layers, tmp_path / "b.png", "Test")
    with Image.open(tmp_path / "a.png") as image:
        assert image.mode == "RGB"  # drawn on white: no alpha channel to encode
        assert image.size == (2338, 1654)  # A4 landscape at 200 dpi
        assert tuple(round(d) for d in image.info["dpi"]) == (200, 200)
        assert "Software" not in image.info
        assert image.getpixel((0, 0)) == (255, 255, 255)
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()


def test_map_failure_keeps_previous_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    layers = synthetic_layers()
    out = tmp_path / "map.png"
    out.write_bytes(b"old")

    def fail(self: object, target: Path, **kwargs: object) -> None:
        Path(target).write_bytes(b"half a png")
        raise RuntimeError("disk full")

    monkeypatch.setattr("PIL.Image.Image.save", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        render_map(layers, out, "T")
    assert out.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["map.png"]


SUMMARY_LINES = {
    "de": [
        "| 01 | Nord | Mitte | 3 | 3.300 | MSS 3/3, Schulen 3/3, Sozialatlas 1/3 |",
        "| 02 | Süd | Neukölln | 4 | 7.400 | MSS 3/4, Schulen 3/4, Sozialatlas 4/4 |",
        "- **01 Nord**: 11000001 Planungsraum 1, 11000002 Planungsraum 2, 11000003",
        "- Planungsräume in einem Handlungsraum: 7 von 12",
        "- Einwohner in Handlungsräumen: 10.700 von 18.600 (57,5 %)",
        "- Planungsräume, die das Kriterium MSS erfüllen: 6",
        "- Planungsräume nach Zahl erfüllter Kriterien: 0: 4, 1: 1, 2: 4, 3: 3",
        "## Schätzungen und Näherungen\n\n- lmb_share ist eine SCHÄTZUNG.",
    ],
    "en": [
        "| 01 | Nord | Mitte | 3 | 3,300 | MSS 3/3, schools 3/3, social atlas 1/3 |",
        "| 02 | Süd | Neukölln | 4 | 7,400 | MSS 3/4, schools 3/4, social atlas 4/4 |",
        "- **01 Nord**: 11000001 Planungsraum 1, 11000002 Planungsraum 2, 11000003",
        "- Planning areas in a Handlungsraum: 7 of 12",
        "- Population in Handlungsräume: 10,700 of 18,600 (57.5 %)",
        "- Planning areas meeting the MSS criterion: 6",
        "- Planning areas by number of criteria met: 0: 4, 1: 1, 2: 4, 3: 3",
        "## Estimates and approximations\n\n- lmb_share ist eine SCHÄTZUNG.",
    ],
}


@pytest.mark.parametrize("language", ["de", "en"])
def test_summary_lists_areas_and_totals(tmp_path: Path, language: str) -> None:
    layers = synthetic_layers()
    out = tmp_path / "summary.md"
    text = summary_markdown(
        layers["handlungsraeume"],
        layers["planungsraeume"],
        edition="test-2023",
        estimates=["lmb_share ist eine SCHÄTZUNG."],
        coverage=["mss: 12 of 12"],
        language=language,
    )
    write_text_atomically(out, text)
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Handlungsräume: test-2023\n")
    coverage = {"de": "Abdeckung der Eingaben", "en": "Input coverage"}[language]
    assert text.splitlines()[2] == f"{coverage}: mss: 12 of 12."
    for line in SUMMARY_LINES[language]:
        assert line in text, line


def test_summary_is_german_by_default() -> None:
    layers = synthetic_layers()
    args = (layers["handlungsraeume"], layers["planungsraeume"])
    german = summary_markdown(*args, edition="e", estimates=[])
    assert german == summary_markdown(*args, edition="e", estimates=[], language="de")
    assert german != summary_markdown(*args, edition="e", estimates=[], language="en")


@pytest.mark.parametrize(
    ("language", "legend"),
    [
        ("de", ["Planungsräume", "0 von 3 Kriterien erfüllt", "Bezirksgrenze"]),
        (
            "en",
            ["Planning areas (Planungsräume)", "0 of 3 criteria met", "district border (Bezirk)"],
        ),
    ],
)
def test_map_legend_follows_the_language(language: str, legend: list[str]) -> None:
    layers = synthetic_layers()
    figure = map_figure(
        MapLayers.of(layers["handlungsraeume"], layers["planungsraeume"]),
        title="T",
        attribution=ATTRIBUTION,
        language=language,
    )
    (drawn,) = figure.legends
    assert [
        drawn.get_title().get_text(),
        drawn.texts[0].get_text(),
        drawn.texts[-1].get_text(),
    ] == (legend)
    crs = {"de": "Karte: EPSG:25833", "en": "Map: EPSG:25833"}[language]
    assert any(
        text.get_text() == f"{ATTRIBUTION}. {crs} (ETRS89 / UTM 33N)." for text in figure.texts
    )


def test_nice_scale_bar_lengths() -> None:
    assert nice_length(40_000, 5) == 5000
    assert nice_length(4_000, 5) == 500
    assert nice_length(12_000, 5) == 2000


@pytest.mark.slow
def test_a_build_with_language_en_writes_english_beside_the_german_default(tmp_path: Path) -> None:
    import sqlite3

    from click.testing import CliRunner

    from quartiere.cli import main

    root = Path(__file__).resolve().parents[1]
    config = tmp_path / "en.yaml"
    # the MSS 2021 edition, whose German summary is the golden one
    edition = root / "config/editions/mss2021.yaml"
    config.write_text(f"extends: {edition}\nlanguage: en\n", encoding="utf-8")
    out = tmp_path / "en" / "handlungsraeume.gpkg"
    # numbered afresh, as the golden build is
    args = ["build", "--fresh", "--config", str(config), "--out", str(out), "-q"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    english = (out.parent / "summary.md").read_text(encoding="utf-8")
    german = (root / "tests/golden/mss2021/summary.md").read_text(encoding="utf-8")
    # the same computed figures, each written as its language writes numbers
    rows = [line for line in german.splitlines() if line.startswith("| ") and "|---" not in line]
    assert len(rows) > 10
    for row in rows[1:]:  # every area's row, in English words and number format
        cells = row.split(" | ")
        cells[4] = cells[4].replace(".", ",")
        cells[5] = cells[5].replace("Schulen", "schools").replace("Sozialatlas", "social atlas")
        assert " | ".join(cells) in english, row
    found = re.search(
        r"- Einwohner in Handlungsräumen: ([\d.]+) von ([\d.]+) \(([\d,]+) %\)", german
    )
    assert found is not None
    n, total, share = found.groups()
    assert (
        f"- Population in Handlungsräume: {n.replace('.', ',')} of {total.replace('.', ',')} "
        f"({share.replace(',', '.')} %)"
    ) in english
    assert "lmb_share per school is an ESTIMATE (lmb_source = 'estimate')" in english
    assert "- c_atlas is an APPROXIMATION of Sozialstrukturatlas 2013 Schicht 7" in english
    with sqlite3.connect(out) as db:
        (description,) = db.execute(
            "SELECT description FROM gpkg_data_columns "
            "WHERE table_name = 'planungsraeume' AND column_name = 'hr_id'"
        ).fetchone()
    assert description == "number of the Handlungsraum; NULL when outside every area"


def test_calibration_chart_draws_flagged_schools_and_the_flag_rate() -> None:
    from quartiere.present.figure_data import CalibrationChart
    from quartiere.present.schools_chart import calibration_figure

    chart = CalibrationChart(
        shares=np.array([95.0, 85.0, 55.0, 45.0, 5.0]),
        lmb_source="estimate",
        threshold=75.0,
        title="5 schools",
        attribution="Schulliste",
        marked=np.array([True, True, False, True, False]),
        flag_label="Brennpunktschule",
        flag_share=50.0,
        anchors=((2.0, 85.0),),
    )
    figure = calibration_figure(chart)
    left, right = figure.axes
    (flagged,) = left.collections
    assert flagged.get_offsets().tolist() == [[1, 95], [2, 85], [4, 45]]
    # flag rate per 10-point band: 0-10 (0 of 1), 40-50 (1 of 1), 50-60 (0 of 1), 80-100 (1 each)
    heights = [p.get_height() for p in right.patches]
    assert [heights[i] for i in (0, 4, 5, 8, 9)] == [0, 100, 0, 100, 100]
    assert np.isnan(heights[1])  # no school in the band: no bar
    assert left.get_title() == "5 schools"


def test_polygon_paths_keep_holes_parts_and_empty_geometries() -> None:
    import shapely
    from matplotlib.collections import PathCollection
    from matplotlib.figure import Figure
    from matplotlib.path import Path as MplPath

    from quartiere.io.figures import render
    from quartiere.present.build_map import polygon_paths, ring_lines

    holed = shapely.box(0, 0, 10, 10).difference(shapely.box(3, 3, 7, 7))
    two = shapely.MultiPolygon([shapely.box(20, 0, 25, 5), shapely.box(30, 0, 35, 5)])
    geoms = np.array([holed, two, shapely.Polygon()], dtype=object)
    paths = polygon_paths(geoms)
    assert [len(p.vertices) for p in paths] == [10, 10, 0]
    for path in paths[:2]:
        assert np.flatnonzero(path.codes == MplPath.MOVETO).tolist() == [0, 5]
    assert paths[1].vertices[5:].min(axis=0).tolist() == [30, 0]
    assert [len(line) for line in ring_lines(geoms)] == [5, 5, 5, 5]
    # drawn: the hole stays empty, the ring around it is filled
    fig = Figure(figsize=(1, 1), dpi=100)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    ax.add_collection(PathCollection(paths[:1], facecolors=["#000000"], linewidths=0))
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 10)
    image = np.asarray(render(fig))
    assert image[50, 50].tolist() == [255, 255, 255]  # the hole's centre
    assert image[85, 15].tolist() == [0, 0, 0]  # in the ring
