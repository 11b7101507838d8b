"""Issue 24, finding 1: no code from data. A file planted in the cache, in the exact naming the
cache uses, runs nothing; no reader of files the project does not write itself unpickles."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from pathlib import Path

import pytest

from quartiere.io.cache import Cache, cache_key

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "config" / "criteria.yaml"


class _Payload:
    """Unpickling this runs ``os.system``: it writes a marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (os.system, (f"touch {self.marker}",))


def _planted(marker: Path, magic: bytes) -> bytes:
    payload = pickle.dumps(_Payload(marker))
    return magic + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload


@pytest.mark.parametrize("magic", [b"quartiere-cache 1 ", b"quartiere-cache 2 "])
def test_planted_pickle_in_the_cache_runs_nothing(tmp_path: Path, magic: bytes) -> None:
    """The attack of the issue: a checksummed pickle under every name the cache reads."""
    from quartiere.config import load_config
    from quartiere.derived import _keys, derived_inputs
    from quartiere.pipeline import harmonize

    keys = _keys(load_config(DEFAULT))
    cache_dir = tmp_path / "cache"
    cache_dir.mkdir()
    marker = tmp_path / "pwned"
    for kind, key in keys.items():
        for suffix in (".pkl", ".entry"):  # the earlier and the present naming
            (cache_dir / f"{kind}-{key}{suffix}").write_bytes(_planted(marker, magic))
    cache = Cache(cache_dir)
    derived = derived_inputs(load_config(DEFAULT), cache, harmonize)
    assert not marker.exists(), "a planted cache entry ran code"
    assert (cache.hits, cache.misses) == (0, 3)  # refused, rebuilt
    assert len(derived.inputs.planning_areas) > 400
    assert not list(cache_dir.glob("*.pkl"))  # pickles of earlier versions are removed unread


def test_planted_entry_naming_a_foreign_class_is_refused(tmp_path: Path) -> None:
    """An entry in the data format itself cannot name a callable outside quartiere."""
    cache = Cache(tmp_path)
    key = cache_key("kind", "x")
    cache.put("kind", key, {"a": 1})
    (entry,) = tmp_path.glob("kind-*.entry")
    for cls in ("os:system", "subprocess:Popen", "builtins:eval", "quartiere.io.cache:os"):
        node = {"t": "model", "cls": cls, "v": "touch /tmp/x"}
        manifest = json.dumps({"root": node, "sizes": []}).encode()
        payload = b"quartiere-data 1\n" + str(len(manifest)).encode() + b"\n" + manifest
        header = b"quartiere-cache 2 " + hashlib.sha256(payload).hexdigest().encode() + b"\n"
        entry.write_bytes(header + payload)
        assert cache.get("kind", key) is None
        assert not entry.exists()
        entry.write_bytes(b"")


def test_values_round_trip_without_pickle(tmp_path: Path) -> None:
    """What the build caches comes back equal (frames, geometry, dataclasses, sparse graphs)."""
    import numpy as np
    import pandas as pd

    from quartiere.config import load_config
    from quartiere.derived import derived_inputs
    from quartiere.pipeline import harmonize

    config = load_config(DEFAULT)
    cold = derived_inputs(config, Cache(tmp_path), harmonize)
    warm = derived_inputs(config, Cache(tmp_path), harmonize)
    pd.testing.assert_frame_equal(warm.inputs.catchments, cold.inputs.catchments)
    assert warm.inputs.planning_areas.crs == cold.inputs.planning_areas.crs
    assert type(warm.inputs.coverage[0]) is type(cold.inputs.coverage[0])
    assert warm.inputs.coverage == cold.inputs.coverage
    assert warm.inputs.notes == cold.inputs.notes
    pd.testing.assert_frame_equal(warm.harmonized.atlas, cold.harmonized.atlas)
    assert type(warm.graph.adjacency) is type(cold.graph.adjacency)
    np.testing.assert_array_equal(warm.graph.exterior, cold.graph.exterior)
    for path in tmp_path.iterdir():
        assert b"\x80\x04\x95" not in path.read_bytes()[:64]  # no pickle header anywhere


def test_no_reader_unpickles() -> None:
    """Nothing in the package unpickles, or loads arrays with pickles allowed."""
    for path in (ROOT / "src" / "quartiere").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for needle in ("pickle.load", "import pickle", "allow_pickle=True", "joblib", "dill"):
            assert needle not in text, f"{path}: {needle}"
