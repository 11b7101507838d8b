"""The school criterion on real schools (issue 10): calibration, validation, both ``by:`` modes on
a lattice, and one clear line for every bad school list."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner

from quartiere.cli import main
from quartiere.config_schools import SchoolsInput
from quartiere.criteria import schools_by_location, schools_criterion
from quartiere.errors import ConfigError
from quartiere.harmonize import overlay, weigh
from quartiere.schools import SchoolInputs, assess
from quartiere.schools.calibrate import Anchor, quantile_calibration
from quartiere.schools.school_list import SchoolList
from quartiere.schools.validate import auc, metrics, out_of_fold

ROOT = Path(__file__).resolve().parents[1]
GI2018 = ROOT / "config/editions/gi2018.yaml"
SCHOOLS = ROOT / "data/raw/schools/schulen_2018_19.csv"

# ------------------------------------------------------------------------------ calibration


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_calibration_meets_every_count_exactly_and_is_monotone(seed: int) -> None:
    """Catches: an off-by-one at the anchor position, ties counted twice, a non-monotone map."""
    rng = np.random.default_rng(seed)
    # ties on purpose: 40 schools, scores on a coarse grid
    score = pd.Series(rng.integers(0, 12, 40) / 10, index=[f"{i:02d}G01" for i in range(40)])
    anchors = [Anchor(75, 7, "a"), Anchor(50, 19, "b")]
    cal = quantile_calibration(score, anchors, top_share=95, bottom_share=2)
    assert (cal.shares >= 75).sum() == 7
    assert (cal.shares >= 50).sum() == 19
    assert cal.shares.max() == 95 and cal.shares.min() == 2
    order = np.argsort(-score.to_numpy(), kind="stable")
    assert np.all(np.diff(cal.shares.to_numpy()[order]) <= 1e-12)  # higher score, never lower
    # equal scores: the lower school number comes first
    assert cal.knots == ((1, 95), (7, 75), (19, 50), (40, 2))


def test_calibration_count_larger_than_the_schools_is_refused() -> None:
    score = pd.Series([0.1, 0.2, 0.3], index=["a", "b", "c"])
    with pytest.raises(ConfigError, match="calibration count 4 at 75 % is larger than the 3"):
        quantile_calibration(score, [Anchor(75, 4, "x")], 95, 2)
    with pytest.raises(ConfigError, match="more schools need a lower share"):
        quantile_calibration(score, [Anchor(75, 2, "x"), Anchor(80, 3, "y")], 95, 2)


def test_calibration_end_anchors_win_over_top_and_bottom_share() -> None:
    """An anchor whose count is 1 or the number of schools is met exactly: top_share and
    bottom_share give way to it. Catches: bottom_share overriding an anchor at the last school
    (then only 4 of 5 reach 30 %), top_share overriding one at the first."""
    score = pd.Series([0.5, 0.4, 0.3, 0.2, 0.1], index=[f"{i}G01" for i in range(5)])
    cal = quantile_calibration(score, [Anchor(90, 1, "top"), Anchor(30, 5, "all")], 95, 2)
    assert cal.knots == ((1, 90), (5, 30))
    assert cal.shares.tolist() == [90.0, 75.0, 60.0, 45.0, 30.0]
    assert (cal.shares >= 30).sum() == 5 and (cal.shares >= 90).sum() == 1
    # one school: it is the first and the last, and the anchor still decides its share
    one = quantile_calibration(score.iloc[:1], [Anchor(40, 1, "one")], 95, 2)
    assert one.knots == ((1, 40),) and one.shares.tolist() == [40.0]
    # without an anchor at an end, the ends are top_share and bottom_share
    inner = quantile_calibration(score, [Anchor(50, 3, "mid")], 95, 2)
    assert inner.knots == ((1, 95), (3, 50), (5, 2))
    assert inner.shares.tolist() == [95.0, 72.5, 50.0, 26.0, 2.0]
    # two anchors at count 1: the first (higher) share is met by exactly one school
    two = quantile_calibration(score, [Anchor(90, 1, "a"), Anchor(80, 1, "b")], 95, 2)
    assert two.knots[0] == (1, 90) and (two.shares >= 90).sum() == 1


# ------------------------------------------------------------------------------- validation


def test_validation_metrics_match_hand_computed_values() -> None:
    flag = np.array([1, 1, 0, 0, 1, 0])
    predicted = np.array([1, 0, 0, 1, 1, 0])
    score = np.array([0.9, 0.4, 0.1, 0.5, 0.8, 0.2])
    m = metrics(flag, predicted, score)
    # tp 2, fp 1, fn 1, tn 2; AUC: 8 of the 9 positive/negative pairs are ordered right
    assert (m.precision, m.recall, m.balanced_accuracy) == pytest.approx((2 / 3, 2 / 3, 2 / 3))
    assert m.auc == pytest.approx(8 / 9)
    assert auc(np.array([1, 0]), np.array([0.5, 0.5])) == 0.5  # ties count half
    assert (m.n, m.n_flagged, m.n_predicted) == (6, 3, 3)


def test_out_of_fold_threshold_comes_from_the_other_groups() -> None:
    """Catches: the held-out group's own flags leaking into its threshold."""
    score = pd.Series([0.9, 0.8, 0.1, 0.7, 0.6, 0.5])
    flag = pd.Series([1, 1, 0, 1, 0, 0])
    group = pd.Series(["a", "a", "a", "b", "b", "b"])
    predicted = out_of_fold(score, flag, group)
    # for b: the 2 flagged of a set the threshold at a's 2nd best score 0.8 -> nothing in b
    # for a: b has 1 flag -> threshold 0.7 -> 0.9 and 0.8 predicted
    assert predicted.tolist() == [True, True, False, False, False, False]


