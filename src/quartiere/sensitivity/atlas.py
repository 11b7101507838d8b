"""The robustness atlas: sample a plan, run every scenario, analyse and write the outputs."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from quartiere import ATTRIBUTION
from quartiere.config import Config, load_config
from quartiere.errors import ConfigError
from quartiere.sensitivity.engine import Progress, run_scenarios
from quartiere.sensitivity.plan import Plan, load_plan
from quartiere.sensitivity.scenario import Context, prepare_context

__all__ = [
    "ROBUST_IN",
    "ROBUST_OUT",
    "Atlas",
    "sample",
    "analyse",
    "run_sensitivity",
    "write_outputs",
    "classify",
]

ROBUST_IN = 0.9  # in an area in at least 90 % of the scenarios
ROBUST_OUT = 0.1  # in at most 10 %
STABLE_OVERLAP = 0.5  # a scenario area covering at least half of a reference area "keeps" it
CLASSES = ("robust_in", "contested", "robust_out")


def classify(frequency: np.ndarray) -> np.ndarray:
    """robust_in (>= 90 %), robust_out (<= 10 %) or contested, per inclusion frequency."""
    out = np.full(frequency.shape, "contested", dtype=object)
    out[frequency >= ROBUST_IN - 1e-12] = "robust_in"
    out[frequency <= ROBUST_OUT + 1e-12] = "robust_out"
    return out


def sample(plan: Plan, samples: int | None = None, seed: int | None = None) -> np.ndarray:
    """Saltelli/Sobol' sample rows on [0, 1]^D: N * (D + 2) scenarios, first-order and total."""
    from SALib.sample import sobol as sobol_sample

    n = plan.samples if samples is None else samples
    if n < 2 or n & (n - 1):
        raise ConfigError(f"samples: {n} must be a power of two (Sobol' sequence), e.g. 256")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.asarray(
            sobol_sample.sample(
                plan.problem(),
                n,
                calc_second_order=False,
                scramble=True,
                seed=plan.seed if seed is None else seed,
            )
        )


def sobol_indices(plan: Plan, y: np.ndarray, seed: int) -> pd.DataFrame:
    """First-order and total Sobol' indices with 95 % bootstrap confidence half-widths.

    An output that does not vary has no variance to apportion: every index is 0.
    """
    from SALib.analyze import sobol

    y = np.asarray(y, dtype=float)
    if np.ptp(y) == 0:
        zeros = np.zeros(len(plan.parameters))
        return pd.DataFrame(
            {"S1": zeros, "S1_conf": zeros, "ST": zeros, "ST_conf": zeros}, index=plan.names
        )
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        res = sobol.analyze(
            plan.problem(), y, calc_second_order=False, num_resamples=200, seed=seed
        )
    return pd.DataFrame(
        {
            k: np.nan_to_num(np.asarray(res[k], dtype=float))
            for k in ("S1", "S1_conf", "ST", "ST_conf")
        },
        index=plan.names,
    )


@dataclass
class Atlas:
    """Everything the outputs show, computed from the scenario arrays."""

    plan: Plan
    rows: np.ndarray
    decoded: list[list[Any]]
    results: dict[str, np.ndarray]
    plr: pd.DataFrame  # per PLR: plr_id, names, inclusion/seed frequency, class, flips
    areas: pd.DataFrame  # per reference area: stability, mean Jaccard
    drivers: dict[str, pd.DataFrame]  # output -> Sobol indices per parameter
    flips: np.ndarray  # parameters x PLR: share of paired samples where the parameter flips it
    info: dict[str, Any] = field(default_factory=dict)


