"""What makes the profiles fast must not change them: the cached trend, the printer process."""

from __future__ import annotations

import stat
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from quartiere.cli import main
from quartiere.profiles import data

ROOT = Path(__file__).resolve().parents[1]


def test_cached_trend_is_the_computed_one_and_follows_the_footprints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, default_build: Path
) -> None:
    monkeypatch.setenv("QUARTIERE_CACHE", str(tmp_path / "cache"))
    areas = data.read_build_layers(default_build).areas
    paths = data.editions_beside(ROOT / "config" / "criteria.yaml")
    years, cached = data.cached_trend(areas, paths)
    editions = data.load_editions(paths)
    computed = data.trend(areas, editions)
    # the editions are the files beside the configuration, one per MSS year, in order
    from quartiere.config import load_config

    wanted = sorted({load_config(p).mss.edition for p in paths})
    assert years == [e.year for e in editions] == wanted
    pd.testing.assert_frame_equal(cached.areas, computed.areas)
    pd.testing.assert_frame_equal(cached.berlin, computed.berlin)
    assert cached.transferred == computed.transferred
    assert cached.series == computed.series
    entries = sorted((tmp_path / "cache").rglob("*.entry"))
    assert len([e for e in entries if "profile_trend" in str(e)]) == 1

    _, again = data.cached_trend(areas, paths)  # read back: the same numbers, no new entry
    pd.testing.assert_frame_equal(again.areas, computed.areas)
    assert sorted((tmp_path / "cache").rglob("*.entry")) == entries

    moved = areas.copy()
    moved.loc[moved.index[0], "geometry"] = moved.geometry.iloc[0].buffer(-100)
    _, other = data.cached_trend(moved, paths)  # another footprint: computed anew
    first = str(areas["hr_id"].iloc[0])
    assert (
        other.areas.loc[first, "population"].sum() < computed.areas.loc[first, "population"].sum()
    )
    pd.testing.assert_frame_equal(
        other.areas.drop(index=first, level="hr_id"),
        computed.areas.drop(index=first, level="hr_id"),
    )


@pytest.mark.slow
def test_a_browser_that_will_not_start_is_one_line(tmp_path: Path, default_build: Path) -> None:
    broken = tmp_path / "chromium"
    broken.write_text("#!/bin/sh\nexit 1\n")
    broken.chmod(broken.stat().st_mode | stat.S_IEXEC)
    result = CliRunner().invoke(
        main,
        ["profiles", "--build", str(default_build), "--out", str(tmp_path / "out"), "-q"],
        env={"QUARTIERE_CHROMIUM": str(broken)},
    )
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "printing the PDFs with Chromium failed" in lines[0], result.output
    assert not (tmp_path / "out").exists()  # nothing half-written where the profiles go