# ------------------------------------------------------------------------- by: on a lattice


def _square(x: int, w: int = 1) -> shapely.Polygon:
    return shapely.box(x * 1000, 0, (x + w) * 1000, 1000)


def _lattice_result():
    """Four planning areas A-D in a row; catchment X = A+B with one school in A (80 %),
    catchment Y = C+D with schools in C (60 %) and D (85 %): mean 72.5 %."""
    plr = gpd.GeoDataFrame(
        {"bezirk_name": ["W", "W", "E", "E"]},
        geometry=[_square(i) for i in range(4)],
        index=pd.Index(["01000001", "01000002", "01000003", "01000004"]),
        crs="EPSG:25833",
    )
    catchments = gpd.GeoDataFrame(
        geometry=[_square(0, 2), _square(2, 2)], index=pd.Index(["0001", "0002"]), crs=plr.crs
    )
    points = [shapely.Point(500, 500), shapely.Point(2500, 500), shapely.Point(3500, 500)]
    schools = gpd.GeoDataFrame(
        {
            "name": ["a", "c", "d"],
            "type": "Grundschule",
            "plr_id": ["01000001", "01000003", "01000004"],
            "official_share": [80.0, 60.0, 85.0],
        },
        geometry=points,
        index=pd.Index(["01G01", "03G01", "04G01"], name="bsn"),
        crs=plr.crs,
    )
    spec = SchoolsInput(
        path=Path("toy.csv"),
        school_year="2018/19",
        attribution="toy",
        x="x",
        y="y",
        lmb_source="official",
        official_share="share",
    )
    data = SchoolInputs(
        spec=spec,
        schools=SchoolList(schools=schools, n_rows=3),
        planning_areas=plr,
        catchments=catchments,
        child_poverty=pd.Series(dtype=float),
        population=pd.Series(dtype=float),
    )
    return plr, catchments, assess(data)


