"""Benchmark: the delineation stage on generated lattices, and the real Berlin build by stage.

``make bench`` runs this script. Each lattice size runs in its own subprocess so that the peak
resident memory (``ru_maxrss``) belongs to that size alone. Targets (issue 3, on 2 cores):
10^6 planning units delineated in under 60 s and 6 GB, scaling no worse than n log n. Issue 13:
the whole Berlin build within 2.5 x its I/O floor, measured in the same run; a warm
`quartiere history` of the five editions under 8 s. Issue 23: `quartiere site` under 15 s after a
build, the site under 15 MB.

Usage::

    python scripts/bench.py                 # 10^4, 10^5, 10^6 units + the Berlin build
    python scripts/bench.py --sizes 10000   # selected sizes only
    python scripts/bench.py --no-berlin
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "config" / "criteria.yaml"
TARGET_SECONDS = 60.0
TARGET_BYTES = 6 * 1024**3

__all__ = ["generate_lattice", "main"]


def _maxrss_bytes() -> int:
    # Linux reports kilobytes.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def generate_lattice(n: int, seed: int = 42):
    """Square lattice of about ``n`` 100 m planning units with spatially clustered flags.

    Districts are 4 x 3 blocks of the lattice, Bezirksregionen blocks of 16 x 16 units and
    Prognoseräume blocks of 32 x 32. Each criterion is Gaussian noise smoothed over a few cells
    and thresholded at a quantile (MSS 15 %, schools 4 %, atlas 14 %), so flags form patches
    like real disadvantaged neighbourhoods rather than salt-and-pepper. Ids are the 2-digit
    district code plus a 6-digit running number, so id order is not row order.
    """
    import geopandas as gpd
    import numpy as np
    import pandas as pd
    import shapely
    from scipy import ndimage

    side = math.isqrt(n)
    rng = np.random.default_rng(seed)
    rows, cols = np.divmod(np.arange(side * side), side)
    x0 = 370_000 + cols * 100.0
    y0 = 5_830_000 - rows * 100.0
    geometry = shapely.box(x0, y0, x0 + 100, y0 + 100)

    district = (rows * 3 // side) * 4 + (cols * 4 // side) + 1
    code = np.char.zfill(district.astype(str), 2)
    bzr = (rows // 16) * (side // 16 + 1) + cols // 16
    pgr = (rows // 32) * (side // 32 + 1) + cols // 32
    plr_id = np.char.add(code, np.char.zfill(np.arange(rows.size).astype(str), 6))

    def patches(share: float) -> np.ndarray:
        field = ndimage.gaussian_filter(rng.standard_normal((side, side)), sigma=3.0)
        return (field > np.quantile(field, 1 - share)).ravel().astype(np.int8)

    flags = {"c_mss": patches(0.15), "c_schools": patches(0.04), "c_atlas": patches(0.14)}
    frame = pd.DataFrame(
        {
            "plr_id": plr_id,
            "plr_name": np.char.add("PLR ", plr_id),
            "bzr_id": bzr.astype(str),
            "bzr_name": np.char.add("Region ", bzr.astype(str)),
            "pgr_id": pgr.astype(str),
            "pgr_name": np.char.add("Prognoseraum ", pgr.astype(str)),
            "bezirk": code,
            "bezirk_name": np.char.add("Bezirk ", code),
            "population": rng.poisson(3000, rows.size).astype(float),
            **{k: pd.array(v, dtype="Int8") for k, v in flags.items()},
        }
    )
    frame["n_criteria"] = sum(flags.values()).astype(np.int64)
    frame.index = pd.Index(frame["plr_id"], name="plr_id")
    return gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:25833")


def _worker(n: int) -> None:
    """Generate a lattice, delineate it once, print one JSON line (wall and CPU seconds)."""
    from quartiere.config import load_config
    from quartiere.delineate import delineate

    rules = load_config(CONFIG).delineation  # the configuration extends config/base/method.yaml
    frame = generate_lattice(n)
    baseline = _maxrss_bytes()
    start, cpu = time.perf_counter(), time.process_time()
    result = delineate(frame, rules)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(
        json.dumps(
            {
                "n": len(frame),
                "seconds": seconds,
                "cpu_seconds": cpu,
                "peak_bytes": _maxrss_bytes(),
                "delta_bytes": _maxrss_bytes() - baseline,
                "areas": len(result.areas),
                "members": int((result.members["hr_id"] != "").sum()),
            }
        )
    )


def _run_size(n: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--worker", str(n)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------------------------------
# Berlin build against its I/O floor (issue 13). Both are timed from outside as whole processes,
# alternated in the same run so that the machine's load hits both alike:
# - floor: a fresh process that imports geopandas, reads every input the default build reads and
#   writes the 542 planning areas to a GeoPackage;
# - `quartiere build` whole (GeoPackage, map, summary), warm (cache of derived inputs filled) and
#   cold (empty cache). Target: warm median within 2.5 x the floor median.
# Then `quartiere history` of the five editions, cold (empty cache and output) and warm (again).
# ------------------------------------------------------------------------------------------

FLOOR = """
import sys
import geopandas
import pandas
import pyogrio
*paths, out = sys.argv[1:]
layers = [pyogrio.read_dataframe(p) for p in paths if p.endswith((".geojson", ".gpkg", ".zip"))]
tables = [pandas.read_csv(p, sep=None, engine="python") for p in paths if p.endswith(".csv")]
pyogrio.write_dataframe(layers[0], out, layer="planungsraeume", driver="GPKG")
"""

FLOOR_RATIO_TARGET = 2.5
HISTORY_TARGET = 8.0


def _timed(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(args, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def _berlin(runs: int = 5) -> None:
    import os
    import statistics

    from quartiere.config import load_config

    cli = str(Path(sys.executable).with_name("quartiere"))
    paths = [str(p) for p in load_config(CONFIG).input_paths()]
    times: dict[str, list[float]] = {"floor": [], "warm": [], "cold": []}
    with tempfile.TemporaryDirectory() as tmp:
        warm_env = {**os.environ, "QUARTIERE_CACHE": f"{tmp}/cache"}
        # --fresh: the build itself, as the floor does it; without it a first build in a new
        # folder also computes the numbering lineage of every earlier edition in memory
        build = [cli, "build", "-q", "--fresh", "--config", str(CONFIG), "--out", f"{tmp}/b/x.gpkg"]
        subprocess.run(build, check=True, env=warm_env)  # fills the cache
        for i in range(runs):
            floor = [sys.executable, "-c", FLOOR, *paths, f"{tmp}/floor{i}.gpkg"]
            times["floor"].append(_timed(floor, dict(os.environ)))
            times["warm"].append(_timed(build, warm_env))
            cold_env = {**os.environ, "QUARTIERE_CACHE": f"{tmp}/cold{i}"}
            times["cold"].append(_timed(build, cold_env))
        editions = sorted(str(p) for p in (ROOT / "config" / "editions").glob("*.yaml"))
        history = [cli, "history", "-q", *editions, "--out", f"{tmp}/history"]
        hist_env = {**os.environ, "QUARTIERE_CACHE": f"{tmp}/hcache"}
        history_cold = _timed(history, hist_env)
        history_warm = [_timed(history, hist_env) for _ in range(3)]
    med = {k: statistics.median(v) for k, v in times.items()}
    ratio = med["warm"] / med["floor"]
    print(
        f"\nBerlin default build ({CONFIG.relative_to(ROOT)}), whole processes, {runs} runs "
        f"alternated, {os.cpu_count()} cores, median (min-max):"
    )
    for name, label in (
        ("floor", "I/O floor (import geopandas, read inputs, write 542 areas)"),
        ("warm", "`quartiere build` (GeoPackage, map, summary), warm cache"),
        ("cold", "`quartiere build`, empty cache"),
    ):
        v = times[name]
        print(f"  {label:<62} {med[name]:5.2f} s ({min(v):.2f}-{max(v):.2f})")
    print(
        f"  whole build / floor: warm {ratio:.2f} x, cold {med['cold'] / med['floor']:.2f} x "
        f"(target <= {FLOOR_RATIO_TARGET} x: {'met' if ratio <= FLOOR_RATIO_TARGET else 'MISSED'})"
    )
    warm = statistics.median(history_warm)
    verdict = "met" if warm < HISTORY_TARGET else "MISSED"
    print(
        f"  `quartiere history` of {len(editions)} editions: cold {history_cold:.1f} s, warm "
        f"{warm:.1f} s (target < {HISTORY_TARGET:.0f} s: {verdict})"
    )


def _cluster_berlin(calls: int = 2000) -> float:
    """Seconds per :func:`quartiere.delineate.cluster` call on Berlin's 542 planning areas, one
    prebuilt graph (issue 9: well under 10 ms, so 10^4 calls take under 60 s)."""
    from quartiere.config import load_config
    from quartiere.contiguity import build_contiguity
    from quartiere.delineate import Territory, cluster
    from quartiere.load import load_inputs
    from quartiere.pipeline import evaluate_criteria, harmonize
    from quartiere.rules import rule_values

    config = load_config(CONFIG)
    inputs = load_inputs(config)
    flags = evaluate_criteria(inputs, harmonize(inputs, config), config.criteria)
    plr = inputs.planning_areas.join(inputs.population).join(flags)
    rules = config.delineation
    graph = build_contiguity(plr.geometry.values, rules.contiguity, rules.snap_tolerance_m)
    territory = Territory.from_frame(plr, plr.index.to_numpy(dtype=object))
    values = rule_values(flags)  # as a sensitivity run holds them: float arrays
    cluster(values, rules, graph, territory)  # warm-up
    start = time.perf_counter()
    for _ in range(calls):
        result = cluster(values, rules, graph, territory)
    per_call = (time.perf_counter() - start) / calls
    print(
        f"\ncluster(...) on Berlin ({len(plr)} PLR, prebuilt graph): {per_call * 1e3:.2f} ms per "
        f"call over {calls} calls ({result.n_areas} areas); 10^4 calls: {per_call * 1e4:.1f} s"
    )
    return per_call


# ------------------------------------------------------------------------------------------
# Robustness atlas (issue 11): scenarios per second on Berlin against one `quartiere build`.
# Goal: 10,000 scenarios in under 60 s on 2 cores, peak memory (all processes) under 2 GB.
# ------------------------------------------------------------------------------------------


def _sensitivity(samples: int = 1024, workers: int | None = None) -> None:
    import threading

    import psutil

    from quartiere.sensitivity.run import run_sensitivity

    cli = Path(sys.executable).with_name("quartiere")
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        subprocess.run(
            [str(cli), "build", "--config", str(CONFIG), "--out", f"{tmp}/b.gpkg", "-q"],
            check=True,
        )
        build_seconds = time.perf_counter() - start

        me = psutil.Process()
        peak = [0]
        stop = threading.Event()

        def sample_rss() -> None:
            while not stop.is_set():
                try:
                    procs = [me, *me.children(recursive=True)]
                    peak[0] = max(peak[0], sum(p.memory_info().rss for p in procs))
                except psutil.Error:
                    pass
                time.sleep(0.2)

        thread = threading.Thread(target=sample_rss, daemon=True)
        thread.start()
        start = time.perf_counter()
        atlas = run_sensitivity(
            CONFIG,
            ROOT / "config" / "sensitivity.yaml",
            Path(tmp) / "atlas",
            samples=samples,
            workers=workers,
        )
        total = time.perf_counter() - start
        stop.set()
        thread.join()
    n = len(atlas.rows)
    seconds = atlas.info["scenario_seconds"]
    rate = n / seconds
    per_10k = 10_000 / rate
    print(f"\nRobustness atlas (config/sensitivity.yaml, {samples} samples, {n:,} scenarios):")
    print(f"  one `quartiere build` (process, with map and summary): {build_seconds:.2f} s")
    print(
        f"  scenarios: {seconds:.1f} s = {rate:,.0f} scenarios/s "
        f"({rate * build_seconds:,.0f} x faster than a build per scenario); "
        f"whole run with loading, analysis and outputs: {total:.1f} s"
    )
    print(
        f"  10,000 scenarios: {per_10k:.1f} s "
        f"(target < 60 s: {'met' if per_10k < 60 else 'MISSED'})"
        f"; peak memory, all processes: {peak[0] / 2**30:.2f} GB "
        f"(target < 2 GB: {'met' if peak[0] < 2 * 2**30 else 'MISSED'})"
    )


PROFILES_TARGET = 15.0


def _tree_run(args: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run a command; its wall time, the CPU time of its whole process tree (sampled every
    50 ms, so Chromium's processes count too) and its stderr."""
    import psutil

    start = time.perf_counter()
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    root = psutil.Process(proc.pid)
    seen: dict[tuple[int, float], float] = {}
    while proc.poll() is None:
        try:
            procs = [root, *root.children(recursive=True)]
        except psutil.Error:
            procs = []
        for p in procs:
            try:
                times = p.cpu_times()
                seen[(p.pid, p.create_time())] = times.user + times.system
            except psutil.Error:
                pass
        time.sleep(0.05)
    seconds = time.perf_counter() - start
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode:
        raise subprocess.CalledProcessError(proc.returncode, args, stderr=err)
    return seconds, sum(seen.values()), err


