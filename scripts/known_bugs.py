"""Inject, one at a time, the single-point bugs issues 15 and 25 found the suite missing, and check
that the tests catch each one. Every bug (listed in ``known_bugs.yaml`` beside this script) is a
(snippet, replacement) pair, found by its text anywhere under ``src/quartiere`` (so the check
survives files moving); the source is restored after each. A bug's ``tests`` (pytest arguments)
name the tests that must catch it; without them, the command line's arguments or
``tests/test_rule_edges.py``.

    .venv/bin/python scripts/known_bugs.py [pytest arguments, default: tests/test_rule_edges.py]

Exit status 1 when a bug survives or a snippet is no longer found (update the list then).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "quartiere"

BUGS: list[tuple[str, str, str, list[str] | None]] = [
    (bug["bug"], bug["find"], bug["replace"], bug.get("tests"))
    for bug in yaml.safe_load((ROOT / "scripts" / "known_bugs.yaml").read_text(encoding="utf-8"))
]
"""(what the bug does, the snippet, its replacement, the tests that catch it or None), from
``scripts/known_bugs.yaml``."""


def locate(snippet: str) -> Path | None:
    hits = [p for p in SRC.rglob("*.py") if p.read_text(encoding="utf-8").count(snippet) == 1]
    return hits[0] if len(hits) == 1 else None


def main(args: list[str]) -> int:
    pytest_args = args or ["tests/test_rule_edges.py"]
    failures = 0
    for name, snippet, replacement, tests in BUGS:
        path = locate(snippet)
        if path is None:
            print(f"NOT FOUND  {name}: {snippet!r} is not in exactly one place")
            failures += 1
            continue
        original = path.read_text(encoding="utf-8")
        try:
            path.write_text(original.replace(snippet, replacement), encoding="utf-8")
            run = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pytest",
                    "-x",
                    "-q",
                    "-p",
                    "no:cacheprovider",
                    *(tests or pytest_args),
                ],
                cwd=ROOT,
                capture_output=True,
                text=True,
            )
        finally:
            path.write_text(original, encoding="utf-8")
        caught = run.returncode != 0
        failures += not caught
        first = next((ln for ln in run.stdout.splitlines() if ln.startswith("FAILED")), "")
        print(f"{'caught' if caught else 'MISSED'}     {name}  {first.removeprefix('FAILED ')}")
    print(f"{len(BUGS) - failures} of {len(BUGS)} injected bugs caught")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