def _area_overlap(
    labels: np.ndarray, members: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per scenario: the largest share of a reference area (``members``, positions) covered by one
    scenario area, and the best Jaccard index (both weighted by ``weights``, PLR areas)."""
    s, _ = labels.shape
    k = int(labels.max()) + 2  # label -1 -> column 0
    offset = (np.arange(s)[:, None] * k + labels + 1).ravel()
    sizes = np.bincount(offset, np.tile(weights, s), minlength=s * k).reshape(s, k)
    sub = (np.arange(s)[:, None] * k + labels[:, members] + 1).ravel()
    inter = np.bincount(sub, np.tile(weights[members], s), minlength=s * k).reshape(s, k)
    inter[:, 0] = 0.0  # outside every area
    total = weights[members].sum()
    share = inter.max(axis=1) / total
    with np.errstate(invalid="ignore", divide="ignore"):
        jaccard = np.where(inter > 0, inter / (total + sizes - inter), 0.0)
    return share, jaccard.max(axis=1)


def analyse(
    plan: Plan,
    rows: np.ndarray,
    results: dict[str, np.ndarray],
    reference_plr: pd.DataFrame,
    reference_areas: pd.DataFrame,
    plr_area_m2: np.ndarray,
    seed: int,
) -> Atlas:
    """Frequencies, classes, area stability and Sobol' indices from the scenario arrays.

    ``reference_plr`` has one row per PLR in context order (plr_id, plr_name, bezirk, in_reference);
    ``reference_areas`` one row per area of the reference build (hr_id, hr_name, members:
    positions).
    """
    inside = results["inside"]
    d = len(plan.parameters)
    freq = inside.mean(axis=0)
    seed_freq = results["seed"].mean(axis=0)
    n_base = len(rows) // (d + 2)
    blocks = inside.reshape(n_base, d + 2, -1)
    # Saltelli blocks: row 0 = A, rows 1..D = A with parameter k taken from B.
    flips = np.stack([(blocks[:, 0] != blocks[:, 1 + k]).mean(axis=0) for k in range(d)])
    plr = reference_plr.copy()
    plr["inclusion"] = freq
    plr["seed_frequency"] = seed_freq
    plr["class"] = classify(freq)
    order = np.argsort(-flips, axis=0, kind="stable")
    plr["flipped_by"] = [
        ", ".join(f"{plan.names[k]} ({flips[k, j]:.0%})" for k in order[:3, j] if flips[k, j] > 0)
        for j in range(inside.shape[1])
    ]

    drivers = {
        "n_areas": sobol_indices(plan, results["n_areas"], seed),
        "population": sobol_indices(plan, results["population"], seed),
    }
    stability, jaccard = [], []
    for _, area in reference_areas.iterrows():
        share, best = _area_overlap(results["label"], np.asarray(area["members"]), plr_area_m2)
        exists = share >= STABLE_OVERLAP - 1e-12
        stability.append(exists.mean())
        jaccard.append(best.mean())
        drivers[f"area {area['hr_id']}"] = sobol_indices(plan, exists.astype(float), seed)
    areas = reference_areas.drop(columns=["members"]).copy()
    areas["stability"] = stability
    areas["mean_jaccard"] = jaccard
    decoded = [plan.decode(r) for r in rows]
    return Atlas(plan, rows, decoded, results, plr, areas, drivers, flips)


# --------------------------------------------------------------------------------------------
# Outputs
# --------------------------------------------------------------------------------------------


def scenarios_table(atlas: Atlas) -> str:
    """scenarios.csv: every scenario's parameter values and summary figures, byte-stable."""
    plan = atlas.plan
    lines = [",".join(["scenario", *plan.names, "n_areas", "population", "n_plr"])]
    for i, decoded in enumerate(atlas.decoded):
        cells = [str(i)]
        for p, v in zip(plan.parameters, decoded, strict=True):
            text = p.label(v)
            cells.append(
                '"' + text.replace('"', '""') + '"' if ("," in text or '"' in text) else text
            )
        cells += [
            str(int(atlas.results["n_areas"][i])),
            f"{atlas.results['population'][i]:.0f}",
            str(int(atlas.results["inside"][i].sum())),
        ]
        lines.append(",".join(cells))
    return "\n".join(lines) + "\n"


def _driver_rows(table: pd.DataFrame, top: int | None = None) -> list[str]:
    table = table.sort_values("ST", ascending=False, kind="stable")
    if top:
        table = table.head(top)
    return [
        f"| {name} | {r.S1:.2f} ± {r.S1_conf:.2f} | {r.ST:.2f} ± {r.ST_conf:.2f} |"
        for name, r in table.iterrows()
    ]


def memo(atlas: Atlas, edition: str, elapsed: float) -> str:
    """sensitivity.md: robust core, contested areas, and what drives the result."""
    plan = atlas.plan
    plr = atlas.plr
    n_scen = len(atlas.rows)
    core = plr[plr["class"] == "robust_in"]
    contested = plr[plr["class"] == "contested"].sort_values("inclusion", ascending=False)
    out = [
        f"# Robustness atlas: {edition}",
        "",
        f"{n_scen:,} scenarios ({plan.samples} Saltelli base samples x ({len(plan.parameters)} "
        f"parameters + 2), seed {plan.seed}), run in {elapsed:.1f} s. Each scenario is one "
        "plausible rule set from the plan; a planning area's inclusion frequency is the share of "
        "scenarios in which it belongs to a Handlungsraum.",
        "",
        "## Parameters",
        "",
        "| parameter | key | varied over |",
        "|---|---|---|",
    ]
    for p in plan.parameters:
        span = (
            " / ".join(f"`{label}`" for label in p.labels)
            if p.kind == "choice"
            else f"{p.low:g} .. {p.high:g}"
        )
        out.append(f"| {p.name} | `{p.key}` | {span} |")
    figures = atlas.results
    out += [
        "",
        "## Summary",
        "",
        f"- Number of areas: median {np.median(figures['n_areas']):.0f}, range "
        f"{figures['n_areas'].min()}-{figures['n_areas'].max()}.",
        f"- Population covered: median {np.median(figures['population']):,.0f}, range "
        f"{figures['population'].min():,.0f}-{figures['population'].max():,.0f}.",
        f"- Robust core (in >= {ROBUST_IN:.0%} of scenarios): {len(core)} planning areas, "
        f"{core['population'].sum():,.0f} inhabitants.",
        f"- Contested ({ROBUST_OUT:.0%} < inclusion < {ROBUST_IN:.0%}): {len(contested)} planning "
        "areas.",
        f"- Robustly out (in <= {ROBUST_OUT:.0%}): {int((plr['class'] == 'robust_out').sum())} "
        "planning areas.",
        "",
        "## What drives the result",
        "",
        "Sobol' indices: S1 = share of the output's variance due to the parameter alone, ST = "
        "including its interactions (± 95 % confidence half-width). ST near 0: the parameter does "
        "not matter for this output.",
    ]
    for title, key in (("Number of areas", "n_areas"), ("Population covered", "population")):
        out += ["", f"### {title}", "", "| parameter | S1 | ST |", "|---|---:|---:|"]
        out += _driver_rows(atlas.drivers[key])
    out += [
        "",
        "## Reference areas",
        "",
        f"Stability = share of scenarios with an area covering at least {STABLE_OVERLAP:.0%} of "
        "the reference area (by surface); mean Jaccard = average best overlap / union. Drivers: "
        "parameters with the largest total index ST of the area's existence.",
        "",
        "| Nr. | Name | stability | mean Jaccard | drivers (ST) |",
        "|---|---|---:|---:|---|",
    ]
    for _, area in atlas.areas.iterrows():
        table = atlas.drivers[f"area {area['hr_id']}"].sort_values("ST", ascending=False)
        table = table[table["ST"] >= 0.05].head(3)
        drivers = ", ".join(f"{n} {r.ST:.2f} ± {r.ST_conf:.2f}" for n, r in table.iterrows())
        out.append(
            f"| {area['hr_id']} | {area['hr_name']} | {area['stability']:.0%} | "
            f"{area['mean_jaccard']:.2f} | {drivers or '-'} |"
        )
    out += [
        "",
        "## Robust core",
        "",
        f"{len(core)} planning areas are in a Handlungsraum in at least {ROBUST_IN:.0%} of the "
        "scenarios:",
        "",
    ]
    for bezirk, group in core.groupby("bezirk", sort=True):
        names = ", ".join(f"{r.plr_id} {r.plr_name}" for r in group.itertuples())
        out.append(f"- **{bezirk}** ({len(group)}): {names}")
    out += [
        "",
        "## Contested planning areas",
        "",
        "Their fate hinges on the rules. 'Flipped by': share of paired scenarios in which changing "
        "only that parameter moves the area in or out.",
        "",
        "| PLR | Name | Bezirk | inclusion | in reference build | flipped by |",
        "|---|---|---|---:|---|---|",
    ]
    for r in contested.itertuples():
        ref = "yes" if r.in_reference else "no"
        out.append(
            f"| {r.plr_id} | {r.plr_name} | {r.bezirk} | {r.inclusion:.1%} | {ref} | "
            f"{r.flipped_by} |"
        )
    out += ["", f"Data: {ATTRIBUTION}", ""]
    return "\n".join(out)


def atlas_json(atlas: Atlas, edition: str, elapsed: float) -> dict[str, Any]:
    plan = atlas.plan
    return {
        "edition": edition,
        "plan": plan.source and Path(plan.source).name,
        "samples": plan.samples,
        "seed": plan.seed,
        "n_scenarios": len(atlas.rows),
        "elapsed_s": round(elapsed, 2),
        "thresholds": {"robust_in": ROBUST_IN, "robust_out": ROBUST_OUT},
        "parameters": [
            {
                "name": p.name,
                "key": p.key,
                "kind": p.kind,
                **(
                    {"choices": list(p.labels)}
                    if p.kind == "choice"
                    else {"range": [p.low, p.high]}
                ),
            }
            for p in plan.parameters
        ],
        "drivers": {
            key: {
                name: {k: round(float(v), 4) for k, v in row.items()}
                for name, row in table.iterrows()
            }
            for key, table in atlas.drivers.items()
        },
        "planning_areas": {
            str(r["plr_id"]): {
                "inclusion": round(float(r["inclusion"]), 4),
                "seed_frequency": round(float(r["seed_frequency"]), 4),
                "class": str(r["class"]),
                "flips": {
                    name: round(float(atlas.flips[k, j]), 4)
                    for k, name in enumerate(plan.names)
                    if atlas.flips[k, j] > 0
                },
            }
            for j, (_, r) in enumerate(atlas.plr.iterrows())
        },
        "areas": {
            str(hr_id): {
                "name": str(name),
                "stability": round(float(stability), 4),
                "mean_jaccard": round(float(jaccard), 4),
            }
            for hr_id, name, stability, jaccard in zip(
                atlas.areas["hr_id"],
                atlas.areas["hr_name"],
                atlas.areas["stability"],
                atlas.areas["mean_jaccard"],
                strict=True,
            )
        },
    }


_CLASS_COLOURS = {"robust_in": "#b2182b", "contested": "#fdae61", "robust_out": "#e0e0e0"}
_CLASS_LABELS = {
    "robust_in": f"robust in (>= {ROBUST_IN:.0%} of scenarios)",
    "contested": "contested",
    "robust_out": f"robust out (<= {ROBUST_OUT:.0%})",
}


def _fill_symbol(name: str, colour: str, alpha: float = 1.0) -> str:
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return (
        f'      <symbol type="fill" name="{name}" alpha="{alpha}" clip_to_extent="1" '
        'force_rhr="0">\n'
        '        <layer class="SimpleFill" enabled="1" locked="0" pass="0">\n'
        f'          <prop k="color" v="{r},{g},{b},255"/>\n'
        '          <prop k="outline_color" v="90,90,90,255"/>\n'
        '          <prop k="outline_width" v="0.15"/>\n'
        '          <prop k="outline_width_unit" v="MM"/>\n'
        '          <prop k="style" v="solid"/>\n'
        "        </layer>\n"
        "      </symbol>\n"
    )


def _categorized_qml(attr: str, categories: list[tuple[str, str, str]], alpha: float) -> str:
    """A QGIS style: one fill colour per value of ``attr`` (value, label, colour)."""
    cats = "".join(
        f'      <category symbol="{i}" value="{v}" label="{label}" render="true"/>\n'
        for i, (v, label, _) in enumerate(categories)
    )
    symbols = "".join(_fill_symbol(str(i), c, alpha) for i, (_, _, c) in enumerate(categories))
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        '<qgis version="3.22.0" styleCategories="Symbology">\n'
        f'  <renderer-v2 type="categorizedSymbol" attr="{attr}" forceraster="0" '
        'symbollevels="0" enableorderby="0">\n'
        f"    <categories>\n{cats}    </categories>\n"
        f"    <symbols>\n{symbols}    </symbols>\n"
        "  </renderer-v2>\n"
        "</qgis>\n"
    )