def _profiles(runs: int = 2) -> None:
    """`quartiere profiles` for every area of the default build: HTML and PDF (issue 12). The
    first run follows the build (the trend over the editions is not cached yet: `make build`
    then `make profiles`), the next ones repeat it."""
    import os
    import re

    from quartiere.profiles.printing import find_chromium

    cli = Path(sys.executable).with_name("quartiere")
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "QUARTIERE_CACHE": f"{tmp}/cache"}
        gpkg = Path(tmp) / "handlungsraeume.gpkg"
        subprocess.run(
            [str(cli), "build", "-q", "--config", str(CONFIG), "--out", str(gpkg)],
            check=True,
            env=env,
        )
        pdf = find_chromium() is not None
        args = [str(cli), "profiles", "--config", str(CONFIG), "--build", str(gpkg)]
        args += ["--out", str(Path(tmp) / "profiles")] + ([] if pdf else ["--no-pdf"])
        results = [_tree_run(args, env) for _ in range(runs)]
        files = list((Path(tmp) / "profiles").iterdir())
    what = "HTML + PDF" if pdf else "HTML only (no Chromium found)"
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\n`quartiere profiles` ({what}, {len(files)} files; load average {load}):")
    for i, (seconds, cpu, err) in enumerate(results):
        # The command's own phases, from its start: "trend over 5 editions   0.54 s" etc.
        phases = "; ".join(
            f"{m.group(1)} {float(m.group(2)):.1f} s"
            for m in re.finditer(
                r"^(trend|\d+ pages written|\d+ PDFs printed)\D.*?([\d.]+) s$", err, re.M
            )
        )
        label = "after the build" if i == 0 else "again"
        print(
            f"  {label:<15} {seconds:5.1f} s, CPU {cpu:5.1f} s (all processes) "
            f"= {seconds / PROFILES_TARGET:.2f} x the {PROFILES_TARGET:.0f} s target "
            f"({'met' if seconds < PROFILES_TARGET else 'MISSED'})"
        )
        if phases:
            print(f"    phases from its start: {phases}")


