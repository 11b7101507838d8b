"""Inject, one at a time, the 16 single-point bugs issue 15 found the suite missing, and check that
the tests catch each one. Every bug is a (snippet, replacement) pair, found by its text anywhere
under ``src/quartiere`` (so the check survives files moving); the source is restored after each.

    .venv/bin/python scripts/known_bugs.py [pytest arguments, default: tests/test_rule_edges.py]

Exit status 1 when a bug survives or a snippet is no longer found (update the list then).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "quartiere"

BUGS: list[tuple[str, str, str]] = [
    (
        "a hole in another district may be filled",
        'reason[~same_unit & (reason == "")]',
        'reason[~same_unit & (reason == "") & False]',
    ),
    (
        "a hole touching two areas counts as enclosed",
        "enclosed = (n_neighbours == 1)",
        "enclosed = (n_neighbours >= 1)",
    ),
    (
        "holes.max_population is ignored",
        "if holes.max_population is not None:",
        "if False:",
    ),
    ("max_area > becomes >=", "size_km2 > holes.max_area_km2", "size_km2 >= holes.max_area_km2"),
    (
        "the Prognoseraum border cuts on bzr_id",
        '"bezirk" if rules.border == "bezirk" else "pgr_id"',
        '"bezirk" if rules.border == "bezirk" else "bzr_id"',
    ),
    ("atlas strata: ties split", 'v.rank(method="min")', 'v.rank(method="first")'),
    (
        "population quantiles at the cumulative end",
        "np.cumsum(pop.to_numpy()[order]) - pop.to_numpy()[order] / 2",
        "np.cumsum(pop.to_numpy()[order])",
    ),
    ("count quantiles divided by n-1", "position * k / len(v)", "position * k / (len(v) - 1)"),
    (
        "rook with tolerance: > tol becomes > 0",
        "long_enough = shared.data > tol",
        "long_enough = shared.data > 0",
    ),
    ("outline threshold x10", "(seg_len - covered) > tol", "(seg_len - covered) > 10 * tol"),
    (
        "school coverage boundary",
        "has_data = coverage >= min_coverage",
        "has_data = coverage > min_coverage",
    ),
    ("zone transfer coverage boundary", "(coverage >= min_coverage)", "(coverage > min_coverage)"),
    ("group-part minimum boundary", "(c_pop < group_min)", "(c_pop <= group_min)"),
    (
        "numbering min_overlap boundary",
        "(share[best_new] >= min_overlap)",
        "(share[best_new] > min_overlap)",
    ),
    (
        "diff min_overlap boundary",
        'links["share_of_new"]) >= min_overlap',
        'links["share_of_new"]) > min_overlap',
    ),
    (
        "renumbering against a previous build in another CRS",
        "if previous.crs == areas.crs or previous.crs is None",
        "if True",
    ),
    (
        "the largest id's override name wins",
        "hit = hit[np.argsort(rank[hit])[::-1]]",
        "hit = hit[np.argsort(rank[hit])]",
    ),
    (
        "MSS class texts left in mixed case",
        '.str.replace(r"\\s+", " ", regex=True).str.lower()',
        '.str.replace(r"\\s+", " ", regex=True)',
    ),
]


def locate(snippet: str) -> Path | None:
    hits = [p for p in SRC.rglob("*.py") if p.read_text(encoding="utf-8").count(snippet) == 1]
    return hits[0] if len(hits) == 1 else None


def main(args: list[str]) -> int:
    pytest_args = args or ["tests/test_rule_edges.py"]
    failures = 0
    for name, snippet, replacement in BUGS:
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
                    *pytest_args,
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
