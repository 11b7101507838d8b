#!/usr/bin/env python3
"""Regenerate quartiere's default QML styles with QGIS itself.

Run with the system Python that has QGIS (Debian python3-qgis), headless:
    QT_QPA_PLATFORM=offscreen python3 scripts/make_styles.py src/quartiere/styles
"""

import sys
from pathlib import Path

from qgis.core import (
    QgsApplication,
    QgsCategorizedSymbolRenderer,
    QgsFillSymbol,
    QgsLinePatternFillSymbolLayer,
    QgsLineSymbol,
    QgsMapLayer,
    QgsPalLayerSettings,
    QgsRendererCategory,
    QgsRuleBasedRenderer,
    QgsSimpleLineSymbolLayer,
    QgsSingleSymbolRenderer,
    QgsTextBufferSettings,
    QgsTextFormat,
    QgsVectorLayer,
    QgsVectorLayerSimpleLabeling,
)
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtGui import QColor, QFont

app = QgsApplication([], False)
app.initQgis()
out = Path(sys.argv[1])


def fill(color, outline="#7f7f7f", width=0.15, alpha=255):
    c = QColor(color)
    c.setAlpha(alpha)
    sym = QgsFillSymbol.createSimple({})
    sl = sym.symbolLayer(0)
    sl.setColor(c)
    sl.setStrokeColor(QColor(outline))
    sl.setStrokeWidth(width)
    return sym


def save(layer, name):
    cats = QgsMapLayer.StyleCategories(QgsMapLayer.Symbology | QgsMapLayer.Labeling)
    msg, ok = layer.saveNamedStyle(str(out / f"{name}.qml"), cats)
    assert ok, msg


# handlungsraeume: light fill, cased black outline, labels "hr_id hr_name"
hr = QgsVectorLayer(
    "MultiPolygon?crs=EPSG:25833&field=hr_id:string&field=hr_name:string",
    "handlungsraeume",
    "memory",
)
light = QColor("#e66101")
light.setAlpha(40)
sym = QgsFillSymbol.createSimple({})
sym.symbolLayer(0).setColor(light)
sym.symbolLayer(0).setStrokeStyle(Qt.NoPen)
casing = QgsSimpleLineSymbolLayer(QColor("#ffffff"), 1.4)
line = QgsSimpleLineSymbolLayer(QColor("#000000"), 0.7)
for sl in (casing, line):
    sym.appendSymbolLayer(sl)
hr.setRenderer(QgsSingleSymbolRenderer(sym))
pal = QgsPalLayerSettings()
pal.fieldName = '"hr_id" || \' \' || "hr_name"'
pal.isExpression = True
pal.placement = QgsPalLayerSettings.Horizontal
fmt = QgsTextFormat()
font = QFont("Sans Serif")
font.setBold(True)
fmt.setFont(font)
fmt.setSize(9)
fmt.setColor(QColor("#000000"))
buf = QgsTextBufferSettings()
buf.setEnabled(True)
buf.setSize(1.0)
buf.setColor(QColor("#ffffff"))
fmt.setBuffer(buf)
pal.setFormat(fmt)
hr.setLabeling(QgsVectorLayerSimpleLabeling(pal))
hr.setLabelsEnabled(True)
save(hr, "handlungsraeume")

# planungsraeume: categorised by n_criteria (0..3), sequential viridis, monotonic lightness
plr = QgsVectorLayer("MultiPolygon?crs=EPSG:25833&field=n_criteria:integer", "plr", "memory")
classes = [
    (0, "#f0f0f0", "0 of 3 criteria met"),
    (1, "#9bd93c", "1 of 3 criteria met"),
    (2, "#21918c", "2 of 3 criteria met"),
    (3, "#440154", "3 of 3 criteria met (MSS, schools and social atlas)"),
]
cats = [QgsRendererCategory(v, fill(c), label) for v, c, label in classes]
plr.setRenderer(QgsCategorizedSymbolRenderer("n_criteria", cats))
save(plr, "planungsraeume")

# einschulungsbereiche: classes of lmb_share (cividis), estimates hatched with a dashed outline
esb = QgsVectorLayer(
    "MultiPolygon?crs=EPSG:25833&field=lmb_share:double&field=lmb_source:string", "esb", "memory"
)
root = QgsRuleBasedRenderer.Rule(None)
ranges = [
    (0, 25, "#fee838", "lmb share 0 – 25 %"),
    (25, 50, "#aea371", "lmb share 25 – 50 %"),
    (50, 75, "#4f576c", "lmb share 50 – 75 %"),
    (75, None, "#00224e", "lmb share ≥ 75 % (school criterion)"),
]
for lo, hi, color, label in ranges:
    expr = f'"lmb_share" >= {lo}' + (f' AND "lmb_share" < {hi}' if hi is not None else "")
    root.appendChild(QgsRuleBasedRenderer.Rule(fill(color, "#595959", 0.2), 0, 0, expr, label))
nodata = fill("#ffffff", "#595959", 0.2)
root.appendChild(QgsRuleBasedRenderer.Rule(nodata, 0, 0, '"lmb_share" IS NULL', "no lmb share"))
# hatch: black lines on a white casing, readable on light and dark fills
hatch_line = QgsLineSymbol.createSimple({})
hatch_line.symbolLayer(0).setColor(QColor("#ffffff"))
hatch_line.symbolLayer(0).setWidth(0.6)
hatch_line.appendSymbolLayer(QgsSimpleLineSymbolLayer(QColor("#000000"), 0.25))
hatch = QgsLinePatternFillSymbolLayer()
hatch.setLineAngle(45)
hatch.setDistance(2.0)
hatch.setSubSymbol(hatch_line)
dashed = QgsSimpleLineSymbolLayer(QColor("#000000"), 0.4, Qt.DashLine)
est = QgsFillSymbol.createSimple({})
est.changeSymbolLayer(0, hatch)
est.appendSymbolLayer(dashed)
root.appendChild(
    QgsRuleBasedRenderer.Rule(
        est, 0, 0, "\"lmb_source\" = 'estimate'", "estimated share (hatched, dashed outline)"
    )
)
esb.setRenderer(QgsRuleBasedRenderer(root))
save(esb, "einschulungsbereiche")
print("ok")
app.exitQgis()
