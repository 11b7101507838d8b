"""The build's map reads cleanly: no element overlaps another (scale bar, caption, attribution,
legend, area table, labels), every label sits inside its area or is led out to it by a line, and
the caption is short and in the build's language. Checked on the default and the 2018 edition."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import pytest
import shapely

ROOT = Path(__file__).resolve().parents[1]
EDITIONS = {
    "default": ROOT / "config" / "criteria.yaml",
    "gi2018": ROOT / "config" / "editions" / "gi2018.yaml",
}

pytestmark = pytest.mark.slow


def _figure(edition: str):
    from quartiere.config import load_config
    from quartiere.i18n import Messages
    from quartiere.load import load_inputs
    from quartiere.pipeline import attribution, compute
    from quartiere.present.build_map import map_figure
    from quartiere.present.figure_data import MapLayers
    from quartiere.provenance import map_caption

    config = load_config(EDITIONS[edition])
    result = compute(load_inputs(config), config)
    t = Messages(config.language)
    notes = map_caption(config, result.harmonized.lmb_source, "summary.md", t)
    layers = MapLayers.of(result.areas, result.planning_areas)
    figure = map_figure(
        layers, title="T", attribution=attribution(config), notes=notes, language="de"
    )
    return figure, layers, notes


def _boxes(figure):
    """Window extents of the tagged elements: (gid, index, bbox, artist)."""
    renderer = figure.canvas.get_renderer()
    out = []
    artists = [*figure.texts, *figure.legends]
    for ax in figure.axes:
        artists += [*ax.texts, *ax.patches]
    for i, artist in enumerate(artists):
        gid = artist.get_gid()
        if gid is None and artist in figure.axes[0].patches:
            gid = "scale"  # the scale bar's boxes are the only patches on the map axes
        if gid is not None:
            out.append((gid, i, artist.get_window_extent(renderer), artist))
    return out


@pytest.fixture(scope="module", params=sorted(EDITIONS))
def drawn(request):
    return _figure(request.param)


def test_no_element_overlaps_another(drawn):
    figure, layers, _ = drawn
    boxes = _boxes(figure)
    kinds = {gid for gid, *_ in boxes}
    assert {"caption", "attribution", "legend", "area_table", "scale", "label"} <= kinds
    overlaps = [
        (a[0], b[0])
        for a, b in combinations(boxes, 2)
        if not (a[0] == b[0] == "scale")  # the scale bar's own parts touch by design
        and a[2].overlaps(b[2])
    ]
    assert overlaps == []


def test_labels_sit_inside_their_area_or_are_led_out_to_it(drawn):
    from matplotlib.text import Annotation

    figure, layers, _ = drawn
    ax = figure.axes[0]
    labels = [t for t in ax.texts if t.get_gid() == "label"]
    assert sorted(t.get_text() for t in labels) == sorted(layers.hr_id)
    by_id = dict(zip(layers.hr_id, layers.areas, strict=True))
    for label in labels:
        area = by_id[label.get_text()]
        if isinstance(label, Annotation):  # led out: the line ends inside the area
            x, y = label.xy
            assert label.arrow_patch is not None
        else:
            x, y = label.get_position()
        assert shapely.contains_xy(area, x, y), label.get_text()


def test_the_caption_is_short_and_german(drawn):
    figure, _, notes = drawn
    (caption,) = [t for t in figure.texts if t.get_gid() == "caption"]
    assert len(caption.get_text().splitlines()) <= 4
    assert notes[0].startswith("Eingaben: MSS ")
    assert "SCHÄTZUNG" in notes[1] and "NÄHERUNG" in notes[1]
    for english in ("schools of all types", "population:", "catchments", "estimate"):
        assert english not in caption.get_text()
