"""Golden outputs: the MSS 2021 and gi2018 editions (MSS 2021 was the default until MSS 2023), and
the change memo between them, as they were pinned before the code was restructured. Any change to a
delineation, a value or a text shows here.

The builds run through the command line (the contract), with ``SOURCE_DATE_EPOCH`` fixed. Layers are
compared as data, field by field: text and integers exactly, floats to a relative 1e-9 (float
noise from a reordered but equivalent computation), geometry by area, length and centroid to 1e-6 m.
``build_info`` is compared without the keys that name versions of installed packages, timestamps or
hashes of code. ``summary.md`` and ``changes.md`` are compared as text.

After an intended change, regenerate with ``python tests/test_golden.py`` and say why in the commit.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"
EPOCH = "1767225600"  # 2026-01-01T00:00:00Z
EDITIONS = {
    "mss2021": ROOT / "config" / "editions" / "mss2021.yaml",
    "gi2018": ROOT / "config" / "editions" / "gi2018.yaml",
}
LAYERS = ("handlungsraeume", "planungsraeume", "einschulungsbereiche", "schulen")
VOLATILE_INFO = ("built_at", "versions", "quartiere_version", "code_version", "previous")
FLOAT_RTOL = 1e-9
GEOMETRY_ATOL = 1e-6

pytestmark = pytest.mark.slow


def _run(*args: str) -> None:
    from click.testing import CliRunner

    from quartiere.cli import main

    result = CliRunner().invoke(main, list(args))
    if result.exit_code != 0:
        raise AssertionError(f"quartiere {' '.join(args)} failed: {result.output}")


def make_outputs(directory: Path) -> dict[str, Path]:
    """Build gi2018 and the MSS 2021 edition, each numbered afresh (--fresh: goldens do not
    depend on builds lying in data/processed), and the memo between them."""
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    out = {}
    gi2018 = directory / "gi2018" / "handlungsraeume.gpkg"
    _run("build", "--config", str(EDITIONS["gi2018"]), "--out", str(gi2018), "--fresh")
    out["gi2018"] = gi2018
    mss2021 = directory / "mss2021" / "handlungsraeume.gpkg"
    _run("build", "--config", str(EDITIONS["mss2021"]), "--out", str(mss2021), "--fresh")
    out["mss2021"] = mss2021
    here = Path.cwd()
    os.chdir(directory)  # the memo names the files as given: relative, so it is the same anywhere
    try:
        _run(
            "diff",
            "gi2018/handlungsraeume.gpkg",
            "mss2021/handlungsraeume.gpkg",
            "--out",
            "changes",
        )
    finally:
        os.chdir(here)
    out["changes"] = directory / "changes" / "changes.md"
    return out


def layer_table(path: Path, layer: str) -> pd.DataFrame:
    """A layer as a plain table: attributes, then geometry as area, length and centroid."""
    import geopandas as gpd

    frame = gpd.read_file(path, layer=layer)
    geometry = frame.geometry
    table = pd.DataFrame(frame.drop(columns="geometry"))
    table["geom_type"] = geometry.geom_type
    table["geom_area"] = geometry.area
    table["geom_length"] = geometry.length
    table["geom_x"] = geometry.centroid.x
    table["geom_y"] = geometry.centroid.y
    return table


def info_table(path: Path) -> pd.DataFrame:
    import pyogrio

    info = pyogrio.read_dataframe(path, layer="build_info")[["key", "value"]]
    volatile = info["key"].isin(VOLATILE_INFO) | info["key"].str.startswith("lineage")
    return info[~volatile].reset_index(drop=True)


def snapshot(outputs: dict[str, Path]) -> dict[str, pd.DataFrame | str]:
    """Everything the golden files pin, by file name."""
    files: dict[str, pd.DataFrame | str] = {}
    for edition in EDITIONS:
        gpkg = outputs[edition]
        for layer in LAYERS:
            files[f"{edition}/{layer}.csv"] = layer_table(gpkg, layer)
        files[f"{edition}/build_info.csv"] = info_table(gpkg)
        files[f"{edition}/summary.md"] = (gpkg.parent / "summary.md").read_text(encoding="utf-8")
    files["changes.md"] = outputs["changes"].read_text(encoding="utf-8")
    return files


def _read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    # the same text a CSV round trip gives, so fresh and stored tables compare alike
    from io import StringIO

    buffer = StringIO()
    frame.to_csv(buffer, index=False)
    buffer.seek(0)
    return _read_csv(buffer)  # type: ignore[arg-type]


def compare_tables(name: str, got: pd.DataFrame, want: pd.DataFrame) -> list[str]:
    got = _as_text(got)
    problems = []
    if list(got.columns) != list(want.columns):
        return [f"{name}: columns {list(got.columns)} != {list(want.columns)}"]
    if len(got) != len(want):
        return [f"{name}: {len(got)} rows != {len(want)}"]
    for column in want.columns:
        a, b = got[column], want[column]
        differ = a != b
        if not differ.any():
            continue
        x = pd.to_numeric(a[differ], errors="coerce")
        y = pd.to_numeric(b[differ], errors="coerce")
        numeric = x.notna() & y.notna()
        tol = GEOMETRY_ATOL if column.startswith("geom_") else 0.0
        close = numeric & ((x - y).abs() <= tol + FLOAT_RTOL * y.abs())
        bad = differ[differ].index[~close.to_numpy()]
        for row in bad[:5]:
            problems.append(f"{name} row {row} {column}: {a[row]!r} != {b[row]!r}")
    return problems


def write_golden(files: dict[str, pd.DataFrame | str]) -> None:
    for name, content in files.items():
        target = GOLDEN / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            target.write_text(content, encoding="utf-8")
        else:
            content.to_csv(target, index=False, lineterminator="\n")


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame | str]:
    saved = os.environ.get("SOURCE_DATE_EPOCH")
    try:
        return snapshot(make_outputs(tmp_path_factory.mktemp("golden")))
    finally:
        if saved is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = saved


GOLDEN_FILES = sorted(
    str(p.relative_to(GOLDEN)) for p in GOLDEN.rglob("*") if p.suffix in {".csv", ".md"}
)


def test_golden_files_are_all_there():
    names = (*[f"{layer}.csv" for layer in LAYERS], "build_info.csv", "summary.md")
    expected = {f"{edition}/{name}" for edition in EDITIONS for name in names}
    assert expected | {"changes.md"} <= set(GOLDEN_FILES)


@pytest.mark.parametrize("name", GOLDEN_FILES)
def test_output_equals_golden(fresh, name):
    stored = GOLDEN / name
    got = fresh[name]
    if isinstance(got, str):
        assert got == stored.read_text(encoding="utf-8"), f"{name} differs from the golden copy"
    else:
        problems = compare_tables(name, got, _read_csv(stored))
        assert not problems, "\n".join(problems)


def test_comparison_catches_a_moved_value(fresh):
    # the comparison itself must fail on a real difference, not only on a missing file
    table = fresh["mss2021/planungsraeume.csv"].copy()
    want = _read_csv(GOLDEN / "mss2021/planungsraeume.csv")
    table.loc[0, "population"] = table.loc[0, "population"] + 1
    assert compare_tables("x", table, want)
    table = fresh["mss2021/handlungsraeume.csv"].copy()
    table.loc[0, "geom_area"] = table.loc[0, "geom_area"] * (1 + 1e-6)
    assert compare_tables("x", table, _read_csv(GOLDEN / "mss2021/handlungsraeume.csv"))


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        write_golden(snapshot(make_outputs(Path(tmp))))
    print(f"wrote {GOLDEN}", file=sys.stderr)
