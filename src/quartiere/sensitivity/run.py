"""``quartiere sensitivity``: load once, sample the plan, run every scenario, analyse, write."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from quartiere.config import Config, load_config
from quartiere.sensitivity.atlas import Atlas, analyse, sample
from quartiere.sensitivity.engine import Progress, run_scenarios
from quartiere.sensitivity.outputs import write_outputs
from quartiere.sensitivity.plan import Plan, load_plan
from quartiere.sensitivity.scenario import Context, prepare_context

__all__ = ["reference", "run_sensitivity"]


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
            "in_reference": layer["hr_id"].notna().to_numpy(),
            "reference_hr_id": layer["hr_id"].fillna("").to_numpy(),
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
    say: Any = None,
    **engine: Any,
) -> Atlas:
    """Load once, sample the plan, run every scenario, analyse and write the outputs.

    ``say`` receives progress messages; with it, a progress bar goes to stderr. ``engine``
    (``security``) goes to :func:`~quartiere.sensitivity.engine.run_scenarios`: how to reach
    ``scheduler`` (:func:`quartiere.sensitivity.access.check_scheduler`).
    """
    from quartiere.derived import derived_inputs
    from quartiere.io.cache import default_cache
    from quartiere.pipeline import attribution, harmonize

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
    # the cache beside the atlas's folder: data/processed/.cache, the default build's, for make
    derived = derived_inputs(config, default_cache(Path(out_dir).parent), harmonize)
    inputs, harmonized = derived.inputs, derived.harmonized
    ctx = prepare_context(config, inputs, harmonized)
    ref_plr, ref_areas, (plr_geom, area_geom) = reference(ctx, inputs, harmonized)
    if say is not None:
        say(
            f"{len(rows):,} scenarios ({plan.samples} samples x {len(plan.parameters) + 2}), "
            f"{'scheduler ' + scheduler if scheduler else 'local'}"
        )
    bar = Progress(len(rows), enabled=say is not None)
    started = time.perf_counter()
    results = run_scenarios(
        ctx,
        plan,
        rows,
        scheduler=scheduler,
        workers=workers,
        progress=bar.update,
        **engine,
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
    atlas.info["attribution"] = attribution(config)
    write_outputs(out_dir, atlas, plr_geom, area_geom, config.edition, elapsed, config.language)
    return atlas
