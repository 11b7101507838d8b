"""Tables as published: the official MSS 2023 workbook (two-row header with merged cells, class
columns without a header text of their own, six rows without an index and a remark saying why).

The workbook reads to the same values as its CSV copy, a build from it equals the build from the
copy, the unindexed rows are no data with their reason, ``explain`` gives the true reason, and
every wrong setting gives one line naming what is wrong.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from quartiere.cli import main
from quartiere.config import MssInput, TableInput, load_config
from quartiere.errors import InputError
from quartiere.io.header import build_header, letter_ref
from quartiere.io.tables import read_table
from quartiere.load import _load_mss, load_inputs
from quartiere.pipeline import compute
from quartiere.present.explain import explain

ROOT = Path(__file__).resolve().parents[1]
MSS = ROOT / "data" / "raw" / "mss"
XLSX = MSS / "1sdi_mss2023.xlsx"
CSV = MSS / "mss2023_index.csv"
EDITIONS = ROOT / "tests" / "data" / "mss2023"
SHEET = "1.SDI_PLR_MSS2023"
AS_PUBLISHED: dict[str, Any] = {
    "sheet": SHEET,
    "header_row": 4,
    "header_rows": 2,
    "id": "Planungsraum Nummer",
}
UNINDEXED = {
    "03300515": "unter 300 EW",
    "03400831": "unter 300 EW",
    "04400725": "unter 300 EW",
    "05300838": "unter 300 EW",
    "06200418": "unter 300 EW",
    "10100205": "Ausreißerproblematik",
}


def read_error(table: TableInput, **kwargs: Any) -> str:
    with pytest.raises(InputError) as caught:
        read_table(table, **kwargs)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{table.path}: ")
    return message


def published(**keys: Any) -> TableInput:
    return TableInput(path=XLSX, **{**AS_PUBLISHED, **keys})


def read_published(**keys: Any) -> pd.DataFrame:
    return read_table(
        published(**keys),
        columns=["column E", "column G", "column J"],
        numeric=["EW 31.12.2022"],
    )


def workbook(path: Path, rows: list[list[Any]], merges: tuple[str, ...] = ()) -> Path:
    """A small workbook like the published one: rows from row 1, the given merged ranges."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Tabelle"
    for row in rows:
        sheet.append(row)
    for cells in merges:
        sheet.merge_cells(cells)
    book.create_sheet("Erläuterungen")
    book.save(path)
    return path


def small_mss(tmp_path: Path, *data: list[Any]) -> Path:
    """Title, two-row header with merged cells (like the official table), blank row, data."""
    rows = [
        ["Monitoring Soziale Stadtentwicklung"],
        ["Planungsraum", None, "EW   2022", "Status-Index      (Klasse)", None, "Dynamik", None],
        ["Nummer", "Name", None, None, None, None, None],
        [],
        *data,
    ]
    return workbook(tmp_path / "mss.xlsx", rows, ("A2:B2", "C2:C3", "D2:E3", "F2:G3"))


# --- the real workbook -----------------------------------------------------------------------


def test_published_workbook_reads_like_its_csv_copy() -> None:
    frame = read_published()
    copy = read_table(
        TableInput(path=CSV, id="id"),
        columns=["status_index_class", "dynamic_index_class", "note"],
        numeric=["inhabitants"],
    )
    assert len(frame) == 542
    assert frame.index.tolist() == copy.index.tolist()
    assert frame.index.str.fullmatch(r"\d{8}").all()
    for mine, theirs in [
        ("column E", "status_index_class"),
        ("column G", "dynamic_index_class"),
        ("column J", "note"),
    ]:
        pd.testing.assert_series_equal(frame[mine], copy[theirs], check_names=False)
    pd.testing.assert_series_equal(frame["EW 31.12.2022"], copy["inhabitants"], check_names=False)
    assert frame.loc["10100205", "EW 31.12.2022"] == 1320
    # the six rows without an index, and only they, have empty class cells and a remark
    empty = frame.index[frame["column E"].isna()].tolist()
    assert empty == list(UNINDEXED) == frame.index[frame["column J"].notna()].tolist()
    for plr_id, reason in UNINDEXED.items():
        assert reason in frame.loc[plr_id, "column J"]