def test_both_by_modes_decide_as_described() -> None:
    plr, catchments, result = _lattice_result()
    assert result.catchment_lmb.to_dict() == {"0001": 80.0, "0002": 72.5}
    overlaps = weigh(overlay(catchments.geometry, plr.geometry), "area")
    by_area = schools_criterion(
        overlaps,
        result.catchment_lmb,
        plr.geometry.area,
        lmb_threshold=75,
        min_area_share=0.5,
        min_coverage=0.5,
    )
    # catchment_area: A and B lie in the flagged catchment X; B holds no school of its own
    assert by_area["c_schools"].tolist() == [1, 1, 0, 0]
    by_location = schools_by_location(result.schools["plr_id"], result.flagged(75), plr.index)
    # school_location: A and D hold a school at >= 75 %; D's catchment mean stays below
    assert by_location["c_schools_location"].tolist() == [1, 0, 0, 1]
    assert by_location["n_schools"].tolist() == [1, 0, 1, 1]
    assert by_location["n_schools_flagged"].tolist() == [1, 0, 0, 1]
    assert result.validation is None  # no flags configured


def test_school_sentences_in_both_languages() -> None:
    """The per-school sentences of summary.md and the map follow the language; build_info's
    default stays English. The lattice: 2 of 3 schools reach 75 %, catchment 0002 has two."""
    from quartiere.i18n import Messages
    from quartiere.schools.report import schools_text

    _, _, result = _lattice_result()
    spec = SchoolsInput(
        path=Path("toy.csv"),
        school_year="2018/19",
        attribution="toy",
        x="x",
        y="y",
        lmb_source="official",
        official_share="share",
    )
    english = schools_text(result, spec, 75.0, "MSS 2021", True)
    assert english == schools_text(result, spec, 75.0, "MSS 2021", True, Messages("en"))
    german = schools_text(result, spec, 62.5, "MSS 2021", True, Messages("de"))
    assert english[0] == (
        "Schools: 3 Grundschule from toy.csv (school year 2018/19; it does not match this "
        "edition's year, MSS 2021). toy."
    )
    assert german[0].startswith("Schulen: 3 Grundschule aus toy.csv (Schuljahr 2018/19;")
    assert english[1] == (
        "lmb_share per school is OFFICIAL (column share); 2 of 3 schools reach 75 %."
    )
    # at 62.5 % the 80 % and 85 % schools count, the 60 % one does not; German decimal comma
    assert german[1] == (
        "lmb_share je Schule ist AMTLICH (Spalte share); 2 von 3 Schulen erreichen 62,5 %."
    )
    assert english[2] == (
        "Catchment lmb_share is the mean of its schools' values; schools: 1 catchments have "
        "several schools; their lmb share is the mean of their schools' (0002)."
    )
    assert german[2] == (
        "lmb_share eines Einschulungsbereichs ist das Mittel der Werte seiner Schulen; Schulen: "
        "1 Einschulungsbereiche haben mehrere Schulen; ihr lmb-Anteil ist das Mittel der Werte "
        "ihrer Schulen (0002)."
    )
    own = schools_text(result, spec, 75.0, "MSS 2021", False, Messages("de"))
    assert own[-1].startswith("Das Kriterium liest die eigene lmb-Tabelle")


def test_school_location_mode_on_real_data(tmp_path: Path) -> None:
    from quartiere.config import load_config
    from quartiere.load import load_inputs
    from quartiere.pipeline import compute

    path = tmp_path / "edition.yaml"
    path.write_text(f"extends: {GI2018}\ncriteria:\n  schools:\n    by: school_location\n")
    config = load_config(path)
    result = compute(load_inputs(config), config)
    layer = result.planning_areas
    assert ((layer["c_schools"] == 1) == (layer["n_schools_flagged"] > 0)).all()
    assert layer["n_schools"].sum() == 357
    assert layer["n_schools_flagged"].sum() == 46  # the 75 % anchor


# ------------------------------------------------------------------------------- bad input


