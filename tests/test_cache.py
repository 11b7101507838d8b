"""The cache of derived inputs (issue 13): hits, invalidation, damaged entries, equal outputs;
history's reuse of up-to-date builds; a failing map leaves the previous outputs untouched.

No test here asserts a time: speed is measured by ``make bench``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from quartiere.io import cache as cache_module
from quartiere.io.cache import Cache, cache_key

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "config" / "criteria.yaml"


# -- the cache itself ---------------------------------------------------------------------------


def test_put_get_and_fetch_counts_hits(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    key = cache_key("kind", "a", 1)
    assert cache.get("kind", key) is None
    calls = []
    assert cache.fetch("kind", key, lambda: calls.append(1) or {"x": [1, 2]}) == {"x": [1, 2]}
    assert cache.fetch("kind", key, lambda: calls.append(1) or {"x": [3]}) == {"x": [1, 2]}
    assert (calls, cache.hits, cache.misses) == ([1], 1, 1)
    # a key depends on every part, and on the order of positional parts
    assert cache_key("kind", "a", 1) == key
    assert cache_key("kind", "a", 2) != key
    assert cache_key("other", "a", 1) != key


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b[: len(b) // 2],  # truncated
        lambda b: b[:-1] + bytes([b[-1] ^ 1]),  # one bit of the payload flipped
        lambda b: b"not a cache file at all",
        lambda b: b"",
    ],
)
def test_damaged_entry_is_removed_and_rebuilt(tmp_path: Path, damage) -> None:
    cache = Cache(tmp_path)
    key = cache_key("kind", "x")
    cache.put("kind", key, list(range(1000)))
    (entry,) = tmp_path.glob("kind-*.entry")
    entry.write_bytes(damage(entry.read_bytes()))
    assert cache.get("kind", key) is None
    assert not entry.exists()
    assert cache.fetch("kind", key, lambda: "rebuilt") == "rebuilt"
    assert cache.get("kind", key) == "rebuilt"


def test_bounded_size_evicts_least_recently_used(tmp_path: Path) -> None:
    import os

    cache = Cache(tmp_path, max_bytes=2500)
    blob = b"x" * 1000
    for i, name in enumerate(("a", "b")):
        cache.put("k", name, blob)
        path = tmp_path / f"k-{name}.entry"
        os.utime(path, (1_000_000 + i, 1_000_000 + i))
    assert cache.get("k", "a") == blob  # a is now the most recently used
    cache.put("k", "c", blob)  # over 2500 bytes: b, the least recently used, goes
    assert sorted(p.name for p in tmp_path.glob("*.entry")) == ["k-a.entry", "k-c.entry"]


def test_default_cache_setting(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("QUARTIERE_CACHE", "off")
    assert cache_module.default_cache() is None
    monkeypatch.setenv("QUARTIERE_CACHE", str(tmp_path))
    assert cache_module.default_cache().root == tmp_path  # type: ignore[union-attr]
    monkeypatch.delenv("QUARTIERE_CACHE")
    assert cache_module.default_cache() is None  # never relative to the working directory
    beside = cache_module.default_cache(tmp_path / "out")
    assert beside is not None and beside.root == (tmp_path / "out" / ".cache").resolve()


# -- keys: a change invalidates exactly what depends on it ----------------------------------------


def _edition(tmp_path: Path, extra: dict) -> Path:
    """A configuration extending the default one, with its atlas table copied into tmp_path."""
    table = tmp_path / "atlas.csv"
    from quartiere.config import load_config

    shutil.copy(load_config(DEFAULT).atlas.path, table)
    config = {"extends": str(DEFAULT), "atlas": {"path": str(table)}}
    for section, values in extra.items():
        config.setdefault(section, {}).update(values)
    path = tmp_path / f"edition{len(list(tmp_path.glob('edition*')))}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def _keys(path: Path) -> dict[str, str]:
    from quartiere.config import load_config
    from quartiere.derived import _keys

    return _keys(load_config(path))


def test_changed_input_invalidates_inputs_and_what_follows_not_the_graph(tmp_path: Path) -> None:
    path = _edition(tmp_path, {})
    before = _keys(path)
    table = tmp_path / "atlas.csv"
    table.write_bytes(table.read_bytes() + b"\n")
    after = _keys(path)
    assert after["inputs"] != before["inputs"]
    assert after["harmonized"] != before["harmonized"]
    assert after["contiguity"] == before["contiguity"]


@pytest.mark.parametrize(
    ("extra", "changed"),
    [
        ({"atlas": {"min_area_coverage": 0.4}}, {"harmonized"}),
        ({"delineation": {"contiguity": "queen"}}, {"contiguity"}),
        ({"criteria": {"schools": {"lmb_threshold": 33}}}, set()),
        ({"population": {"min_coverage": 0.5}}, {"inputs", "harmonized"}),
    ],
)
def test_changed_configuration_key_invalidates_what_depends_on_it(
    tmp_path: Path, extra: dict, changed: set[str]
) -> None:
    base = _keys(_edition(tmp_path, {}))
    other = _keys(_edition(tmp_path, extra))
    assert {k for k in base if base[k] != other[k]} == changed


def test_changed_code_version_invalidates_everything(tmp_path: Path, monkeypatch) -> None:
    path = _edition(tmp_path, {})
    before = _keys(path)
    monkeypatch.setattr(cache_module, "code_version", lambda: "another version")
    after = _keys(path)
    assert all(after[k] != before[k] for k in before)


def test_code_version_follows_the_sources() -> None:
    version = cache_module.code_version()
    assert len(version) == 64 and version == cache_module.code_version()


# -- real data: hits, a damaged entry, equal outputs -----------------------------------------------


def test_derived_inputs_hit_and_rebuild_a_damaged_entry(tmp_path: Path) -> None:
    from quartiere.config import load_config
    from quartiere.derived import derived_inputs
    from quartiere.pipeline import harmonize

    config = load_config(DEFAULT)
    cache = Cache(tmp_path)
    cold = derived_inputs(config, cache, harmonize)
    assert (cache.hits, cache.misses) == (0, 3)
    warm = derived_inputs(config, cache, harmonize)
    assert (cache.hits, cache.misses) == (3, 3)
    pd.testing.assert_frame_equal(warm.inputs.planning_areas, cold.inputs.planning_areas)
    pd.testing.assert_frame_equal(
        warm.harmonized.catchment_overlaps, cold.harmonized.catchment_overlaps
    )
    assert (warm.graph.adjacency != cold.graph.adjacency).nnz == 0

    entry = tmp_path / f"inputs-{cold.keys['inputs']}.entry"
    entry.write_bytes(entry.read_bytes()[:-100])
    again = derived_inputs(config, cache, harmonize)
    assert (cache.hits, cache.misses) == (5, 4)  # only the damaged entry was rebuilt
    pd.testing.assert_series_equal(again.inputs.population, cold.inputs.population)
    assert Cache(tmp_path).get("inputs", cold.keys["inputs"]) is not None


@pytest.mark.slow
def test_outputs_equal_with_and_without_cache(tmp_path: Path, monkeypatch) -> None:
    from quartiere.pipeline import build
    from test_golden import LAYERS, info_table, layer_table

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    outs = {}
    for name, setting in (("off", "off"), ("cold", str(tmp_path / "c")), ("warm", "")):
        monkeypatch.setenv("QUARTIERE_CACHE", setting or str(tmp_path / "c"))
        outs[name] = tmp_path / name / "handlungsraeume.gpkg"
        build(DEFAULT, outs[name])
    assert any((tmp_path / "c").glob("harmonized-*.entry"))
    for name in ("cold", "warm"):
        for layer in LAYERS:
            pd.testing.assert_frame_equal(
                layer_table(outs[name], layer), layer_table(outs["off"], layer)
            )
        pd.testing.assert_frame_equal(info_table(outs[name]), info_table(outs["off"]))
        summary = (outs[name].parent / "summary.md").read_text()
        assert summary == (outs["off"].parent / "summary.md").read_text()
        assert outs[name].with_suffix(".png").stat().st_size > 10_000


# -- history reuse and a failing map -----------------------------------------------------------


@pytest.mark.slow
def test_build_is_current_and_a_failing_map_keeps_previous_outputs(
    tmp_path: Path, monkeypatch
) -> None:
    from quartiere import report
    from quartiere.errors import QuartiereError
    from quartiere.pipeline import build
    from quartiere.reuse import build_is_current

    monkeypatch.setenv("QUARTIERE_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "b" / "handlungsraeume.gpkg"
    build(DEFAULT, out)
    assert build_is_current(DEFAULT, out)
    assert not build_is_current(DEFAULT, out, previous=out)  # not numbered against that one
    edition = _edition(tmp_path, {})
    assert not build_is_current(edition, out)  # other configuration files
    monkeypatch.setattr(cache_module, "code_version", lambda: "another version")
    assert not build_is_current(DEFAULT, out)
    monkeypatch.undo()
    monkeypatch.setenv("QUARTIERE_CACHE", str(tmp_path / "cache"))

    before = {p.name: p.read_bytes() for p in out.parent.iterdir()}

    def broken(png: Path, payload: dict) -> None:
        raise RuntimeError("no ink")

    monkeypatch.setattr(report, "draw_map", broken)
    with pytest.raises(QuartiereError, match="map not drawn: RuntimeError: no ink"):
        build(edition, out)
    assert {p.name: p.read_bytes() for p in out.parent.iterdir()} == before


@pytest.mark.slow
def test_history_reuses_up_to_date_editions(tmp_path: Path, monkeypatch) -> None:
    from quartiere.history import run_history

    monkeypatch.setenv("QUARTIERE_CACHE", str(tmp_path / "cache"))
    editions = [ROOT / "config" / "editions" / f"{k}.yaml" for k in ("gi2018", "mss2021")]
    first = run_history(editions, tmp_path / "h")
    built = {p: p.stat().st_mtime_ns for p in (tmp_path / "h").rglob("handlungsraeume.*")}
    memo = (tmp_path / "h" / "mss2021" / "changes.md").read_text()
    said: list[str] = []
    again = run_history(editions, tmp_path / "h", progress=said.append)
    assert [s for s in said if "up to date" in s] == [
        "[gi2018] up to date: inputs, configuration and code unchanged",
        "[mss2021] up to date: inputs, configuration and code unchanged",
    ]
    assert {p: p.stat().st_mtime_ns for p in built} == built  # nothing rebuilt
    assert (tmp_path / "h" / "mss2021" / "changes.md").read_text() == memo
    areas = [e.build.areas.sort_values("hr_id").reset_index(drop=True) for e in first.editions]
    for edition, want in zip(again.editions, areas, strict=True):
        assert len(want) > 5
        pd.testing.assert_frame_equal(
            edition.build.areas.sort_values("hr_id").reset_index(drop=True), want
        )

    # a changed base edition is rebuilt, and so is the edition numbered against it
    (tmp_path / "h" / "gi2018" / "handlungsraeume.png").unlink()
    said.clear()
    run_history(editions, tmp_path / "h", progress=said.append)
    assert not [s for s in said if "up to date" in s]
