"""Messages that stay one clear line (issue 24, finding 10): rules nested too deeply, a configured
path that is not a table, a corrupt --build, names that would break the summary's Markdown."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from quartiere.cli import main

ROOT = Path(__file__).resolve().parents[1]
MSS2021 = ROOT / "config" / "editions" / "mss2021.yaml"


def _run(*args: str):
    return CliRunner().invoke(main, list(args))


def _edition(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "edition.yaml"
    path.write_text(f"extends: {MSS2021}\n{text}", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("expression", "says"),
    [
        ("not " * 3000 + "c_mss", "is too long for a rule (12005 characters; at most 2000)"),
        (
            "(" * 300 + "c_mss" + ")" * 300,
            "is not a valid expression (too many nested parentheses)",
        ),
        ("not " * 450 + "c_mss", None),  # deep but within bounds: accepted
    ],
)
def test_deeply_nested_rules_are_one_line(tmp_path, expression, says):
    config = _edition(tmp_path, f'delineation:\n  seed: "{expression}"\n')
    result = _run("validate", "--config", str(config))
    if says is None:
        assert result.exit_code == 0, result.output
        return
    assert result.exit_code == 2
    (line,) = result.output.strip().splitlines()
    assert says in line and "Traceback" not in result.output and len(line) < 400


def test_a_configured_path_that_is_no_table_echoes_none_of_its_content(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("alice:$6$verysecrethash:20228:0:99999:7:::\nsecond line\n", encoding="utf-8")
    config = _edition(tmp_path, f"mss:\n  path: {secret}\n")
    result = _run("validate", "--config", str(config))
    assert result.exit_code == 3
    (line,) = result.output.strip().splitlines()
    assert "verysecrethash" not in line and "alice" not in line
    assert "the header row holds no named columns; is this the right file?" in line


def test_a_corrupt_build_is_named_as_bad_input(tmp_path):
    corrupt = tmp_path / "corrupt.gpkg"
    corrupt.write_text("not a GeoPackage\n", encoding="utf-8")
    result = _run("explain", "01100101", "--config", str(MSS2021), "--build", str(corrupt))
    assert result.exit_code == 3
    (line,) = result.output.strip().splitlines()
    assert str(corrupt) in line and "not a GeoPackage" in line


def test_names_cannot_break_the_summary_table():
    import geopandas as gpd
    from shapely.geometry import box

    from quartiere.present.summary import summary_markdown

    areas = gpd.GeoDataFrame(
        {
            "hr_id": ["01"],
            "hr_name": ["A | B <script>alert(1)</script>"],
            "bezirk": ["Mitte"],
            "n_plr": [1],
            "population": [1000],
        },
        geometry=[box(0, 0, 1, 1)],
    )
    plr = gpd.GeoDataFrame(
        {
            "plr_id": ["01100101"],
            "plr_name": ["*bold* [link](x)"],
            "population": [1000],
            "c_mss": [1],
            "n_criteria": [1],
            "hr_id": ["01"],
        },
        geometry=[box(0, 0, 1, 1)],
    )
    text = summary_markdown(areas, plr, edition="E", estimates=[])
    (row,) = [line for line in text.splitlines() if line.startswith("| 01 |")]
    assert row.count(" | ") == 5  # six cells: the name's bar is no column
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "\\*bold\\* \\[link\\](x)" in text
