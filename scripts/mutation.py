"""``make mutation``: mutation testing of the rule modules with mutmut, a score per module.

Each module in ``MODULES`` runs on its own, in ``mutants/<module>/``: mutmut (shared settings in
``pyproject.toml`` ``[tool.mutmut]``) mutates only that module's source, records which of the
module's fast unit tests call each function, and runs every mutant against only those tests,
fastest first, stopping at the first failure, two mutants at a time, each with a CPU-time limit.
This script then reads mutmut's results and prints, per module: mutants, killed (a test failed,
timed out or the type checker refused it), survived, not covered by any test, equivalent
(excluded from the denominator), the score killed / (mutants - equivalent) and the run time
(wall clock and the CPU minutes of mutmut and its workers). It flags entries of the equivalent
list whose mutant no longer exists or is killed, lists the survivors (``mutants/survivors.txt``)
and exits 1 when a module scores below the goal.

Equivalent mutants are reviewed in ``tests/mutation/equivalent.txt``: one per line,
``<mutant name>  # <why no observable behaviour can differ>``.

    .venv/bin/python scripts/mutation.py [MODULE ...] [--keep] [--jobs 2] [--goal 0.9] [--report]

``make mutation MODULES=contiguity`` runs one module. ``--keep`` reuses the results of a previous
run for functions that did not change (mutmut's cache); by default the module's directory is
removed first, so the run is complete. ``--report`` only prints the results already in mutants/.
A single mutant reruns with ``cd mutants/<module> && ../../.venv/bin/python -m mutmut run NAME``.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import difflib
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import time
import tomllib
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MUTANTS = ROOT / "mutants"
EQUIVALENT = ROOT / "tests" / "mutation" / "equivalent.txt"
KILLED = {1, 3, 24, -24, 36, 37, 152, 255}  # test failure, pytest error, timeout, type check
SURVIVED = {0}
NO_TESTS = {5, 33}

# module -> (the source mutated, the fast unit tests that exercise it). Each module's tests are
# the ones written for it plus the edge tests; slower whole-pipeline tests are left out, so a
# surviving mutant reruns a few seconds of tests, not the suite.
MODULES: dict[str, tuple[str, list[str]]] = {
    "criteria": (
        "src/quartiere/criteria.py",
        [
            "tests/test_criteria.py",
            "tests/test_criteria_harmonize_contracts.py",
            "tests/test_extend.py",
            "tests/test_rule_edges.py",
        ],
    ),
    "harmonize": (
        "src/quartiere/harmonize.py",
        [
            "tests/test_harmonize.py",
            "tests/test_criteria_harmonize_contracts.py",
            "tests/test_rule_edges.py",
        ],
    ),
    "contiguity": (
        "src/quartiere/contiguity.py",
        ["tests/test_contiguity.py", "tests/test_contiguity_parts.py", "tests/test_rule_edges.py"],
    ),
    "clustering": (
        "src/quartiere/delineate/clustering.py",
        [
            "tests/test_clustering_phases.py",
            "tests/test_clustering.py",
            "tests/test_delineate.py",
            "tests/test_rule_edges.py",
        ],
    ),
    "matching": (
        "src/quartiere/compare/matching.py",
        ["tests/test_matching.py", "tests/test_diff.py", "tests/test_rule_edges.py"],
    ),
    "rules": (
        "src/quartiere/rules.py",
        ["tests/test_rules.py", "tests/test_rule_edges.py"],
    ),
    "atlas": ("src/quartiere/sensitivity/atlas.py", ["tests/test_sensitivity.py"]),
    "scenario": (
        "src/quartiere/sensitivity/scenario.py",
        ["tests/test_sensitivity.py", "tests/test_scenario.py"],
    ),
    "outputs": (
        "src/quartiere/sensitivity/outputs.py",
        ["tests/test_sensitivity_outputs.py", "tests/test_atlas_gpkg.py"],
    ),
    "diff": ("src/quartiere/compare/diff.py", ["tests/test_diff.py", "tests/test_diff_fields.py"]),
}


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)  # strings, numbers and lists of them are valid TOML as JSON


def prepare(module: str, keep: bool) -> Path:
    """``mutants/<module>/``: links to src/, tests/ and the ``also_copy`` paths, and a
    pyproject.toml for this module."""
    work = MUTANTS / module
    if not keep and work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    settings = tomllib.loads(text)["tool"]["mutmut"]
    for name in ("src", "tests", *settings.get("also_copy", [])):
        link = work / name
        if not link.exists():
            link.symlink_to(Path("..", "..", name))
    source, tests = MODULES[module]
    settings = {**settings, "only_mutate": [source], "pytest_add_cli_args_test_selection": tests}
    own = "[tool.mutmut]\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in settings.items())
    text = re.sub(r"(?ms)^\[tool\.mutmut\]\n.*?(?=^\[|\Z)", "", text) + "\n" + own
    if not (work / "pyproject.toml").exists() or (work / "pyproject.toml").read_text() != text:
        (work / "pyproject.toml").write_text(text, encoding="utf-8")
    return work


def _children_cpu() -> float:
    """CPU seconds (user + system) of the finished child processes so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_module(module: str, jobs: int, keep: bool) -> float | None:
    """Run mutmut on one module; its wall-clock minutes, or None when mutmut failed."""
    work = prepare(module, keep)
    env = {**os.environ, "HYPOTHESIS_PROFILE": "mutation"}  # the same examples for every mutant
    start, cpu = time.monotonic(), _children_cpu()
    print(f"{module}: running mutmut ({jobs} jobs) ...", flush=True)
    run = subprocess.run(
        [sys.executable, "-m", "mutmut", "run", "--max-children", str(jobs)],
        cwd=work,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    minutes, cpu = (time.monotonic() - start) / 60, (_children_cpu() - cpu) / 60
    if run.returncode != 0:
        print(f"{module}: mutmut run failed (exit {run.returncode})", file=sys.stderr)
        return None
    (work / "minutes.txt").write_text(f"{minutes:.2f} {jobs} {cpu:.2f}\n", encoding="utf-8")
    return minutes


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


def mutant_diffs(meta: Path, prefix: str) -> dict[str, str]:
    """Mutant name -> the changed lines ("- old | + new"), read from mutmut's mutated copy."""
    source = meta.with_suffix("")  # x.py.meta -> x.py
    text = source.read_text(encoding="utf-8")
    lines = text.splitlines()
    functions = {
        node.name: "\n".join(lines[node.lineno - 1 : node.end_lineno])
        for node in ast.walk(ast.parse(text))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    out = {}
    for name in json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]:
        local = name.removeprefix(prefix + ".")
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", metavar="MODULE", help=f"of {', '.join(MODULES)}")
    parser.add_argument("--keep", action="store_true", help="reuse mutmut's cached results")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--goal", type=float, default=0.9)
    parser.add_argument(
        "--report", action="store_true", help="only report the results in mutants/, run nothing"
    )
    args = parser.parse_args()
    modules = [m for arg in args.modules for m in arg.replace(",", " ").split()] or list(MODULES)
    unknown = sorted(set(modules) - set(MODULES))
    if unknown:
        print(f"unknown module {', '.join(unknown)}; one of {', '.join(MODULES)}", file=sys.stderr)
        return 2
    if not args.report:
        start = time.monotonic()
        failed = [m for m in modules if run_module(m, args.jobs, args.keep) is None]
        print(f"\nall {len(modules)} modules: {(time.monotonic() - start) / 60:.1f} min")
        if failed:
            return 2
    return report(modules, args.goal)


def report(modules: list[str], goal: float) -> int:
    """Print the score per module from mutmut's results; 1 when a module is below ``goal``."""
    equivalent = equivalents()
    seen: set[str] = set()
    killed_listed: list[str] = []  # listed as equivalent, yet a test kills the mutant
    rows: list[tuple[str, str, int | None, Counter[str], float | None, str]] = []
    survivors: dict[str, list[str]] = defaultdict(list)
    failed = False
    diffs: dict[str, str] = {}
    for module in modules:
        source = MODULES[module][0]
        prefix = ".".join(Path(source).relative_to("src").with_suffix("").parts)
        meta = MUTANTS / module / "mutants" / (source + ".meta")
        if not meta.exists():
            rows.append((module, prefix, None, Counter(), None, ""))
            continue
        codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
        with contextlib.suppress(OSError, SyntaxError, ValueError):
            diffs.update(mutant_diffs(meta, prefix))  # else the listing shows names only
        count: Counter[str] = Counter()
        for name, code in codes.items():
            seen.update({name} & equivalent.keys())
            if name in equivalent and (code in SURVIVED or code in NO_TESTS):
                count["equivalent"] += 1
            elif code in KILLED:
                if name in equivalent:
                    killed_listed.append(name)
                count["killed"] += 1
            elif code in SURVIVED or code in NO_TESTS:
                count["survived" if code in SURVIVED else "no tests"] += 1
                survivors[prefix].append(name)
            elif code is None:
                count["not checked"] += 1  # an interrupted run: left out of the score
            else:
                count["other"] += 1  # skipped, suspicious, crashed
                survivors[prefix].append(f"{name} (exit {code})")
        counted = len(codes) - count["equivalent"] - count["not checked"]
        score = count["killed"] / counted if counted else 1.0
        failed |= score < goal
        timing = MUTANTS / module / "minutes.txt"
        took = ""
        if timing.exists():
            minutes, jobs, *cpu = timing.read_text(encoding="utf-8").split()
            took = f"{float(minutes):.1f} min/{jobs}"
            took += f", {float(cpu[0]):.1f} CPU-min" if cpu else ""
        rows.append((module, prefix, len(codes), count, score, took))

    print("\nmutation score per module (mutmut; wall-clock minutes / parallel jobs, CPU minutes)\n")
    header = ("module", "mutants", "killed", "survived", "no tests", "other", "equiv.", "score")
    print("{:<34} {:>7} {:>7} {:>8} {:>8} {:>5} {:>6} {:>7}".format(*header), "  time")
    for _module, prefix, total, c, shown, took in rows:
        if total is None:
            print(f"{prefix:<34} not run")
            continue
        print(
            f"{prefix:<34} {total:>7} {c['killed']:>7} {c['survived']:>8} {c['no tests']:>8} "
            f"{c['other']:>5} {c['equivalent']:>6} {shown:>7.1%}  {took}",
            f" (not checked: {c['not checked']})" if c["not checked"] else "",
        )
    prefixes = tuple(row[1] + "." for row in rows)
    stale = sorted(n for n in set(equivalent) - seen if n.startswith(prefixes))
    if stale:
        print(f"\n{len(stale)} entries of {EQUIVALENT.name} name no mutant (renumbered?):")
        for name in stale:
            print(f"  {name}")
    if killed_listed:
        print(f"\n{len(killed_listed)} entries of {EQUIVALENT.name} name a killed mutant (remove):")
        for name in sorted(killed_listed):
            print(f"  {name}")
    listing = MUTANTS / "survivors.txt"
    lines = [name for prefix in sorted(survivors) for name in survivors[prefix]]
    MUTANTS.mkdir(exist_ok=True)
    listing.write_text(
        "".join(f"{name}    {diffs.get(name.split()[0], '')}\n" for name in lines),
        encoding="utf-8",
    )
    print(f"\nsurvivors ({len(lines)}; all with their diff in mutants/{listing.name}):")
    by_function = Counter(re.sub(r"__mutmut_\d+.*$", "", name) for name in lines)
    for function, n in by_function.most_common():
        print(f"  {n:>4}  {function}")
    if failed:
        print(f"\nbelow the goal of {goal:.0%} in at least one module")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