def test_header_texts_are_joined_merged_and_collapsed() -> None:
    book = openpyxl.load_workbook(XLSX, data_only=True)
    sheet = book[SHEET]
    rows = {i: [c.value for c in row] for i, row in enumerate(sheet.iter_rows(max_row=6), 1)}
    merges = [(m.min_row, m.min_col, m.max_row, m.max_col) for m in sheet.merged_cells]
    header = build_header(rows, merges, 4, 2, lambda v: "" if v is None else str(v))
    assert header.names[:10] == [
        "Planungsraum Nummer",
        "Planungsraum Name",
        "EW 31.12.2022",
        "Status-Index (Klasse)",
        "Status-Index (Klasse)",  # E sits under D4:E5
        "Dynamik-Index (Klasse)",
        "Dynamik-Index (Klasse)",
        "Status/Dynamik-Index (Gruppe)",
        "Status/Dynamik-Index (Gruppe)",
        "",  # J: the remark has no header
    ]
    assert header.label == "header rows 4-5"
    assert "D-E 'Status-Index (Klasse)'" in header.listing()


def test_letter_references() -> None:
    assert letter_ref("column A") == 0
    assert letter_ref("column j") == 9
    assert letter_ref("  Column AA ") == 26
    for text in ("E", "ID", "columnE", "column 5", "EW 31.12.2022"):
        assert letter_ref(text) is None


def test_small_workbook_with_merged_header(tmp_path: Path) -> None:
    path = small_mss(
        tmp_path,
        ["01011101", "A", 1200, 3, "niedrig", "-", "negativ"],
        ["01011102", "B", 99, None, None, None, None, "unter 300 EW"],
    )
    table = TableInput(path=path, sheet="Tabelle", header_row=2, header_rows=2, id="column A")
    frame = read_table(
        table, columns=["Planungsraum Name", "column E", "column H"], numeric=["EW 2022"]
    )
    assert frame.index.tolist() == ["01011101", "01011102"]
    assert frame["Planungsraum Name"].tolist() == ["A", "B"]
    assert frame["column E"].fillna("-").tolist() == ["niedrig", "-"]
    assert frame["column H"].fillna("-").tolist() == ["-", "unter 300 EW"]
    assert frame["EW 2022"].tolist() == [1200.0, 99.0]
    # the texts as written (runs of blanks) and by their id name read the same
    same = read_table(
        TableInput(
            path=path, sheet="Tabelle", header_row=2, header_rows=2, id="Planungsraum Nummer"
        ),
        numeric=["EW   2022"],
    )
    assert same["EW   2022"].tolist() == [1200.0, 99.0]


# --- wrong settings: one line naming what is wrong ------------------------------------------


def test_wrong_sheet_lists_the_sheets() -> None:
    message = read_error(published(sheet="SDI_PLR"), columns=["column E"])
    assert "sheet 'SDI_PLR' not found" in message
    assert "available: 1.SDI_PLR_MSS2023, Erläuterungen" in message


def test_sheet_without_the_table_names_the_other_sheets() -> None:
    message = read_error(published(sheet="Erläuterungen"), columns=["column E"])
    assert "id column 'Planungsraum Nummer' not found" in message
    assert "the workbook's other sheets: '1.SDI_PLR_MSS2023'" in message


@pytest.mark.parametrize("row", [4, 5])
def test_one_header_row_of_two_hints_both(row: int) -> None:
    message = read_error(published(header_row=row, header_rows=1), columns=["column E"])
    assert f"header row {row}: id column 'Planungsraum Nummer' not found" in message
    assert (
        f"the header seems to be on rows 4-5, not row {row} "
        "(set `header_row: 4` and `header_rows: 2`)"
    ) in message
    assert "other sheets" not in message  # the table is on this sheet, only higher up


