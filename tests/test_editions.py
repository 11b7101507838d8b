"""The edition list (quartiere.editions): keys, MSS order, and two editions of one year refused."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from quartiere.cli import main
from quartiere.config import load_config
from quartiere.editions import earlier_editions, edition_key, editions_beside, order_editions
from quartiere.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
EDITIONS = sorted((ROOT / "config" / "editions").glob("*.yaml"))


def copy_config(tmp_path: Path) -> Path:
    """config/ copied into ``tmp_path`` with data/ linked beside it: the relative paths hold."""
    shutil.copytree(ROOT / "config", tmp_path / "config")
    (tmp_path / "data").symlink_to(ROOT / "data")
    return tmp_path / "config" / "editions"


def add_edition(editions: Path, year: int, key: str | None = None, source: str = "mss2023") -> Path:
    """A copy of ``source`` declared as MSS ``year`` (its tables say so too)."""
    text = (editions / f"{source}.yaml").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^(\s+(?:year|edition)): 2023\b", rf"\1: {year}", text)
    text = text.replace(
        'edition: "MSS 2023 / LOR 2021"', f'edition: "MSS {year} (test) / LOR 2021"'
    )
    path = editions / f"{key or f'mss{year}'}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_default_is_the_edition_it_extends():
    default = load_config(ROOT / "config" / "criteria.yaml")
    extends = re.search(
        r"(?m)^extends: editions/(\w+)\.yaml", (ROOT / "config/criteria.yaml").read_text()
    )
    assert extends is not None
    assert edition_key(default) == extends.group(1)
    assert edition_key(load_config(ROOT / "config/editions/gi2018.yaml")) == "gi2018"


def test_the_edition_list_is_every_edition_file_in_mss_order():
    listed = editions_beside(load_config(ROOT / "config" / "criteria.yaml"))
    assert sorted(e.path for e in listed) == EDITIONS
    years = [e.year for e in listed]
    assert years == sorted(years) and len(set(years)) == len(years)
    assert [e.year for e in listed] == [load_config(e.path).mss.edition for e in listed]
    gi2018 = load_config(ROOT / "config/editions/gi2018.yaml")
    assert [e.key for e in earlier_editions(gi2018)] == ["mss2013", "mss2015"]
    assert earlier_editions(load_config(ROOT / "config/editions/mss2013.yaml")) == []


def test_a_new_edition_file_joins_the_list_in_order(tmp_path):
    editions = copy_config(tmp_path)
    add_edition(editions, 2025)
    listed = editions_beside(load_config(editions / "mss2025.yaml"))
    assert [e.key for e in listed][-2:] == ["mss2023", "mss2025"]
    assert earlier_editions(load_config(editions / "mss2025.yaml"))[-1].key == "mss2023"


def test_two_editions_of_one_year_are_refused_in_one_line(tmp_path):
    editions = copy_config(tmp_path)
    twin = add_edition(editions, 2021, key="mss2021_twin")  # a second MSS 2021 beside mss2021
    with pytest.raises(ConfigError) as caught:
        order_editions(sorted(editions.glob("*.yaml")))
    message = str(caught.value)
    assert "two editions of MSS 2021" in message
    assert str(editions / "mss2021.yaml") in message and str(twin) in message
    with pytest.raises(ConfigError, match="two editions of MSS 2021"):
        earlier_editions(load_config(editions / "mss2023.yaml"))
    out = tmp_path / "history"
    result = CliRunner().invoke(
        main, ["history", *map(str, sorted(editions.glob("*.yaml"))), "--out", str(out)]
    )
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "two editions of MSS 2021" in lines[0]
    assert not out.exists() or not any(out.iterdir())


def test_one_edition_given_twice_is_refused():
    with pytest.raises(ConfigError, match="are both edition 'mss2021'"):
        order_editions(
            [ROOT / "config/editions/mss2021.yaml", ROOT / "config/editions/mss2021.yaml"]
        )
