"""``make mutation``: mutation testing of the rule modules with mutmut, a score per module.

mutmut (configured in ``pyproject.toml`` ``[tool.mutmut]``) copies the source to ``mutants/``,
records which unit tests call each function, and runs every mutant against only those tests,
fastest first, stopping at the first failure. This script then reads mutmut's results and prints,
per module: mutants, killed (a test failed, timed out or the type checker refused it), survived,
not covered by any test, equivalent (excluded from the denominator) and the score
killed / (mutants - equivalent). It lists the survivors (``mutmut show NAME`` prints one) and
exits 1 when a module scores below the goal.

Equivalent mutants are reviewed in ``tests/mutation/equivalent.txt``: one per line,
``<mutant name>  # <why no observable behaviour can differ>``.

    .venv/bin/python scripts/mutation.py [--keep] [--jobs N] [--goal 0.9]

``--keep`` reuses the results of a previous run for functions that did not change (mutmut's
cache); by default ``mutants/`` is removed first, so the run is complete.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MUTANTS = ROOT / "mutants"
EQUIVALENT = ROOT / "tests" / "mutation" / "equivalent.txt"
KILLED = {1, 3, 24, -24, 36, 37, 152, 255}  # test failure, pytest error, timeout, type check
SURVIVED = {0}
NO_TESTS = {5, 33}


def equivalents() -> dict[str, str]:
    """Mutant name -> reason, from the reviewed file."""
    out = {}
    if EQUIVALENT.exists():
        for line in EQUIVALENT.read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            name, _, reason = line.partition("#")
            if not reason.strip():
                raise SystemExit(f"{EQUIVALENT.name}: {name.strip()} has no reason")
            out[name.strip()] = reason.strip()
    return out


def mutant_diffs(meta: Path) -> dict[str, str]:
    """Mutant name -> the changed lines ("- old | + new"), read from mutmut's mutated copy."""
    source = meta.with_suffix("")  # x.py.meta -> x.py
    text = source.read_text(encoding="utf-8")
    lines = text.splitlines()
    functions = {
        node.name: "\n".join(lines[node.lineno - 1 : node.end_lineno])
        for node in ast.walk(ast.parse(text))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    prefix = module_of(meta) + "."
    out = {}
    for name in json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]:
        local = name.removeprefix(prefix)
        function = re.sub(r"__mutmut_\d+$", "", local)
        original = functions.get(function + "__mutmut_orig", "").splitlines()[1:]
        mutated = functions.get(local.split(".")[-1], "").splitlines()[1:]
        changed = [
            f"{line[0]} {line[1:].strip()}"
            for line in difflib.unified_diff(original, mutated, lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))
        ]
        out[name] = " | ".join(changed)
    return out


def module_of(meta: Path) -> str:
    relative = meta.relative_to(MUTANTS / "src").with_suffix("").with_suffix("")
    return ".".join(relative.parts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="reuse mutmut's cached results")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--goal", type=float, default=0.9)
    parser.add_argument(
        "--report", action="store_true", help="only report the results in mutants/, run nothing"
    )
    args = parser.parse_args()
    if args.report:
        return report(args.goal, args.jobs, minutes=None)

    if not args.keep and MUTANTS.exists():
        shutil.rmtree(MUTANTS)
    env = {**os.environ, "HYPOTHESIS_PROFILE": "mutation"}  # the same examples for every mutant
    start = time.monotonic()
    run = subprocess.run(
        [sys.executable, "-m", "mutmut", "run", "--max-children", str(args.jobs)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    minutes = (time.monotonic() - start) / 60
    if run.returncode != 0:
        print(f"mutmut run failed (exit {run.returncode})", file=sys.stderr)
        return run.returncode
    return report(args.goal, args.jobs, minutes)


def report(goal: float, jobs: int, minutes: float | None) -> int:
    """Print the score per module from mutmut's results; 1 when a module is below ``goal``."""
    equivalent = equivalents()
    seen: set[str] = set()
    rows = []
    survivors: dict[str, list[str]] = defaultdict(list)
    failed = False
    diffs: dict[str, str] = {}
    for meta in sorted((MUTANTS / "src").rglob("*.py.meta")):
        codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
        if not codes:
            continue
        module = module_of(meta)
        with contextlib.suppress(OSError, SyntaxError, ValueError):
            diffs.update(mutant_diffs(meta))  # else the listing shows names only
        count: Counter[str] = Counter()
        for name, code in codes.items():
            if name in equivalent:
                count["equivalent"] += 1
                seen.add(name)
            elif code in KILLED:
                count["killed"] += 1
            elif code in SURVIVED or code in NO_TESTS:
                count["survived" if code in SURVIVED else "no tests"] += 1
                survivors[module].append(name)
            elif code is None:
                count["not checked"] += 1  # an interrupted run: left out of the score
            else:
                count["other"] += 1  # skipped, suspicious, crashed
                survivors[module].append(f"{name} (exit {code})")
        counted = len(codes) - count["equivalent"] - count["not checked"]
        score = count["killed"] / counted if counted else 1.0
        failed |= score < goal
        rows.append((module, len(codes), count, score))

    took = f"{minutes:.1f} min, {jobs} jobs" if minutes is not None else "results in mutants/"
    print(f"\nmutation score per module (mutmut, {took})\n")
    header = ("module", "mutants", "killed", "survived", "no tests", "other", "equiv.", "score")
    print("{:<34} {:>7} {:>7} {:>8} {:>8} {:>5} {:>6} {:>7}".format(*header), " not checked")
    for module, total, c, score in rows:
        print(
            f"{module:<34} {total:>7} {c['killed']:>7} {c['survived']:>8} {c['no tests']:>8} "
            f"{c['other']:>5} {c['equivalent']:>6} {score:>7.1%}",
            f" {c['not checked']}" if c["not checked"] else "",
        )
    stale = sorted(set(equivalent) - seen)
    if stale:
        print(f"\n{len(stale)} entries of {EQUIVALENT.name} name no mutant (renumbered?):")
        for name in stale:
            print(f"  {name}")
    listing = MUTANTS / "survivors.txt"
    lines = [name for module in sorted(survivors) for name in survivors[module]]
    listing.write_text(
        "".join(f"{name}    {diffs.get(name.split()[0], '')}\n" for name in lines),
        encoding="utf-8",
    )
    print(f"\nsurvivors ({len(lines)}; `mutmut show NAME` prints one, all in {listing.name}):")
    by_function = Counter(re.sub(r"__mutmut_\d+.*$", "", name) for name in lines)
    for function, n in by_function.most_common():
        print(f"  {n:>4}  {function}")
    if failed:
        print(f"\nbelow the goal of {goal:.0%} in at least one module")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