def _styles() -> dict[str, str]:
    plr = _categorized_qml(
        "class", [(k, _CLASS_LABELS[k], _CLASS_COLOURS[k]) for k in CLASSES], 1.0
    )
    areas = _categorized_qml(
        "stability_class",
        [
            ("stable", f"stable (kept in >= {ROBUST_IN:.0%} of scenarios)", "#2166ac"),
            ("fragile", "fragile", "#f4a582"),
        ],
        0.6,
    )
    return {"planungsraeume": plr, "handlungsraeume": areas}


def write_gpkg(out: Path, plr: gpd.GeoDataFrame, areas: gpd.GeoDataFrame) -> None:
    """The two layers with their default QGIS styles (table ``layer_styles``)."""
    import pyogrio

    for name, frame in (("planungsraeume", plr), ("handlungsraeume", areas)):
        pyogrio.write_dataframe(
            frame,
            out,
            layer=name,
            driver="GPKG",
            promote_to_multi=True,
            layer_options={"SPATIAL_INDEX": "YES"},
            append=name != "planungsraeume",
        )
    db = sqlite3.connect(out)
    try:
        db.execute(
            "CREATE TABLE layer_styles (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, "
            "f_table_catalog TEXT(256), f_table_schema TEXT(256), f_table_name TEXT(256), "
            "f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT, styleSLD TEXT, "
            "useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30), "
            "update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))"
        )
        for name, qml in _styles().items():
            db.execute(
                "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
                "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description) "
                "VALUES ('', '', ?, 'geom', ?, ?, '', 1, ?)",
                (name, name, qml, "quartiere sensitivity default style"),
            )
        db.commit()
    finally:
        db.close()


