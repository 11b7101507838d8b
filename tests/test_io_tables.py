"""read_table: readable dialects give the same frame, broken tables give one clear line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest
import yaml

from quartiere.config import TableInput
from quartiere.errors import InputError
from quartiere.io.tables import read_table, suggest_column, validate_ids

DATA = Path(__file__).parent / "data"
RAW = Path(__file__).parents[1] / "data" / "raw"
GOOD_CASES = yaml.safe_load((DATA / "good" / "cases.yaml").read_text(encoding="utf-8"))["tables"]
BAD_CASES = yaml.safe_load((DATA / "bad" / "cases.yaml").read_text(encoding="utf-8"))["tables"]
COLUMNS = ["name", "status"]
NUMERIC = ["inhabitants", "share"]


def spec(path: Path, **keys: Any) -> TableInput:
    return TableInput(path=path, **{"id": "id", **keys})


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def read_error(table: TableInput, **kwargs: Any) -> str:
    with pytest.raises(InputError) as caught:
        read_table(table, **kwargs)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{table.path}: ")
    return message


# --- the corpus ------------------------------------------------------------------------------


def test_clean_reference_reads_as_written() -> None:
    frame = read_table(spec(DATA / "good" / "clean.csv"), COLUMNS, NUMERIC)
    assert list(frame.index) == ["01011101", "01011102", "01011103", "11001010"]
    assert frame.index.name == "id"
    assert list(frame.columns) == COLUMNS + NUMERIC
    assert frame.loc["01011103", "status"] == "niedrig"  # "niedrig " stripped
    assert frame.loc["11001010", "name"] == "Müggelheim"  # " Müggelheim" stripped
    assert frame["inhabitants"].tolist() == [12345.0, 180.0, 4818.0, 1234567.5]
    assert frame.loc["01011103", "share"] == -0.75  # written "-.75"
    assert np.isnan(frame.loc["01011102", "share"])
    assert frame["share"].dtype == np.float64


@pytest.mark.parametrize("case", GOOD_CASES["variants"], ids=lambda c: c["file"])
def test_readable_variant_reads_like_the_clean_file(case: dict[str, Any]) -> None:
    expected = read_table(spec(DATA / "good" / GOOD_CASES["reference"]), COLUMNS, NUMERIC)
    frame = read_table(
        TableInput(path=DATA / "good" / case["file"], **case["spec"]), COLUMNS, NUMERIC
    )
    pd.testing.assert_frame_equal(frame, expected)


@pytest.mark.parametrize("case", BAD_CASES, ids=lambda c: f"{c['file']}-{c.get('spec', '')}")
def test_broken_table_is_refused_with_its_message(case: dict[str, Any]) -> None:
    table = TableInput(path=DATA / "bad" / case["file"], **{"id": "id", **case.get("spec", {})})
    message = read_error(
        table, columns=case.get("columns", COLUMNS), numeric=case.get("numeric", NUMERIC)
    )
    for fragment in case["expect"]:
        assert fragment in message


def test_every_bad_corpus_file_has_a_case() -> None:
    files = {p.name for p in (DATA / "bad").iterdir() if p.suffix not in (".py", ".yaml", ".md")}
    layers = yaml.safe_load((DATA / "bad" / "cases.yaml").read_text(encoding="utf-8"))["layers"]
    covered = {Path(c["file"]).name for c in BAD_CASES + layers}
    assert files <= covered


# --- the real data ---------------------------------------------------------------------------


def test_mss_ids_keep_their_leading_zeros_and_classes_are_stripped() -> None:
    frame = read_table(
        spec(RAW / "mss" / "mss2021_index.csv"),
        columns=["status_index_class", "dynamic_index_class", "status_dynamic_index_class"],
        numeric=["inhabitants"],
    )
    assert len(frame) == 536
    assert frame.index[0] == "01100101"
    assert frame.index.str.fullmatch(r"\d{8}").all()
    assert set(frame["status_index_class"]) == {"hoch", "mittel", "niedrig", "sehr niedrig"}
    assert frame.loc["01100101", "status_dynamic_index_class"] == "Status mittel , Dynamik negativ"
    assert (frame["inhabitants"] > 300).all()


def test_gssa_values_without_leading_zero_and_empty_cells() -> None:
    frame = read_table(
        spec(RAW / "gssa" / "gssa2022_planungsraeume.csv", id="plrID"),
        numeric=["GESIx_2013", "GESIx_2022", "DII_2022"],
    )
    assert len(frame) == 448
    assert frame.loc["01011101", "GESIx_2013"] == pytest.approx(0.70700312)
    assert frame.loc["01011101", "DII_2022"] == pytest.approx(-0.055861462)
    assert frame["GESIx_2013"].isna().sum() == 27
    assert frame.loc["01011102"].isna().all()


# --- synthetic tables ------------------------------------------------------------------------


def test_row_numbers_count_blank_lines_and_multiline_fields(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", 'id,name,x\n01011101,"two\nlines",1\n\n01011102,b,oops\n')
    assert "row 5, column 'x': 'oops' is not a number" in read_error(spec(path), numeric=["x"])


def test_csv_header_row_skips_a_title(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", "Tabelle 1: Index\n\nid;x\n01011101;1,5\n")
    frame = read_table(spec(path, header_row=3), numeric=["x"])
    assert frame.loc["01011101", "x"] == 1.5


def test_csv_wrong_header_row_hints_the_right_one(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", "Tabelle 1: Index\nid;x\n01011101;1,5\n")
    message = read_error(spec(path), numeric=["x"])
    assert "header seems to be on row 2" in message
    assert "`header_row: 2`" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("id;x\n01011101;1.234,5\n01011102;−2\n", [1234.5, -2.0]),  # unicode minus
        ("id;x\n01011101;1 234,5\n01011102;7\n", [1234.5, 7.0]),  # blank as thousands
        ('id,x\n01011101,"1,234.5"\n01011102,+3e2\n', [1234.5, 300.0]),
        ("id;x\n01011101;12.345\n", [12345.0]),  # ambiguous: `;` means German Excel
        ("id,x\n01011101,12.345\n", [12.345]),
        ("id;x\n01011101; \n", [np.nan]),
    ],
)
def test_numbers_in_common_notations(tmp_path: Path, text: str, expected: list[float]) -> None:
    frame = read_table(spec(write(tmp_path / "t.csv", text)), numeric=["x"])
    np.testing.assert_array_equal(frame["x"].to_numpy(), expected)


def test_forced_decimal_overrides_detection(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", "id;x\n01011101;12.345\n")
    frame = read_table(spec(path, decimal="."), numeric=["x"])
    assert frame.loc["01011101", "x"] == 12.345


def test_decimal_comma_value_in_dot_table_gets_a_hint(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", "id;x\n01011101;1,5\n")
    message = read_error(spec(path, decimal="."), numeric=["x"])
    assert "'1,5' is not a number (read with decimal mark '.'; set `decimal:`" in message


def test_forced_encoding_that_does_not_fit(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", "id,name\n01011101,Straße\n", "cp1252")
    message = read_error(spec(path, encoding="utf-8"), columns=["name"])
    assert "line 2: is not valid utf-8 text (byte 0xdf)" in message


def test_text_columns_strip_and_empty_is_missing(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", "id,s\n 01011101 ,\u00a0mittel \n01011102,\n")
    frame = read_table(spec(path), columns=["s"])
    assert frame.index.tolist() == ["01011101", "01011102"]
    assert frame.loc["01011101", "s"] == "mittel"
    assert pd.isna(frame.loc["01011102", "s"])


def test_id_column_requested_as_column_is_the_index_only(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", "id,x\n01011101,1\n")
    frame = read_table(spec(path), columns=["id"], numeric=["x"])
    assert list(frame.columns) == ["x"]


def test_any_id_when_no_pattern(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", "school,x\n07G12,1\n07G13,2\n")
    frame = read_table(spec(path, id="school"), numeric=["x"], id_pattern=None)
    assert frame.index.tolist() == ["07G12", "07G13"]


def test_restored_ids_are_padded_to_the_pattern_width(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", "ESB,x\n101,1\n1203,2\n")
    frame = read_table(
        spec(path, id="ESB", restore_leading_zeros=True), numeric=["x"], id_pattern=r"\d{4}"
    )
    assert frame.index.tolist() == ["0101", "1203"]


def test_restored_ids_that_collide_are_duplicates(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", "id,x\n01011101,1\n1011101,2\n")
    message = read_error(spec(path, restore_leading_zeros=True), numeric=["x"])
    assert "row 3: id '01011101' in column 'id' appears twice: row 2 and row 3" in message


def test_malformed_id_is_reported_before_lost_zeros(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", "id,x\n1011101,1\nabc,2\n")
    message = read_error(spec(path, restore_leading_zeros=True), numeric=["x"])
    assert "row 3: id 'abc' in column 'id' does not match" in message


def test_xlsx_numbers_text_and_ids(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Daten"
    for row in (
        ["id", "status", "x"],
        [1011101, " mittel ", "1.234,5"],
        ["01011102", 3, 2],
        [None, None, None],
    ):
        sheet.append(row)
    workbook.create_sheet("Notes")
    workbook.save(tmp_path / "t.xlsx")
    frame = read_table(
        spec(tmp_path / "t.xlsx", restore_leading_zeros=True), columns=["status"], numeric=["x"]
    )
    assert frame.index.tolist() == ["01011101", "01011102"]
    assert frame["status"].tolist() == ["mittel", "3"]
    assert frame["x"].tolist() == [1234.5, 2.0]


def test_validate_ids_names_the_place() -> None:
    with pytest.raises(InputError, match=r"f\.csv: feature 2: empty id in column 'k'"):
        validate_ids(
            ["a", ""],
            ["feature 1", "feature 2"],
            id_pattern=None,
            restore_leading_zeros=False,
            path="f.csv",
            column="k",
        )


def test_suggest_column_matches_case_and_underscores() -> None:
    assert suggest_column("plr id", ["PLR_ID", "NAME"]).startswith("did you mean 'PLR_ID'?")
    assert suggest_column("zzz", ["a", "b"]) == "available: a, b"


def test_header_without_rows_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", "id,x\n\n")
    assert "table has no rows below the header" in read_error(spec(path), numeric=["x"])


def test_decimal_mark_must_be_point_or_comma(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", "id,x\n01011101,1\n")
    assert "`decimal: ;` must be '.' or ','" in read_error(spec(path, decimal=";"), numeric=["x"])
