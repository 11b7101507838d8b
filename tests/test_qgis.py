"""A real client: Debian's QGIS opens the GeoPackage headless, styled, and renders it.

QGIS's Python (``/usr/bin/python3`` with ``python3-qgis``) runs in a subprocess, because it cannot
be imported into the project's virtual environment. Skipped when QGIS is absent, failed instead
under ``QUARTIERE_REQUIRE_CLIENTS=1`` (CI; see ``tests/conftest.py``).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

try:
    from test_gpkg import BUILD_INFO, METADATA, synthetic_layers
except ImportError:  # tests/ imported as a package
    from tests.test_gpkg import BUILD_INFO, METADATA, synthetic_layers

from conftest import CLIENT_ENV, CLIENT_PYTHON
from quartiere.io.gpkg import write_geopackage

QGIS_SCRIPT = r"""
import json, sys
from qgis.core import (QgsApplication, QgsMapRendererParallelJob, QgsMapSettings, QgsRectangle,
                       QgsVectorLayer)
from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QColor

app = QgsApplication([], False)
app.initQgis()
path, png = sys.argv[1], sys.argv[2]
report, spatial = {}, []
for name in ["schulen", "handlungsraeume", "planungsraeume", "einschulungsbereiche", "build_info"]:
    layer = QgsVectorLayer(f"{path}|layername={name}", name, "ogr")
    info = {"valid": layer.isValid()}
    if layer.isValid():
        renderer = layer.renderer()
        info.update(
            crs=layer.crs().authid(), count=layer.featureCount(),
            renderer=renderer.type() if renderer else None, labels=layer.labelsEnabled(),
            legend=[i.label() for i in renderer.legendSymbolItems()] if renderer else [],
            aliases={f.name(): layer.attributeAlias(i) for i, f in enumerate(layer.fields())},
            title=layer.metadata().title(),
        )
        if layer.isSpatial():
            spatial.append(layer)
    report[name] = info
settings = QgsMapSettings()
settings.setLayers(spatial)  # first is drawn on top
settings.setDestinationCrs(spatial[0].crs())
extent = QgsRectangle()
for layer in spatial:
    extent.combineExtentWith(layer.extent())
settings.setExtent(extent)
settings.setOutputSize(QSize(600, 450))
settings.setBackgroundColor(QColor("white"))
job = QgsMapRendererParallelJob(settings)
job.start()
job.waitForFinished()
image = job.renderedImage()
image.save(png)
pixels = [image.pixel(x, y) for x in range(0, 600, 5) for y in range(0, 450, 5)]
white = QColor("white").rgb()
report["_render"] = {"colours": len(set(pixels)),
                     "painted": sum(p != white for p in pixels) / len(pixels)}
print("REPORT " + json.dumps(report))
app.exitQgis()
"""


pytestmark = [pytest.mark.qgis, pytest.mark.client("qgis")]


def open_in_qgis(gpkg: Path, png: Path) -> dict:
    run = subprocess.run(
        [str(CLIENT_PYTHON), "-c", QGIS_SCRIPT, str(gpkg), str(png)],
        capture_output=True,
        text=True,
        env=CLIENT_ENV,
        timeout=300,
    )
    lines = [line for line in run.stdout.splitlines() if line.startswith("REPORT ")]
    assert lines, f"QGIS script failed (exit {run.returncode}):\n{run.stdout}\n{run.stderr}"
    return json.loads(lines[-1].removeprefix("REPORT "))


def check_styled(report: dict, counts: dict[str, int], png: Path) -> None:
    for name, count in counts.items():
        layer = report[name]
        assert layer["valid"], name
        assert layer["count"] == count, name
        if name != "build_info":
            assert layer["crs"] == "EPSG:25833", name
    hr, plr, esb = (
        report[n] for n in ("handlungsraeume", "planungsraeume", "einschulungsbereiche")
    )
    assert hr["renderer"] == "singleSymbol"
    assert hr["labels"] is True
    assert plr["renderer"] == "categorizedSymbol"
    assert plr["legend"] == [
        "0 von 3 Kriterien erfüllt",
        "1 von 3 Kriterien erfüllt",
        "2 von 3 Kriterien erfüllt",
        "3 von 3 Kriterien erfüllt (MSS, Schulen und Sozialatlas)",
    ]
    assert plr["labels"] is False
    assert esb["renderer"] == "RuleRenderer"
    assert "geschätzter Anteil (schraffiert, gestrichelte Umrandung)" in esb["legend"]
    assert plr["aliases"]["plr_id"] == "PLR-Nr."  # field documentation reaches QGIS 3.22
    assert hr["title"] == "Handlungsräume"  # gpkg_contents.identifier
    assert png.stat().st_size > 1000
    assert report["_render"]["colours"] >= 5
    assert report["_render"]["painted"] > 0.3  # Berlin fills about half of its bounding box


def test_qgis_opens_synthetic_geopackage_styled(tmp_path: Path) -> None:
    gpkg = tmp_path / "handlungsraeume.gpkg"
    write_geopackage(gpkg, synthetic_layers(), BUILD_INFO, METADATA)
    png = tmp_path / "qgis.png"
    report = open_in_qgis(gpkg, png)
    check_styled(
        report,
        {"handlungsraeume": 2, "planungsraeume": 12, "einschulungsbereiche": 4, "build_info": 2},
        png,
    )


@pytest.mark.slow
def test_qgis_opens_real_build_styled(tmp_path: Path, default_build: Path) -> None:
    import pyogrio

    counts = {
        name: pyogrio.read_info(default_build, layer=name)["features"]
        for name in ("handlungsraeume", "planungsraeume", "einschulungsbereiche", "build_info")
    }
    assert counts["planungsraeume"] == 542  # LOR 2021
    png = tmp_path / "qgis_real.png"
    report = open_in_qgis(default_build, png)
    check_styled(report, counts, png)
    schools = report["schulen"]
    n_schools = pyogrio.read_info(default_build, layer="schulen")["features"]
    assert n_schools > 300  # the public primary schools of the edition's school list
    assert schools["valid"] and schools["count"] == n_schools and schools["crs"] == "EPSG:25833"
    assert schools["renderer"] == "RuleRenderer"
    assert "lmb-Anteil ≥ Schwelle (Schätzung: hohl)" in schools["legend"]
    assert "lmb-Anteil ≥ Schwelle (amtlich)" in schools["legend"]
    assert schools["aliases"]["bsn"] == "BSN"


ATLAS_SCRIPT = r"""
import json, sys
from qgis.core import Qgis, QgsApplication, QgsVectorLayer
app = QgsApplication([], False)
app.initQgis()
warnings = []
QgsApplication.messageLog().messageReceived.connect(
    lambda message, tag, level: warnings.append(f"{tag}: {message}")
    if level in (Qgis.Warning, Qgis.Critical) else None
)
report = {}
for name in ["planungsraeume", "handlungsraeume"]:
    layer = QgsVectorLayer(f"{sys.argv[1]}|layername={name}", name, "ogr")
    info = {"valid": layer.isValid()}
    if layer.isValid():
        r = layer.renderer()
        info.update(
            count=layer.featureCount(), crs=layer.crs().authid(), renderer=r.type(),
            attr=r.classAttribute() if r.type() == "categorizedSymbol" else None,
            legend=[i.label() for i in r.legendSymbolItems()],
            aliases={f.name(): layer.attributeAlias(i) for i, f in enumerate(layer.fields())},
            title=layer.metadata().title(),
        )
    report[name] = info