def _edition(tmp_path: Path, csv: str | None = None, extra: str = "") -> Path:
    lines = []
    if csv is not None:
        (tmp_path / "schools.csv").write_text(csv, encoding="utf-8")
        lines.append(f"  path: {tmp_path / 'schools.csv'}")
    text = f"extends: {GI2018}\nschools:\n" + "\n".join(lines) + "\n" + extra
    path = tmp_path / "edition.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _rows() -> list[str]:
    return SCHOOLS.read_text(encoding="utf-8").splitlines()


def _first_grundschule(rows: list[str]) -> int:
    return next(i for i, r in enumerate(rows) if ";Grundschule;" in r)


def _error(path: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["validate", "--config", str(path)])
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.output
    return result.exit_code, errors[0]


def _edit(column: str, value: str) -> str:
    rows = _rows()
    header = rows[0].split(";")
    i = _first_grundschule(rows)
    cells = rows[i].split(";")
    cells[header.index(column)] = value
    rows[i] = ";".join(cells)
    return "\n".join(rows) + "\n"


def test_duplicate_school_number(tmp_path: Path) -> None:
    rows = _rows()
    csv = "\n".join([*rows, rows[_first_grundschule(rows)]]) + "\n"
    code, line = _error(_edition(tmp_path, csv))
    assert code == 3 and "duplicate" in line and "BSN" in line


def test_missing_coordinate(tmp_path: Path) -> None:
    code, line = _error(_edition(tmp_path, _edit("lat", "")))
    assert code == 3 and "missing coordinate" in line and "column 'lat'" in line


def test_non_numeric_coordinate(tmp_path: Path) -> None:
    code, line = _error(_edition(tmp_path, _edit("lng", "13,4x")))
    assert code == 3 and "'13.4x' is not a number" in line and "column 'lng'" in line


def test_swapped_coordinates_lie_outside_the_planning_areas(tmp_path: Path) -> None:
    code, line = _error(_edition(tmp_path, extra="  x: lat\n  y: lng\n"))
    assert code == 3
    assert "lie outside every planning area (and 356 more)" in line and "swapped" in line


def test_absent_type_column(tmp_path: Path) -> None:
    code, line = _error(_edition(tmp_path, extra="  type: Schulform\n"))
    assert code == 3 and "Schulform" in line


def test_absent_flag_column(tmp_path: Path) -> None:
    extra = (
        "  flags:\n    - {column: Brennpunktschule-2019, share: 50, means: m, year: '2019'}\n"
        "  estimate:\n    anchors:\n      - {share: 75, count: 46, source: s}\n"
    )
    code, line = _error(_edition(tmp_path, extra=extra))
    assert code == 3 and "Brennpunktschule-2019" in line


def test_calibration_count_larger_than_the_schools(tmp_path: Path) -> None:
    extra = (
        "  estimate:\n    anchors:\n      - {share: 75, count: 400, source: s}\n"
        "      - {flag: Brennpunktschule-2018, source: s}\n"
    )
    code, line = _error(_edition(tmp_path, extra=extra))
    assert code == 2
    assert "calibration count 400 at 75 % is larger than the 357 schools" in line


@pytest.mark.slow
def test_mss2021_edition_validates_out_of_fold_and_says_so(tmp_path: Path) -> None:
    """The MSS 2021 edition's flag anchors the calibration, so the validation is out of fold by
    Bezirk: build_info and the German summary say so, with the measured AUC and balanced
    accuracy (issue 10: 0.952 and 0.888)."""
    import pyogrio

    from quartiere.pipeline import build

    default_build = tmp_path / "mss2021" / "handlungsraeume.gpkg"
    build(ROOT / "config/editions/mss2021.yaml", default_build)

    info = pyogrio.read_dataframe(default_build, layer="build_info").set_index("key")["value"]
    assert info["lmb_validation.method"].startswith("out of fold by Bezirk")
    assert (info["lmb_validation.auc"], info["lmb_validation.balanced_accuracy"]) == (
        "0.9518",
        "0.8878",
    )
    summary = (default_build.parent / "summary.md").read_text(encoding="utf-8")
    assert "AUC 0,952, balancierte Treffsicherheit 0,888" in summary
    assert "außerhalb der Anpassung nach Bezirk" in summary
    assert "innerhalb der Anpassung" not in summary