SITE_TARGET_SECONDS = 15.0
SITE_TARGET_BYTES = 15e6


def _site(runs: int = 2, history: bool = True) -> None:
    """`quartiere site` after a build (issue 23): the map of the build alone, and with the
    history of every edition (the editions switcher); wall and CPU time, and the site's size."""
    import os

    cli = Path(sys.executable).with_name("quartiere")
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "QUARTIERE_CACHE": f"{tmp}/cache"}
        gpkg = Path(tmp) / "build" / "handlungsraeume.gpkg"
        quiet = {"check": True, "env": env, "stdout": subprocess.DEVNULL}
        subprocess.run([str(cli), "build", "-q", "--config", str(CONFIG), "--out", str(gpkg)],
                       **quiet)  # fmt: skip
        variants = [("build only", [])]
        if history:
            editions = sorted(str(p) for p in (ROOT / "config" / "editions").glob("*.yaml"))
            hist = Path(tmp) / "history"
            subprocess.run([str(cli), "history", "-q", *editions, "--out", str(hist)], **quiet)
            variants.append(("with history", ["--history", str(hist)]))
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"\n`quartiere site` after a build (load average {load}):")
        for label, extra in variants:
            out = Path(tmp) / "site"
            args = [str(cli), "site", "-q", "--build", str(gpkg), *extra, "--out", str(out)]
            for i in range(runs):
                seconds, cpu, _ = _tree_run(args, env)
                files = [p for p in out.rglob("*") if p.is_file()]
                size = sum(p.stat().st_size for p in files)
                data = sum(p.stat().st_size for p in (out / "data").iterdir())
                print(
                    f"  {label:<13} run {i + 1}: {seconds:5.1f} s, CPU {cpu:5.1f} s "
                    f"= {seconds / SITE_TARGET_SECONDS:.2f} x the {SITE_TARGET_SECONDS:.0f} s "
                    f"target; {size / 1e6:.1f} MB in {len(files)} files (data {data / 1e6:.1f} "
                    f"MB) = {size / SITE_TARGET_BYTES:.2f} x the 15 MB target"
                )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[10**4, 10**5, 10**6])
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--no-berlin", action="store_true", help="skip the real Berlin build")
    parser.add_argument("--runs", type=int, default=5, help="alternated floor/build runs")
    parser.add_argument("--no-sensitivity", action="store_true", help="skip the atlas benchmark")
    parser.add_argument("--sensitivity-samples", type=int, default=1024, help="Saltelli samples")
    parser.add_argument("--no-profiles", action="store_true", help="skip `quartiere profiles`")
    parser.add_argument("--no-site", action="store_true", help="skip `quartiere site`")
    args = parser.parse_args(argv)
    if args.worker:
        _worker(args.worker)
        return 0

    print("Delineation stage on generated lattices (default rules from config/criteria.yaml)")
    print(
        f"{'units':>10} {'seconds':>9} {'peak RSS':>10} {'stage RSS':>10} {'areas':>7} "
        f"{'exponent':>9} {'n log n':>8}"
    )
    previous = None
    ok = True
    for n in args.sizes:
        row = _run_size(n)
        exponent = ref = ""
        if previous is not None:
            n1, t1 = previous["n"], previous["seconds"]
            n2, t2 = row["n"], row["seconds"]
            exponent = f"{math.log(t2 / t1) / math.log(n2 / n1):.2f}"
            # The exponent n log n itself would show between these two sizes.
            ref = f"{1 + math.log(math.log(n2) / math.log(n1)) / math.log(n2 / n1):.2f}"
        print(
            f"{row['n']:>10,} {row['seconds']:>9.2f} {row['peak_bytes'] / 2**30:>8.2f}GB "
            f"{row['delta_bytes'] / 2**30:>8.2f}GB {row['areas']:>7} {exponent:>9} {ref:>8}"
        )
        if row["n"] >= 10**6:
            ok &= row["seconds"] < TARGET_SECONDS and row["peak_bytes"] < TARGET_BYTES
        previous = row
    if any(n >= 10**6 for n in args.sizes):
        print(f"10^6 target (< {TARGET_SECONDS:.0f} s, < 6 GB peak): {'met' if ok else 'MISSED'}")
    if not args.no_berlin:
        _berlin(args.runs)
        _cluster_berlin()
    if not args.no_sensitivity:
        _sensitivity(args.sensitivity_samples)
    if not args.no_profiles:
        _profiles()
    if not args.no_site:
        _site()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
