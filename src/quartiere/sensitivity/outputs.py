"""The atlas's outputs: styled GeoPackage, memo, map, scenarios.csv and JSON, committed into DIR
together at the end (the one staging helper) so that a failed or interrupted run leaves DIR as it
was. The GeoPackage is written by the build's writer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from quartiere import ATTRIBUTION
from quartiere.io.atomic import staging
from quartiere.sensitivity.atlas import (
    ROBUST_IN,
    ROBUST_OUT,
    STABLE_OVERLAP,
    Atlas,
)

__all__ = ["scenarios_table", "memo", "atlas_json", "write_gpkg", "write_outputs"]

# --------------------------------------------------------------------------------------------
# Outputs
# --------------------------------------------------------------------------------------------


def scenarios_table(atlas: Atlas) -> str:
    """scenarios.csv: every scenario's parameter values and summary figures, byte-stable."""
    plan = atlas.plan
    lines = [",".join(["scenario", *plan.names, "n_areas", "population", "n_plr"])]
    for i, decoded in enumerate(atlas.decoded):
        cells = [str(i)]
        for k, p in enumerate(plan.parameters):
            text = p.label(decoded[k])
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


def _by_st(table: pd.DataFrame) -> pd.DataFrame:
    """Sobol' indices by falling ST, ties in plan order."""
    return table.iloc[np.lexsort((np.arange(len(table)), -table["ST"].to_numpy()))]


def _driver_rows(table: pd.DataFrame) -> list[str]:
    table = _by_st(table)
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
        "parameters with the largest total index ST (at least 0.05) of the area's existence.",
        "",
        "| Nr. | Name | stability | mean Jaccard | drivers (S1, ST) |",
        "|---|---|---:|---:|---|",
    ]
    for _, area in atlas.areas.iterrows():
        table = _by_st(atlas.drivers[f"area {area['hr_id']}"])
        table = table[table["ST"] >= 0.05].head(3)
        drivers = "; ".join(
            f"{n} S1 {r.S1:.2f} ± {r.S1_conf:.2f}, ST {r.ST:.2f} ± {r.ST_conf:.2f}"
            for n, r in table.iterrows()
        )
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
    for bezirk, group in core.groupby("bezirk"):  # sorted by name
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
    out += ["", f"Data: {atlas.info.get('attribution', ATTRIBUTION)}", ""]
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
            str(a["hr_id"]): {
                "name": str(a["hr_name"]),
                "stability": round(float(a["stability"]), 4),
                "mean_jaccard": round(float(a["mean_jaccard"]), 4),
            }
            for _, a in atlas.areas.iterrows()
        },
    }


ATLAS_LAYERS = {
    "planungsraeume": "atlas_planungsraeume",
    "handlungsraeume": "atlas_handlungsraeume",
}
"""The GeoPackage's layers and the catalogue entries that document and style them
(:data:`quartiere.io.gpkg.FIELDS`, ``styles/atlas_*.qml``)."""


def write_gpkg(
    out: Path,
    plr: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame,
    info: dict[str, str] | None = None,
    *,
    language: str = "de",
    edition: str = "",
    attribution: str = ATTRIBUTION,
) -> None:
    """The two layers through the build's writer (:func:`quartiere.io.gpkg.write_geopackage`):
    documented, with their default QGIS styles, reproducible under ``SOURCE_DATE_EPOCH``, titles,
    descriptions and legends in ``language``; ``info`` goes to table ``build_info``."""
    from quartiere.io.gpkg import write_geopackage

    metadata = {"edition": edition, "attribution": attribution, "language": language}
    layers = {"planungsraeume": plr, "handlungsraeume": areas}
    write_geopackage(out, layers, info or {}, metadata, documented_as=ATLAS_LAYERS)


def _gpkg_info(atlas: Atlas, edition: str) -> dict[str, str]:
    """What the atlas's GeoPackage records in ``build_info``: what it was computed from (no
    timing: two runs of one plan give one file)."""
    from quartiere import __version__

    plan = atlas.plan
    return {
        "kind": "quartiere sensitivity",
        "edition": edition,
        "plan": str(plan.source and Path(plan.source).name),
        "samples": str(plan.samples),
        "seed": str(plan.seed),
        "n_scenarios": str(len(atlas.rows)),
        "parameters": ", ".join(plan.names),
        "quartiere_version": __version__,
    }


def render_frequency_map(
    plr: gpd.GeoDataFrame, out: Path, title: str, attribution: str = ATTRIBUTION
) -> None:
    """sensitivity.png: :func:`frequency_figure` as PNG."""
    frequency_figure(plr, title, attribution).savefig(out)  # PNG: the file's suffix


def frequency_figure(plr: gpd.GeoDataFrame, title: str, attribution: str = ATTRIBUTION) -> Any:
    """The map of inclusion frequencies (A4 landscape, 150 dpi), the robust core outlined."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11.69, 8.27), dpi=150)  # no pyplot: nothing global, no GUI backend
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
    plr[plr["class"] == "robust_in"].boundary.plot(ax=ax, color="k", linewidth=0.6)
    ax.set_title(title)  # matplotlib's title size (12 pt)
    ax.set_axis_off()
    ax.set_aspect("equal")
    fig.text(0.01, 0.01, f"Black outline: robust core. {attribution}", fontsize=6)
    return fig


def write_outputs(
    out_dir: Path,
    atlas: Atlas,
    plr_geometry: gpd.GeoSeries,
    area_geometry: gpd.GeoSeries,
    edition: str,
    elapsed: float,
    language: str = "de",
) -> None:
    """Write the five outputs into a staging folder, then commit them into ``out_dir``
    (:func:`quartiere.io.atomic.staging`); the GeoPackage's texts in ``language``.

    An error or Ctrl-C before the commit leaves ``out_dir`` as it was.
    """
    out_dir = Path(out_dir)
    with staging(out_dir, into=True) as stage:
        plr = gpd.GeoDataFrame(
            atlas.plr.drop(columns=["in_reference"]).assign(
                in_reference=atlas.plr["in_reference"],  # stored as the catalogue's integer
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
        attribution = atlas.info.get("attribution", ATTRIBUTION)
        write_gpkg(
            stage / "sensitivity.gpkg",
            plr,
            areas,
            _gpkg_info(atlas, edition),
            language=language,
            edition=edition,
            attribution=attribution,
        )
        render_frequency_map(
            plr, stage / "sensitivity.png", f"Inclusion frequency: {edition}", attribution
        )
        # UTF-8 whatever the locale (str.encode's default)
        (stage / "sensitivity.md").write_bytes(memo(atlas, edition, elapsed).encode())
        (stage / "scenarios.csv").write_bytes(scenarios_table(atlas).encode())
        text = json.dumps(atlas_json(atlas, edition, elapsed), indent=1, ensure_ascii=False)
        (stage / "sensitivity.json").write_bytes((text + "\n").encode())
