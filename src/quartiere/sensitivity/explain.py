"""``quartiere explain PLR --sensitivity DIR``: a planning area's fate across the atlas."""

from __future__ import annotations

import json
from pathlib import Path

from quartiere.errors import InputError

__all__ = ["sensitivity_lines"]

_CLASS_TEXT = {
    "robust_in": "robust in",
    "robust_out": "robust out",
    "contested": "contested",
}


def sensitivity_lines(out_dir: Path, plr_id: str) -> list[str]:
    """Inclusion and seed frequency of ``plr_id`` and the parameters that flip it."""
    path = Path(out_dir) / "sensitivity.json"
    if not path.is_file():
        raise InputError("no atlas here: run `quartiere sensitivity --out DIR` first", path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        entry = data["planning_areas"].get(plr_id)
        n = int(data["n_scenarios"])
    except (OSError, ValueError, KeyError) as exc:
        raise InputError(f"not a sensitivity atlas ({type(exc).__name__})", path) from None
    if entry is None:
        raise InputError(f"planning area {plr_id} is not in this atlas", path)
    lines = [
        f"Robustness atlas ({n:,} scenarios, seed {data['seed']}, {data.get('plan') or 'plan'}):",
        f"  in a Handlungsraum in {entry['inclusion']:.1%} of scenarios "
        f"({_CLASS_TEXT.get(entry['class'], entry['class'])}); a seed in "
        f"{entry['seed_frequency']:.0%}.",
    ]
    flips = sorted(entry.get("flips", {}).items(), key=lambda kv: (-kv[1], kv[0]))
    if flips:
        keys = {p["name"]: p["key"] for p in data.get("parameters", [])}
        lines.append(
            "  Parameters that flip it (share of paired scenarios in which changing only this "
            "parameter moves it in or out):"
        )
        lines += [f"    {name} ({keys.get(name, name)}): {share:.0%}" for name, share in flips]
    else:
        lines.append("  No single parameter of the plan changes whether it is in an area.")
    return lines
