"""Is a build up to date? Its ``build_info`` against the configuration, inputs and code now.

``quartiere history`` keeps an edition's build when :func:`build_is_current` holds: the same
configuration files, the same input files (SHA-256), the same code
(:func:`quartiere.io.cache.code_version`), numbered against the same earlier build, with its map
and summary beside it. Anything else, a build whose files changed while it ran
(``changed_during_build``), or a build that cannot be read, is rebuilt.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["build_is_current"]


def build_is_current(config_path: Path, out: Path, previous: Path | None = None) -> bool:
    """Whether ``out`` is what building ``config_path`` (against ``previous``) would give now."""
    from quartiere.build_info import source_files
    from quartiere.config import load_config
    from quartiere.io.beside import map_png, summary_md
    from quartiere.io.build_record import read_build_info
    from quartiere.io.builds import sha256
    from quartiere.io.cache import code_version

    out = Path(out)
    if not (out.is_file() and map_png(out).is_file() and summary_md(out).is_file()):
        return False
    info = read_build_info(out)
    if info is None:  # unreadable: rebuild
        return False
    if info.changed_during_build or info.code_version != code_version():
        return False
    config = load_config(config_path)
    if info.files() != tuple(source_files(config)):
        return False
    if previous is None:
        return info.previous is None
    return info.previous_sha256 == sha256(Path(previous)) and info.previous == (
        f"{Path(previous).name} sha256:{info.previous_sha256}"
    )
