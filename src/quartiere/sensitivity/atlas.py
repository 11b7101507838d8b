"""The robustness atlas's analysis: frequencies, classes, area stability, Sobol' indices."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from quartiere.errors import ConfigError
from quartiere.sensitivity.plan import Plan

__all__ = [
    "ROBUST_IN",
    "ROBUST_OUT",
    "STABLE_OVERLAP",
    "CLASSES",
    "Atlas",
    "classify",
    "sample",
    "sobol_indices",
    "analyse",
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
    # SALib guards its own divisions (constant outputs give 0, tested under np.errstate raise);
    # its warnings about them stay here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sobol.analyze(
            plan.problem(), y, calc_second_order=False, num_resamples=100, seed=seed
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
    # |A and B| / |A or B|: the union holds the reference area (total > 0: it has ground), so
    # it is never 0, and a scenario area outside it scores 0.
    jaccard = inter / (total + sizes - inter)
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
    # per PLR the parameters by falling flip share, ties in plan order
    order = np.lexsort((np.broadcast_to(np.arange(d)[:, None], flips.shape), -flips), axis=0)
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