def render_frequency_map(plr: gpd.GeoDataFrame, out: Path, title: str) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11.69, 8.27), dpi=150)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    plr.plot(
        column="inclusion",
        ax=ax,
        cmap="YlOrRd",
        vmin=0,
        vmax=1,
        edgecolor="#808080",
        linewidth=0.1,
        legend=True,
        legend_kwds={"label": "inclusion frequency (share of scenarios)", "shrink": 0.6},
    )
    plr[plr["class"] == "robust_in"].boundary.plot(ax=ax, color="black", linewidth=0.6)
    ax.set_title(title, fontsize=12)
    ax.set_axis_off()
    ax.set_aspect("equal")
    fig.text(0.01, 0.01, f"Black outline: robust core. {ATTRIBUTION}", fontsize=6)
    fig.savefig(out, format="png")


def write_outputs(
    out_dir: Path,
    atlas: Atlas,
    plr_geometry: gpd.GeoSeries,
    area_geometry: gpd.GeoSeries,
    edition: str,
    elapsed: float,
) -> None:
    """Write the five outputs into a staging directory, then move them into ``out_dir``.

    An error or Ctrl-C before the move leaves ``out_dir`` as it was.
    """
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".tmp", dir=out_dir.parent))
    try:
        plr = gpd.GeoDataFrame(
            atlas.plr.drop(columns=["in_reference"]).assign(
                in_reference=atlas.plr["in_reference"].astype(int),
                inclusion=atlas.plr["inclusion"].round(4),
                seed_frequency=atlas.plr["seed_frequency"].round(4),
            ),
            geometry=plr_geometry.to_numpy(),
            crs=plr_geometry.crs,
        )
        areas = gpd.GeoDataFrame(
            atlas.areas.assign(
                stability=atlas.areas["stability"].round(4),
                mean_jaccard=atlas.areas["mean_jaccard"].round(4),
                stability_class=np.where(
                    atlas.areas["stability"] >= ROBUST_IN - 1e-12, "stable", "fragile"
                ),
            ),
            geometry=area_geometry.to_numpy(),
            crs=area_geometry.crs,
        )
        write_gpkg(stage / "sensitivity.gpkg", plr, areas)
        render_frequency_map(plr, stage / "sensitivity.png", f"Inclusion frequency: {edition}")
        (stage / "sensitivity.md").write_text(memo(atlas, edition, elapsed), encoding="utf-8")
        (stage / "scenarios.csv").write_text(scenarios_table(atlas), encoding="utf-8")
        (stage / "sensitivity.json").write_text(
            json.dumps(atlas_json(atlas, edition, elapsed), indent=1, ensure_ascii=False) + "\n",
            encoding="utf-8",
        )
        out_dir.mkdir(parents=True, exist_ok=True)
        for path in sorted(stage.iterdir()):
            os.replace(path, out_dir / path.name)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def reference(ctx: Context, inputs: Any, harmonized: Any) -> tuple[pd.DataFrame, pd.DataFrame, Any]:
    """The reference build (today's rules): its planning areas and areas, with member positions."""
    from quartiere.pipeline import compute

    result = compute(inputs, ctx.config)
    layer = result.planning_areas.set_index("plr_id").reindex(ctx.plr_index.astype(str))
    plr = pd.DataFrame(
        {
            "plr_id": layer.index.astype(str),
            "plr_name": layer["plr_name"].to_numpy(),
            "bezirk": layer["bezirk"].to_numpy(),
            "population": layer["population"].astype(float).fillna(0).to_numpy(),
            "in_reference": (layer["hr_id"] != "").to_numpy(),
            "reference_hr_id": layer["hr_id"].to_numpy(),
        }
    )
    position = pd.Series(np.arange(len(plr)), index=plr["plr_id"])
    areas = result.areas
    members = [
        position.reindex(str(ids).split(",")).dropna().astype(int).to_numpy()
        for ids in areas["plr_ids"]
    ]
    ref_areas = pd.DataFrame(
        {
            "hr_id": areas["hr_id"].astype(str).to_numpy(),
            "hr_name": areas["hr_name"].astype(str).to_numpy(),
            "population": areas["population"].to_numpy(),
            "members": members,
        }
    )
    return plr, ref_areas, (layer.geometry, areas.geometry.reset_index(drop=True))


