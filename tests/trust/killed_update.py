"""Run `quartiere update` with its build replaced by a copy of a prepared one, and a signal sent
to itself just before the K-th rename (os.replace) of the run: a sweep of every moment at which
the update changes the disk (tests/test_trust_update.py).

usage: killed_update.py NEW_DIR BUILT_AT K SIGNAL -- quartiere arguments...

A script, not a test module: importing it (pytest's doctest collection does) runs nothing.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import sys
from pathlib import Path
from types import SimpleNamespace

FILES = ("handlungsraeume.gpkg", "handlungsraeume.png", "handlungsraeume_lmb.png", "summary.md")


def run(argv: list[str]) -> None:
    import quartiere.pipeline as pipeline
    from quartiere.record import BuildInfo

    new_dir, built_at, kill_at, sig = Path(argv[0]), argv[1], int(argv[2]), argv[3]

    def fake_build(config_path, out, previous=None, progress=None, **_):  # noqa: ANN001, ANN003, ARG001
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        for name in FILES:
            if (new_dir / name).exists():
                shutil.copy2(new_dir / name, out.parent / name)
        return SimpleNamespace(build_info=BuildInfo(built_at=built_at))

    pipeline.build = fake_build  # type: ignore[assignment]
    count = 0
    real_replace = os.replace

    def replace(src, dst):  # noqa: ANN001
        nonlocal count
        count += 1
        print(f"rename {count} {Path(dst).name}", file=sys.stderr)
        if count == kill_at:
            os.kill(os.getpid(), getattr(signal, sig))
        return real_replace(src, dst)

    os.replace = replace  # type: ignore[assignment]
    atexit.register(lambda: print(f"renames: {count}", file=sys.stderr))

    from quartiere.cli import main

    main(argv[argv.index("--") + 1 :])


if __name__ == "__main__":
    run(sys.argv[1:])