# -------------------------------------------------------- the 2023 edition: school list 2024/25

MSS2023 = ROOT / "config/editions/mss2023.yaml"
SCHOOLS_2024 = ROOT / "data/raw/schools/schulen_2024_25_startchancen_xy.csv"


@pytest.fixture(scope="module")
def mss2023():
    """The 2023 edition computed once (no files written)."""
    from quartiere.config import load_config
    from quartiere.load import load_inputs
    from quartiere.pipeline import compute

    config = load_config(MSS2023)
    return compute(load_inputs(config), config)


def _public_grundschulen() -> pd.DataFrame:
    table = pd.read_csv(SCHOOLS_2024, dtype=str).set_index("school_id")
    return table[(table["school_type_de"] == "Grundschule") & (table["ownership_en"] == "Public")]


def test_2023_edition_counts_the_public_grundschulen_of_2024_25(mss2023) -> None:
    """The school layer holds exactly the public Grundschulen of the 2024/25 list (not the
    2018/19 list, not the private schools), and every output names the list's year."""
    expected = _public_grundschulen()
    table = mss2023.harmonized.schools.schools
    assert sorted(table.index) == sorted(expected.index)
    assert set(table["type"]) == {"Grundschule"}
    from quartiere.schools import lmb_info

    info = lmb_info(mss2023.harmonized.schools, mss2023.config.schools)
    assert info["schools.list"].startswith(
        "schulen_2024_25_startchancen_xy.csv, school year 2024/25"
    )
    from quartiere.pipeline import estimates_text

    first = estimates_text(mss2023)[0]
    assert f"Schools: {len(expected)} Grundschule (ownership_en: Public)" in first
    assert "school year 2024/25, as the catchments" in first and "MSS 2023" in first


def test_2018_flags_carry_over_by_school_number(mss2023) -> None:
    """The Brennpunktschule-2018 flag comes from the 2018/19 list by BSN: the schools of 2024/25
    flagged there are flagged, the schools it does not hold have no value; the calibration anchor
    counts the flagged ones and the validation leaves the unknown ones out."""
    old = pd.read_csv(SCHOOLS, sep=";", dtype=str).set_index("BSN")["Brennpunktschule-2018"]
    schools = _public_grundschulen().index
    in_old = schools.isin(old.index)
    flagged = int((old.reindex(schools[in_old]).str.strip() == "x").sum())
    result = mss2023.harmonized.schools
    column = result.schools["flag_brennpunktschule_2018"]
    assert int(column.sum()) == flagged
    assert int(column.isna().sum()) == int((~in_old).sum()) > 0
    assert result.calibration.anchors[1].count == flagged
    assert result.calibration.anchors[1].share == 50
    assert result.validation.n == int(in_old.sum())
    assert result.validation.n_flagged == flagged
    assert result.validation_out_of_fold


