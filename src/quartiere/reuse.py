"""Is a build up to date? Its ``build_info`` against the configuration, inputs and code now.

``quartiere history`` keeps an edition's build when :func:`build_is_current` holds: the same
configuration files, the same input files (SHA-256), the same code
(:func:`quartiere.io.cache.code_version`), numbered against the same earlier build, with its map
and summary beside it. Anything else, or a build that cannot be read, is rebuilt.
"""

from __future__ import annotations

from pathlib import Path

from quartiere.io.gdal import reading

__all__ = ["build_is_current"]


def build_is_current(config_path: Path, out: Path, previous: Path | None = None) -> bool:
    """Whether ``out`` is what building ``config_path`` (against ``previous``) would give now."""
    import pyogrio

    from quartiere.config import load_config
    from quartiere.io.beside import map_png, summary_md
    from quartiere.io.cache import code_version
    from quartiere.pipeline import sha256, source_files

    out = Path(out)
    if not (out.is_file() and map_png(out).is_file() and summary_md(out).is_file()):
        return False
    try:
        with reading():
            table = pyogrio.read_dataframe(out, layer="build_info")
        info = dict(zip(table["key"].astype(str), table["value"].astype(str), strict=True))
    except Exception:  # noqa: BLE001 - unreadable: rebuild
        return False
    if info.get("code_version") != code_version():
        return False
    config = load_config(config_path)
    files = source_files(config)
    n_config = len(config.files)
    expected = {f"config.{i}": f"{name} sha256:{d}" for i, (name, d) in enumerate(files[:n_config])}
    expected |= {f"input:{name}": f"sha256:{d}" for name, d in files[n_config:]}
    recorded = {k: v for k, v in info.items() if k.startswith(("config.", "input:"))}
    if recorded != expected:
        return False
    if previous is None:
        return "previous" not in info
    return info.get("previous") == f"{Path(previous).name} sha256:{sha256(Path(previous))}"