def test_header_on_a_data_row_is_named() -> None:
    message = read_error(published(header_row=7, header_rows=1), columns=["column E"])
    assert "header row 7" in message
    assert "'01100101', which looks like data, not a header" in message
    assert "rows 4-5" in message


def test_header_on_a_data_row_with_columns_by_letter() -> None:
    # nothing is asked by text: the header row would be read as a name row and lose a PLR
    table = published(header_row=7, header_rows=1, id="column A")
    message = read_error(table, columns=["column E", "column G"])
    assert "header row 7 looks like a data row: its id column holds '01100101'" in message
    assert (
        "the header seems to be on rows 4-5 (set `header_row: 4` and `header_rows: 2`)" in message
    )


def test_header_row_above_the_header_is_hinted() -> None:
    message = read_error(published(header_row=3), columns=["column E"])
    assert "header rows 3-4" in message and "seems to be on rows 4-5" in message


def test_class_column_without_text_needs_its_letter() -> None:
    message = read_error(published(), columns=["Status-Index (Klasse)"])
    assert "appears 2 times in the header (columns 4, 5)" in message
    assert "`column E`" in message


def test_absent_class_column_is_named_with_the_columns() -> None:
    message = read_error(published(), columns=["Status-Klasse"])
    assert "column 'Status-Klasse' not found" in message
    assert "D-E 'Status-Index (Klasse)'" in message and "`column E`" in message
    assert "J (no text)" in message  # the remark holds values, K-V hold nothing
    assert "K" not in message.split("J (no text)")[1].split("`column E`")[0]


def test_bare_letter_is_a_header_text_with_a_hint() -> None:
    message = read_error(published(), columns=["E"])
    assert "column 'E' not found" in message
    assert "write `column E`" in message


def test_letter_of_an_empty_column() -> None:
    message = read_error(published(), columns=["column K"])
    assert "column K is empty (no header text, no value in any row)" in message


def test_letter_outside_the_table() -> None:
    message = read_error(published(), columns=["column AZ"])
    assert "column AZ is outside the table (its last column is V)" in message


def test_letter_form_as_a_header_text_elsewhere_is_ambiguous(tmp_path: Path) -> None:
    path = workbook(tmp_path / "t.xlsx", [["id", "column C", "x"], ["01011101", "a", "b"]])
    message = read_error(TableInput(path=path, id="id"), columns=["column C"])
    assert "`column C` is ambiguous" in message and "column B" in message