def test_startchancen_auc_is_reported_with_its_label(mss2023) -> None:
    """The Startchancen flag checks the ranking (AUC, recomputed here by pairs) and is reported
    in build_info, summary and explain as what it is; it never anchors the calibration."""
    from quartiere.i18n import Messages
    from quartiere.pipeline import collect_build_info, estimates_text

    result = mss2023.harmonized.schools
    (check,) = result.checks
    assert check.flag.column == "startchancen" and check.flag.validation_only
    truth = _public_grundschulen()["startchancen"].reindex(result.schools.index) == "True"
    score = result.schools["score"]
    pos, neg = score[truth.to_numpy()].to_numpy(), score[~truth.to_numpy()].to_numpy()
    pairs = (pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean()
    assert check.metrics.auc == pytest.approx(pairs, abs=1e-12)
    assert check.metrics.n_flagged == int(truth.sum())
    assert 0.5 < check.metrics.auc < 1
    assert all(a.count != int(truth.sum()) or a.share != 50 for a in result.calibration.anchors)
    info = collect_build_info(mss2023, [])
    assert info.school_fact("lmb_validation.startchancen.auc") == f"{check.metrics.auc:.4f}"
    assert "not an lmb threshold" in (info.school_fact("lmb_validation.startchancen.means") or "")
    assert info.school_fact("lmb_validation.auc") is not None  # the 2018 flag's validation
    german = "\n".join(estimates_text(mss2023, Messages("de")))
    assert f"AUC {Messages('de').number(check.metrics.auc, 3)}" in german
    assert "keine lmb-Schwelle" in german and "Zweiter, unabhängiger Abgleich" in german
    english = "\n".join(estimates_text(mss2023, Messages("en")))
    assert "Second, independent check of the ranking against startchancen" in english
    from quartiere.present.explain_basis import Sources
    from quartiere.present.explain_schools import school_lines

    lines = "\n".join(school_lines(Sources.of_result(mss2023), Messages("en"), "01100101", []))
    assert "second check of the ranking: startchancen" in lines and "not an lmb threshold" in lines
    assert "catchments esb_2024_25.geojson, school year 2024/25; MSS 2023" in lines


def _list_2018_on_2024_catchments(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "edition.yaml"
    path.write_text(
        f"extends: {MSS2023}\nschools:\n  path: {SCHOOLS}\n  school_year: '2018/19'\n"
        "  delimiter: ';'\n  id: BSN\n  name: Schulname\n  type: Schulart\n"
        "  ownership: null\n  ownerships: null\n"
        "  flags:\n    - {column: Brennpunktschule-2018, share: 50, means: m, year: '2018'}\n"
        + extra,
        encoding="utf-8",
    )
    return path


def test_catchments_without_a_school_are_refused_below_min_coverage(tmp_path: Path) -> None:
    """The 2018/19 list on the 2024/25 catchments leaves 45 of 377 without a school: below
    schools.min_coverage (0.9) that is one line and exit 3; with allow_partial the build goes on
    and the coverage is reported."""
    code, line = _error(_list_2018_on_2024_catchments(tmp_path))
    assert code == 3
    assert "covers 332 of 377 catchments (88.1 %) with a school of type Grundschule" in line
    assert "school list 2018/19, catchments 2024/25" in line and "below min_coverage 0.9" in line
    partial = _list_2018_on_2024_catchments(tmp_path, "  allow_partial: true\n")
    result = CliRunner().invoke(main, ["validate", "--config", str(partial)])
    assert result.exit_code == 0, result.output
    assert "coverage: lmb: 332 of 377 catchments (88.1 %)" in result.output


def test_2023_edition_coverage_is_reported_once(mss2023) -> None:
    lmb = [c for c in mss2023.coverage if c.input == "lmb"]
    assert len(lmb) == 1 and lmb[0].total == 377 and lmb[0].share >= 0.9
    assert mss2023.coverage[-1].input == "lmb"


def test_validation_only_flag_as_anchor_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "edition.yaml"
    path.write_text(
        f"extends: {MSS2023}\nschools:\n  estimate:\n    anchors:\n"
        "      - {share: 75, count: 46, source: s}\n      - {flag: startchancen, source: s}\n",
        encoding="utf-8",
    )
    code, line = _error(path)
    assert code == 2
    assert "calibration anchor flag 'startchancen' is validation_only" in line


def test_a_flag_without_a_level_must_say_validation_only() -> None:
    from quartiere.config_schools import SchoolFlag

    with pytest.raises(ValueError, match="needs 'share'"):
        SchoolFlag(column="startchancen", means="m", year="2024/25")
    with pytest.raises(ValueError, match="'path' needs 'id'"):
        SchoolFlag(column="f", share=50, means="m", year="2018", path=Path("x.csv"))
