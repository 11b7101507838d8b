"""End to end on the real Berlin data of both shipped editions: facts the code must compute."""

import dataclasses
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from contract import AREA_COLUMNS
from quartiere.config import load_config
from quartiere.load import load_inputs
from quartiere.pipeline import compute
from quartiere.present.explain import explain

ROOT = Path(__file__).resolve().parents[1]
EDITIONS = {
    "mss2021": ROOT / "config/editions/mss2021.yaml",
    "gi2018": ROOT / "config/editions/gi2018.yaml",
}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=list(EDITIONS))
def result(request):
    config = load_config(EDITIONS[request.param])
    return compute(load_inputs(config), config)


EXPECTED = {  # from ../shared/data/berlin/README.md: PLR counts and MSS attention areas
    "lor2021": {"plr": 542, "mss": 129, "mss_rows": 536},
    "lor2006": {"plr": 448, "mss": 111, "mss_rows": 436},
}
PINNED = {"lor2021": "mss2021", "lor2006": "gi2018"}  # tests/pinned/<edition>.yaml


def pinned_areas(result) -> dict[str, str]:
    """The reviewed Handlungsräume of the edition (hr_id -> member ids), see test_pinned.py."""
    import yaml

    edition = PINNED[result.config.planning_areas.generation]
    text = (ROOT / "tests" / "pinned" / f"{edition}.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)["areas"]


def test_counts_of_planning_areas_and_attention_areas(result):
    expected = EXPECTED[result.config.planning_areas.generation]
    layer = result.planning_areas
    assert len(layer) == expected["plr"]
    assert layer["plr_id"].str.fullmatch(r"\d{8}").all()
    assert (layer["c_mss"] == 1).sum() == expected["mss"]
    # PLR the MSS does not index have no data, never "not disadvantaged"
    assert layer["c_mss"].isna().sum() == expected["plr"] - expected["mss_rows"]


def test_every_planning_area_has_each_criterion_or_explicit_no_data(result):
    layer = result.planning_areas
    for column in ("c_mss", "c_schools", "c_atlas"):
        values = layer[column]
        assert values.dropna().isin([0, 1]).all()
        assert str(values.dtype) == "Int8"
    # a flag without its value behind it would be unexplainable
    assert layer.loc[layer["c_atlas"].notna(), "atlas_value"].notna().all()
    assert layer.loc[layer["c_schools"].notna(), "lmb_area_share"].notna().all()
    assert (
        layer["n_criteria"]
        == layer[["c_mss", "c_schools", "c_atlas"]].fillna(0).astype(int).sum(axis=1)
    ).all()


def test_atlas_stratum_7_is_the_lowest_seventh(result):
    layer = result.planning_areas
    known = layer["atlas_value"].notna()
    flagged = layer["c_atlas"] == 1
    assert flagged.sum() == pytest.approx(known.sum() / 7, abs=1)
    assert (
        layer.loc[flagged, "atlas_value"].max() < layer.loc[known & ~flagged, "atlas_value"].min()
    )


def test_lmb_estimate_is_calibrated_and_labelled(result):
    catchments = result.catchments
    assert (catchments["lmb_source"] == "estimate").all()
    known = catchments["lmb_share"].dropna()
    assert known.between(0, 100).all()
    # per school: exactly as many primary schools reach 75 % and 50 % as the anchors state
    schools = result.harmonized.schools
    assert schools is not None
    shares = schools.schools["lmb_share"]
    assert (shares >= 75).sum() == 46
    assert (shares >= 50).sum() == schools.schools["flag_brennpunktschule_2018"].sum() == 138
    # a catchment's value is the mean of its schools'
    by_esb = schools.schools.groupby("esb_id")["lmb_share"].mean()
    table = catchments.set_index("esb_id")["lmb_share"]
    assert table.reindex(by_esb.index).to_numpy() == pytest.approx(by_esb.round(2).to_numpy())
    assert table.drop(by_esb.index).isna().all()
    flagged = catchments["lmb_share"].notna()
    assert (catchments.loc[flagged, "flagged"] == (known >= 75)).all()


def test_explain_tells_the_whole_story(result):
    layer = result.planning_areas
    inside = layer.loc[layer["hr_id"].notna()].iloc[0]
    text = explain(result, inside["plr_id"])
    assert inside["plr_id"] in text and inside["plr_name"] in text
    # the configured language, German: every line of the story, not only the decision
    n = int(inside["n_criteria"])
    for needle in (
        "c_mss",
        "c_schools",
        "c_atlas",
        "SCHÄTZUNG",
        "NÄHERUNG",
        f"Handlungsraum {inside['hr_id']}",
        f"Erfüllte Kriterien: {n} von 3 ",
        "Berechnet aus den Eingaben (kein aktueller Build gelesen)",
    ):
        assert needle in text
    for english in ("ESTIMATE", "APPROXIMATION", "Criteria met", "catchment ", "rule:"):
        assert english not in text
    outside = layer.loc[layer["hr_id"].isna() & layer["c_mss"].isna()].iloc[0]
    text = explain(result, outside["plr_id"])
    # absent from the table, with the 300 rule only when true
    assert "nicht vom MSS" in text and "keine Zeile in" in text
    assert "Handlungsraum" not in text.split("Abgrenzung")[1]
    english = dataclasses.replace(result, config=result.config.with_values({"language": "en"}))
    text = explain(english, inside["plr_id"])
    for needle in ("ESTIMATE", "APPROXIMATION", f"Criteria met: {n} of 3 ", "Delineation ("):
        assert needle in text


def test_explain_of_transferred_atlas_value_lists_source_zones():
    config = load_config(EDITIONS["mss2021"])
    result = compute(load_inputs(config), config)
    plr_id = result.planning_areas["plr_id"].iloc[0]
    text = explain(result, plr_id)
    assert "Quell-Planungsraum" in text and "Gewicht" in text


def test_layers_match_the_contract(result):
    assert isinstance(result.areas, gpd.GeoDataFrame)
    assert list(result.areas.columns) == [*AREA_COLUMNS, "geometry"]
    members = result.planning_areas.loc[result.planning_areas["hr_id"].notna()]
    counted = members.groupby("hr_id").size()
    assert (result.areas.set_index("hr_id")["n_plr"] == counted).all()
    assert result.areas.crs.to_epsg() == 25833
    assert pd.api.types.is_string_dtype(result.planning_areas["hr_id"])


def test_delineation_invariants_on_real_data(result):
    from quartiere.rules import compile_rule

    areas = result.areas
    layer = result.planning_areas.set_index("plr_id")
    assert sorted(areas["hr_id"]) == list(pinned_areas(result))  # exact count and numbers
    geoms = areas.geometry.to_numpy()
    for row, geom in zip(areas.itertuples(), geoms, strict=True):
        ids = row.plr_ids.split(",")
        assert (layer.loc[ids, "hr_id"] == row.hr_id).all()
        assert layer.loc[ids, "bezirk"].nunique() == 1, row.hr_id  # inside one district
        assert geom.geom_type == "MultiPolygon"
        assert shapely.get_num_geometries(geom) == 1, row.hr_id  # contiguous
        union = shapely.union_all(layer.loc[ids].geometry.to_numpy())
        assert shapely.symmetric_difference(geom, union).area < 1.0, row.hr_id  # m2
    # disjoint
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    pairs = left < right
    overlap = shapely.area(shapely.intersection(geoms[left[pairs]], geoms[right[pairs]]))
    assert (overlap < 1.0).all()
    # every member is a seed, meets the join rule, or fills a hole
    rules = result.config.delineation
    flags = layer.loc[layer["hr_id"].notna()]
    seed = compile_rule(rules.seed, "seed")(flags)
    join = compile_rule(rules.join, "join")(flags)
    hole = flags["decision"].str.contains("eingeschlossene Lücke").to_numpy()
    assert (seed | join | hole).all()
    # exactly one area is in lettered parts
    lettered = areas["hr_id"].str.fullmatch(r"\d\d[a-z]")
    assert lettered.sum() >= 2 and areas.loc[lettered, "hr_id"].str[:2].nunique() == 1


def test_official_lmb_tables_replace_the_estimate_by_configuration(tmp_path):
    examples = ROOT / "tests/data/official_lmb"
    per_catchment = tmp_path / "official.yaml"
    per_catchment.write_text(
        f"extends: {EDITIONS['mss2021']}\n"
        "catchments:\n  lmb_source: official\n  official:\n"
        f"    path: {examples / 'lmb_by_catchment.csv'}\n    id: ESB\n    share: lmb_percent\n"
        "    allow_partial: true\n",  # a few catchments only: a partial table, meant as such
        encoding="utf-8",
    )
    config = load_config(per_catchment)
    result = compute(load_inputs(config), config)
    catchments = result.catchments.set_index("esb_id")
    assert (catchments["lmb_source"] == "official").all()
    assert catchments.loc["0802", "lmb_share"] == 91.0
    assert catchments.loc["0805", "flagged"] == 1  # exactly 75 % meets the threshold
    assert catchments.loc["0803", "flagged"] == 0
    assert catchments["lmb_share"].notna().sum() == 4  # the others: no data, not 0 %
    assert catchments["flagged"].isna().sum() == len(catchments) - 4
    flagged_area = result.harmonized.catchment_overlaps
    covered = flagged_area[flagged_area["source"].isin(["0801", "0802", "0805"])]
    expected = covered.groupby("target")["target_share"].sum()
    qualifying = expected[expected >= 0.5].index
    layer = result.planning_areas.set_index("plr_id")
    assert (layer.loc[qualifying, "c_schools"] == 1).all()
    assert (layer["c_schools"] == 1).sum() == len(qualifying)
    assert "amtliche Tabelle" in explain(result, qualifying[0])

    per_school = tmp_path / "schools.yaml"
    per_school.write_text(
        f"extends: {per_catchment}\n"
        "catchments:\n  official:\n"
        f"    path: {examples / 'lmb_by_school.csv'}\n    id: school\n    catchment: ESB\n"
        "    share: lmb_percent\n    pupils: pupils\n",
        encoding="utf-8",
    )
    config = load_config(per_school)
    schools = compute(load_inputs(config), config).catchments.set_index("esb_id")
    assert schools.loc["0801", "lmb_share"] == pytest.approx(82.5)  # (300*80 + 100*90) / 400
    assert schools.loc["0803", "lmb_share"] == pytest.approx(20.5)


def test_two_builds_with_source_date_epoch_are_byte_identical(tmp_path, monkeypatch):
    from quartiere.pipeline import build

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    monkeypatch.chdir(ROOT)
    first = tmp_path / "a" / "handlungsraeume.gpkg"
    second = tmp_path / "b" / "handlungsraeume.gpkg"
    build(EDITIONS["gi2018"], first)
    build(EDITIONS["gi2018"], second)
    assert first.read_bytes() == second.read_bytes()
    assert first.with_suffix(".png").read_bytes() == second.with_suffix(".png").read_bytes()
    assert (first.parent / "summary.md").read_text() == (second.parent / "summary.md").read_text()


def test_uninhabited_planning_areas_get_no_transferred_atlas_value():
    config = load_config(EDITIONS["mss2021"])
    result = compute(load_inputs(config), config)
    layer = result.planning_areas.set_index("plr_id")
    uninhabited = layer.index[~(layer["population"].fillna(0) > 0)]
    assert len(uninhabited) >= 1
    assert layer.loc[uninhabited, "atlas_value"].isna().all()
    assert layer.loc[uninhabited, "c_atlas"].isna().all()
    assert "keine verzeichneten Einwohnerinnen" in explain(result, uninhabited[0])


def test_inputs_in_other_formats_build_the_same_result(tmp_path):
    """XLSX with a title row, a cp1252 CSV with ';' and decimal commas, a zipped shapefile in
    another CRS: the same edition, the same planning-area layer."""
    import zipfile

    raw = ROOT / "data/raw"
    index = pd.read_csv(raw / "mss/mss2017_index.csv", dtype=str)
    xlsx = tmp_path / "mss2017.xlsx"
    with pd.ExcelWriter(xlsx) as writer:
        pd.DataFrame([["Monitoring Soziale Stadtentwicklung 2017, Tabelle 1"]]).to_excel(
            writer, sheet_name="Tabelle 1", header=False, index=False
        )
        index.to_excel(writer, sheet_name="Tabelle 1", startrow=2, index=False)
    indicators = pd.read_csv(raw / "mss/mss2017_indicators.csv", dtype={"id": str})
    csv = tmp_path / "indicators.csv"
    indicators.to_csv(csv, sep=";", decimal=",", index=False, encoding="cp1252")
    esb = gpd.read_file(raw / "einschulungsbereiche/esb_2017_06.geojson").set_crs(
        25833, allow_override=True
    )
    shp_dir = tmp_path / "shp"
    shp_dir.mkdir()
    esb.to_crs(4326).to_file(shp_dir / "esb.shp", engine="pyogrio")
    archive = tmp_path / "esb.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for part in shp_dir.iterdir():
            zipped.write(part, part.name)
    variant = tmp_path / "variant.yaml"
    variant.write_text(
        f"extends: {EDITIONS['gi2018']}\n"
        f"mss:\n  path: {xlsx}\n  sheet: Tabelle 1\n  header_row: 3\n"
        f"population:\n  path: {csv}\n"
        f"child_poverty:\n  path: {csv}\n"
        f"catchments:\n  path: {archive}\n  crs: null\n",
        encoding="utf-8",
    )
    clean_config, variant_config = load_config(EDITIONS["gi2018"]), load_config(variant)
    clean = compute(load_inputs(clean_config), clean_config).planning_areas
    inputs = load_inputs(variant_config)
    assert any("reprojected from EPSG:4326" in note for note in inputs.notes)
    other = compute(inputs, variant_config).planning_areas
    columns = ["plr_id", "population", "mss_status", "c_mss", "c_schools", "c_atlas", "hr_id"]
    pd.testing.assert_frame_equal(clean[columns], other[columns])
    assert (clean["lmb_area_share"] - other["lmb_area_share"]).abs().max() < 1e-3


def test_estimate_notes_in_both_languages(result):
    """summary.md and the map say in either language that lmb is an estimate and the atlas an
    approximation, with the same computed numbers (build_info keeps the English sentences)."""
    from quartiere.i18n import Messages
    from quartiere.pipeline import estimates_text

    english, german = estimates_text(result), estimates_text(result, Messages("de"))
    assert english == estimates_text(result, Messages("en"))
    assert len(english) == len(german)
    assert english[-1].startswith("c_atlas is an APPROXIMATION of Sozialstrukturatlas 2013")
    assert german[-1].startswith("c_atlas ist eine NÄHERUNG an Sozialstrukturatlas 2013")
    if result.harmonized.schools is not None:
        # the per-school sentences (quartiere.schools.report) follow the language too
        schools, config = result.harmonized.schools, result.config
        assert config.schools is not None
        n = len(schools.schools)
        n_flagged = int(schools.flagged(config.criteria.schools.lmb_threshold).sum())
        threshold = f"{config.criteria.schools.lmb_threshold:g}"
        assert english[0].startswith(f"Schools: {n} ")
        assert german[0].startswith(f"Schulen: {n} ")
        assert f"catchments {config.catchments.school_year})" in english[0]
        assert f"Einschulungsbereiche {config.catchments.school_year})" in german[0]
        assert f"{n_flagged} of {n} schools reach {threshold} %." in english[1]
        assert (
            f"{n_flagged} von {n} Schulen erreichen {threshold.replace('.', ',')} %." in german[1]
        )
        if schools.validation is not None:
            auc = f"AUC {schools.validation.auc:.3f},"
            assert auc in english[2] and auc.replace(".", ",") in german[2]
            assert german[2].startswith("Abgleich mit ")
        if schools.lmb_source == "estimate":
            assert english[1].startswith("lmb_share per school is an ESTIMATE")
            assert german[1].startswith("lmb_share je Schule ist eine SCHÄTZUNG")
    elif result.harmonized.lmb_source == "estimate":
        factor = result.harmonized.lmb_factor
        assert english[0].startswith("lmb_share is an ESTIMATE")
        assert f"scaled by {factor:.3f} so" in english[0]
        assert german[0].startswith("lmb_share ist eine SCHÄTZUNG")
        assert f"mit {factor:.3f} skaliert".replace(".", ",") in german[0]
        n_flagged = int((result.catchments["flagged"] == 1).sum())
        assert f"{n_flagged} of {len(result.catchments)} catchments" in english[1]
        assert f"{n_flagged} von {len(result.catchments)} Einschulungsbereichen" in german[1]


def test_outputs_beside_a_build_are_named_after_it(tmp_path, monkeypatch):
    """Two builds in one folder keep their own map, chart and summary (X.png, X_lmb.png, X.md);
    a build under the default name keeps summary.md beside them. Catches: a fixed summary.md
    that the second build overwrites."""
    from click.testing import CliRunner

    from quartiere.cli import main
    from quartiere.reuse import build_is_current

    monkeypatch.chdir(ROOT)
    folder = tmp_path / "both"
    for name, config in (("a", "mss2021"), ("b", "gi2018"), ("handlungsraeume", "mss2021")):
        out = folder / f"{name}.gpkg"
        result = CliRunner().invoke(
            # numbered afresh: "current" then means this configuration, inputs and code alone
            main,
            ["build", "-q", "--fresh", "--config", str(EDITIONS[config])] + ["--out", str(out)],
        )
        assert result.exit_code == 0, result.output
    # (the cache of derived inputs lives beside the outputs as .cache/)
    assert sorted(p.name for p in folder.iterdir() if p.name != ".cache") == [
        "a.gpkg",
        "a.md",
        "a.png",
        "a_lmb.png",
        "b.gpkg",
        "b.md",
        "b.png",
        "b_lmb.png",
        "handlungsraeume.gpkg",
        "handlungsraeume.png",
        "handlungsraeume_lmb.png",
        "summary.md",
    ]
    a, b = ((folder / f"{n}.md").read_text(encoding="utf-8") for n in ("a", "b"))
    assert a == (folder / "summary.md").read_text(encoding="utf-8")  # same edition, same text
    title = load_config(EDITIONS["gi2018"]).edition
    assert title in b.splitlines()[0] and title not in a.splitlines()[0]
    # a build is current only with its own summary beside it
    assert build_is_current(EDITIONS["gi2018"], folder / "b.gpkg")
    (folder / "b.md").unlink()
    assert not build_is_current(EDITIONS["gi2018"], folder / "b.gpkg")
    assert build_is_current(EDITIONS["mss2021"], folder / "a.gpkg")