app.processEvents()
report["_warnings"] = warnings
print("REPORT " + json.dumps(report))
app.exitQgis()
"""


def open_atlas_in_qgis(gpkg: Path, runtime: Path) -> tuple[dict, str]:
    """The atlas's layers as QGIS loads them, and everything QGIS and GDAL wrote to stderr."""
    runtime.mkdir(mode=0o700)  # Qt's own complaint about a shared runtime folder stays out
    run = subprocess.run(
        [str(CLIENT_PYTHON), "-c", ATLAS_SCRIPT, str(gpkg)],
        capture_output=True,
        text=True,
        env={**CLIENT_ENV, "XDG_RUNTIME_DIR": str(runtime)},
        timeout=300,
    )
    lines = [line for line in run.stdout.splitlines() if line.startswith("REPORT ")]
    assert lines, f"QGIS script failed (exit {run.returncode}):\n{run.stdout}\n{run.stderr}"
    return json.loads(lines[-1].removeprefix("REPORT ")), run.stderr


def test_qgis_opens_the_sensitivity_geopackage_styled_without_warnings(tmp_path: Path) -> None:
    try:
        from test_atlas_gpkg import frames
    except ImportError:  # tests/ imported as a package
        from tests.test_atlas_gpkg import frames

    from quartiere.sensitivity.outputs import write_gpkg

    plr, areas = frames()
    gpkg = tmp_path / "sensitivity.gpkg"
    write_gpkg(gpkg, plr, areas, {"kind": "quartiere sensitivity"})
    report, stderr = open_atlas_in_qgis(gpkg, tmp_path / "runtime")
    assert stderr.strip() == "" and report["_warnings"] == []
    plr_layer, areas_layer = report["planungsraeume"], report["handlungsraeume"]
    assert plr_layer["valid"] and plr_layer["count"] == 3 and plr_layer["crs"] == "EPSG:25833"
    assert (plr_layer["renderer"], plr_layer["attr"]) == ("categorizedSymbol", "class")
    assert plr_layer["legend"] == [
        "robust innen (in ≥ 90 % der Szenarien)",
        "umstritten",
        "robust außen (in ≤ 10 % der Szenarien)",
    ]
    assert plr_layer["aliases"]["inclusion"] == "Einschlusshäufigkeit"
    assert plr_layer["title"] == "Planungsräume mit Robustheit"
    assert areas_layer["valid"] and areas_layer["attr"] == "stability_class"
    assert areas_layer["legend"] == ["stabil (besteht in ≥ 90 % der Szenarien)", "fragil"]
    assert areas_layer["title"] == "Handlungsräume mit Stabilität"


def test_the_warning_check_can_tell(tmp_path: Path) -> None:
    """The control: the same layers as pyogrio writes them by default (GeoPackage 1.4, no
    style) open with GDAL's warning, unstyled: the check above would see either."""
    import pyogrio

    try:
        from test_atlas_gpkg import frames
    except ImportError:  # tests/ imported as a package
        from tests.test_atlas_gpkg import frames

    plr, areas = frames()
    gpkg = tmp_path / "plain.gpkg"
    pyogrio.write_dataframe(plr, gpkg, layer="planungsraeume")
    pyogrio.write_dataframe(areas, gpkg, layer="handlungsraeume", append=True)
    report, stderr = open_atlas_in_qgis(gpkg, tmp_path / "runtime")
    assert "may only be partially supported" in stderr
    assert report["planungsraeume"]["renderer"] == "singleSymbol"
