"""The map and the summary beside the GeoPackage."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

try:
    from test_gpkg import synthetic_layers
except ImportError:  # tests/ imported as a package
    from tests.test_gpkg import synthetic_layers

from quartiere import report
from quartiere.report import CRITERIA_COLOURS, render_map, write_summary

ATTRIBUTION = "Datenquelle: Amt für Statistik Berlin-Brandenburg / Senatsverwaltungen Berlin"


def test_render_map_draws_every_class_colour(tmp_path: Path) -> None:
    layers = synthetic_layers()
    out = tmp_path / "map.png"
    render_map(
        layers["handlungsraeume"],
        layers["planungsraeume"],
        out,
        title="Test",
        attribution=ATTRIBUTION,
    )
    image = imread(out)[..., :3]
    assert image.shape[0] >= 1600 and image.shape[1] >= 2300  # A4 landscape at 200 dpi
    rgb = (image * 255).round().astype(int)
    present = {tuple(c) for c in np.unique(rgb.reshape(-1, 3), axis=0)}
    for colour in CRITERIA_COLOURS.values():
        expected = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
        assert expected in present, colour
    assert [p.name for p in tmp_path.iterdir()] == ["map.png"]


def test_map_failure_keeps_previous_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    layers = synthetic_layers()
    out = tmp_path / "map.png"
    out.write_bytes(b"old")

    def fail(self: object, target: Path, **kwargs: object) -> None:
        Path(target).write_bytes(b"half a png")
        raise RuntimeError("disk full")

    monkeypatch.setattr("matplotlib.figure.Figure.savefig", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        render_map(
            layers["handlungsraeume"],
            layers["planungsraeume"],
            out,
            title="T",
            attribution=ATTRIBUTION,
        )
    assert out.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["map.png"]


def test_summary_lists_areas_and_totals(tmp_path: Path) -> None:
    layers = synthetic_layers()
    out = tmp_path / "summary.md"
    write_summary(
        layers["handlungsraeume"],
        layers["planungsraeume"],
        out,
        edition="test-2023",
        estimates=["lmb_share is an ESTIMATE."],
        language="en",
    )
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Handlungsräume: test-2023\n")
    assert "| 01 | Nord | Mitte | 3 | 3,300 | MSS 3/3, schools 3/3, social atlas 1/3 |" in text
    assert "| 02 | Süd | Neukölln | 4 | 7,400 | MSS 3/4, schools 3/4, social atlas 4/4 |" in text
    assert "- **01 Nord**: 11000001 Planungsraum 1, 11000002 Planungsraum 2, 11000003" in text
    assert "- Planning areas in a Handlungsraum: 7 of 12" in text
    assert "- Population in Handlungsräume: 10,700 of 18,600 (57.5 %)" in text
    assert "- Planning areas meeting the MSS criterion: 6" in text
    assert "- Planning areas by number of criteria met: 0: 4, 1: 1, 2: 4, 3: 3" in text
    assert "- lmb_share is an ESTIMATE." in text


def test_summary_is_german_by_default(tmp_path: Path) -> None:
    layers = synthetic_layers()
    out = tmp_path / "summary.md"
    write_summary(
        layers["handlungsraeume"], layers["planungsraeume"], out, edition="t", estimates=[]
    )
    text = out.read_text(encoding="utf-8")
    assert "| 01 | Nord | Mitte | 3 | 3.300 | MSS 3/3, Schulen 3/3, Sozialatlas 1/3 |" in text
    assert "- Einwohner in Handlungsräumen: 10.700 von 18.600 (57,5 %)" in text
    assert "- Planungsräume, die das Kriterium MSS erfüllen: 6" in text


def test_nice_scale_bar_lengths() -> None:
    assert report._nice_length(40_000) == 5000
    assert report._nice_length(4_000) == 500
    assert report._nice_length(12_000) == 2000