def test_letter_form_in_csv(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("Nr;Klasse;\n01011101;niedrig;x\n", encoding="utf-8")
    frame = read_table(TableInput(path=path, id="column A"), columns=["column B", "column C"])
    assert frame.loc["01011101"].tolist() == ["niedrig", "x"]


# --- MSS rows without an index ---------------------------------------------------------------


def mss_spec(path: Path, **keys: Any) -> MssInput:
    return MssInput(
        path=path,
        edition=2023,
        sheet="Tabelle",
        header_row=2,
        header_rows=2,
        id="Planungsraum Nummer",
        status="column E",
        dynamic="column G",
        **keys,
    )


def test_empty_class_cells_are_no_data_with_their_reason(tmp_path: Path) -> None:
    path = small_mss(
        tmp_path,
        ["01011101", "A", 1200, 3, "niedrig", "-", "negativ"],
        ["01011102", "B", 99, None, None, None, None, "unter 300 EW"],
        ["01011103", "C", 2000, None, None, None, None],
    )
    plr = pd.Index(["01011101", "01011102", "01011103"])
    notes: list[str] = []
    mss, unindexed = _load_mss(mss_spec(path, note="column H"), plr, notes)
    assert mss.index.tolist() == ["01011101"]
    assert mss.loc["01011101"].tolist() == ["niedrig", "negativ"]
    assert unindexed.index.tolist() == ["01011102", "01011103"]
    assert unindexed["01011102"] == "unter 300 EW" and pd.isna(unindexed["01011103"])
    assert "2 rows of mss.xlsx carry no index" in notes[0]
    # without a note column the rows are no data all the same
    mss, unindexed = _load_mss(mss_spec(path), plr, [])
    assert mss.index.tolist() == ["01011101"] and unindexed.isna().all()


def test_unknown_class_is_still_refused(tmp_path: Path) -> None:
    path = small_mss(tmp_path, ["01011101", "A", 1200, 3, "niedrigg", "-", "negativ"])
    with pytest.raises(InputError) as caught:
        _load_mss(mss_spec(path), pd.Index(["01011101"]), [])
    assert "status class 'niedrigg' is none of" in str(caught.value)
    assert "id 01011101, column E" in str(caught.value)


def test_one_class_without_the_other_is_refused(tmp_path: Path) -> None:
    path = small_mss(tmp_path, ["01011101", "A", 1200, 3, "niedrig", None, None])
    with pytest.raises(InputError) as caught:
        _load_mss(mss_spec(path), pd.Index(["01011101"]), [])
    message = str(caught.value)
    assert "id 01011101, column G: status class 'niedrig' but no dynamic class" in message


# --- the command line ------------------------------------------------------------------------


def validate(tmp_path: Path, mss: str) -> str:
    path = tmp_path / "edition.yaml"
    path.write_text(f"extends: {EDITIONS / 'xlsx.yaml'}\nmss:\n{mss}", encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", "--config", str(path)])
    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.output
    assert "1sdi_mss2023.xlsx" in errors[0]
    return errors[0]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("mss", "expected"),
    [
        ("  sheet: Tabelle1\n", ["sheet 'Tabelle1' not found", "1.SDI_PLR_MSS2023, Erläuterungen"]),
        ("  header_row: 7\n  header_rows: 1\n", ["header row 7", "looks like", "rows 4-5"]),
        ("  header_row: 4\n  header_rows: 1\n", ["set `header_row: 4` and `header_rows: 2`"]),
        ("  status: column K\n", ["column K is empty"]),
        ("  dynamic: Dynamik-Klasse\n", ["column 'Dynamik-Klasse' not found", "F-G"]),
        ("  status: column J\n", ["id 01100101, column J", "but no status class"]),
    ],
)
def test_wrong_settings_give_one_line(tmp_path: Path, mss: str, expected: list[str]) -> None:
    line = validate(tmp_path, mss)
    for needle in expected:
        assert needle in line, line


# --- builds ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def builds() -> dict[str, Any]:
    out = {}
    for name in ("csv", "xlsx"):
        config = load_config(EDITIONS / f"{name}.yaml")
        out[name] = compute(load_inputs(config), config)
    return out


@pytest.mark.slow
def test_build_from_the_workbook_equals_the_build_from_its_copy(builds: dict[str, Any]) -> None:
    csv, xlsx = builds["csv"], builds["xlsx"]
    pd.testing.assert_frame_equal(
        pd.DataFrame(xlsx.planning_areas.drop(columns="geometry")),
        pd.DataFrame(csv.planning_areas.drop(columns="geometry")),
    )
    assert xlsx.planning_areas.geometry.equals(csv.planning_areas.geometry)
    pd.testing.assert_frame_equal(
        pd.DataFrame(xlsx.areas.drop(columns="geometry")),
        pd.DataFrame(csv.areas.drop(columns="geometry")),
    )
    assert xlsx.areas.geometry.equals(csv.areas.geometry)
    pd.testing.assert_series_equal(xlsx.inputs.mss_unindexed, csv.inputs.mss_unindexed)
    layer = xlsx.planning_areas.set_index("plr_id")
    # README: 133 PLR need particular attention in 2023; 536 indexed of 542
    assert (layer["c_mss"] == 1).sum() == 133
    assert layer["c_mss"].isna().sum() == 6
    assert layer.loc[list(UNINDEXED), "c_mss"].isna().all()
    assert layer.loc[list(UNINDEXED), "mss_status"].isna().all()


@pytest.mark.slow
def test_unindexed_plr_are_no_data_like_absent_ones(builds: dict[str, Any]) -> None:
    result = builds["xlsx"]
    # the same planning areas left out of the table are no data the same way
    inputs = result.inputs
    dropped = dataclasses.replace(
        inputs, mss_unindexed=inputs.mss_unindexed.iloc[:0], mss=inputs.mss
    )
    absent = compute(dropped, result.config)
    pd.testing.assert_frame_equal(
        pd.DataFrame(absent.planning_areas.drop(columns="geometry")),
        pd.DataFrame(result.planning_areas.drop(columns="geometry")),
    )
    assert not set(UNINDEXED) & set(inputs.mss.index)
    assert inputs.child_poverty.reindex(list(UNINDEXED)).isna().all()


def mss_lines(text: str) -> str:
    return text.split("\n1. ")[1].split("\n2. ")[0]


@pytest.mark.slow
def test_explain_names_the_outlier(builds: dict[str, Any]) -> None:
    result = builds["xlsx"]
    text = mss_lines(explain(result, "10100205"))
    assert "KEINE DATEN" in text
    assert "als Ausreißer ausgenommen" in text and "(Ausreißerproblematik)" in text
    assert "Spalte J" in text and "1sdi_mss2023.xlsx" in text
    assert "300" not in text  # it has 1,320 inhabitants
    english = dataclasses.replace(
        result, config=result.config.model_copy(update={"language": "en"})
    )
    text = mss_lines(explain(english, "10100205"))
    assert "left out as an outlier" in text and "column J" in text and "300" not in text


@pytest.mark.slow
def test_explain_of_a_small_plr_with_the_remark(builds: dict[str, Any]) -> None:
    text = mss_lines(explain(builds["xlsx"], "03300515"))
    assert "da unter 300 Einwohnerinnen und Einwohnern" in text and "(unter 300 EW)" in text


@pytest.mark.slow
def test_explain_without_a_remark_claims_only_what_is_true(builds: dict[str, Any]) -> None:
    """An edition whose table leaves PLR out (2013-2021): absent; "more than 300 inhabitants"
    only for a PLR that has no more than 300."""
    result = builds["xlsx"]
    config = result.config.model_copy(
        update={"mss": result.config.mss.model_copy(update={"note": None})}
    )
    absent = dataclasses.replace(
        result,
        config=config,
        inputs=dataclasses.replace(result.inputs, mss_unindexed=result.inputs.mss_unindexed[:0]),
    )
    small = mss_lines(explain(absent, "03300515"))
    assert "nicht vom MSS 2023 indiziert (keine Zeile in 1sdi_mss2023.xlsx)" in small
    assert "mehr als 300 Einwohnerinnen und Einwohnern, dieser hat 50" in small
    large = mss_lines(explain(absent, "10100205"))
    assert "keine Zeile in 1sdi_mss2023.xlsx" in large and "300" not in large
    # listed without an index and without a remark
    listed = dataclasses.replace(
        absent,
        inputs=dataclasses.replace(
            result.inputs,
            mss_unindexed=pd.Series(pd.NA, index=result.inputs.mss_unindexed.index, dtype="string"),
        ),
    )
    text = mss_lines(explain(listed, "10100205"))
    assert "ohne Index und ohne Anmerkung" in text and "300" not in text
    english = dataclasses.replace(absent, config=config.model_copy(update={"language": "en"}))
    text = mss_lines(explain(english, "03300515"))
    assert "not indexed by the MSS 2023 (no row in 1sdi_mss2023.xlsx)" in text
    assert "more than 300 inhabitants, this one has 50" in text