def run_sensitivity(
    config_path: Path,
    plan_path: Path,
    out_dir: Path,
    *,
    samples: int | None = None,
    seed: int | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    progress: bool = True,
    say: Any = lambda _: None,
) -> Atlas:
    """Load once, sample the plan, run every scenario, analyse and write the outputs."""
    from quartiere.load import load_inputs
    from quartiere.pipeline import harmonize

    start = time.perf_counter()
    config: Config = load_config(config_path)
    plan = load_plan(plan_path, config)
    if samples is not None or seed is not None:
        plan = Plan(
            plan.parameters,
            plan.samples if samples is None else samples,
            plan.seed if seed is None else seed,
            plan.source,
        )
    rows = sample(plan)
    inputs = load_inputs(config)
    harmonized = harmonize(inputs, config)
    ctx = prepare_context(config, inputs, harmonized)
    ref_plr, ref_areas, (plr_geom, area_geom) = reference(ctx, inputs, harmonized)
    say(
        f"{len(rows):,} scenarios ({plan.samples} samples x {len(plan.parameters) + 2}), "
        f"{'scheduler ' + scheduler if scheduler else 'local'}"
    )
    bar = Progress(len(rows), enabled=progress)
    started = time.perf_counter()
    results = run_scenarios(
        ctx, plan, rows, scheduler=scheduler, workers=workers, progress=bar.update
    )
    scenario_seconds = time.perf_counter() - started
    atlas = analyse(
        plan,
        rows,
        results,
        ref_plr,
        ref_areas,
        ctx.plr_area_m2.to_numpy(dtype=float),
        plan.seed,
    )
    elapsed = time.perf_counter() - start
    atlas.info.update(elapsed_s=elapsed, scenario_seconds=scenario_seconds)
    write_outputs(out_dir, atlas, plr_geom, area_geom, config.edition, elapsed)
    return atlas
