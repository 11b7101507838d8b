"""Pinned real-data results of the MSS 2021 and gi2018 editions (MSS 2021 was the default until MSS
2023): a change that moves a planning area fails here, and the reviewed fixture
``tests/pinned/<edition>.yaml`` changes in the same commit.

The fixture holds the number of planning areas, the count of planning areas meeting each criterion
and each number of criteria, every Handlungsraum with its member planning areas, and the decision
text of chosen planning areas: one of each kind of decision (seed, joiner, hole, lettered part,
dropped cluster, outside for each reason). To regenerate after an intended change, run
``.venv/bin/python tests/test_pinned.py``, review ``git diff tests/pinned`` and say in the commit
message why the planning areas moved. The chosen planning areas stay as listed in the fixture;
a new kind of decision adds one.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
PINNED = ROOT / "tests" / "pinned"
EDITIONS = {
    "mss2021": ROOT / "config/editions/mss2021.yaml",
    "gi2018": ROOT / "config/editions/gi2018.yaml",
}
CRITERIA = ("c_mss", "c_schools", "c_atlas")

pytestmark = pytest.mark.slow


def compute_edition(edition: str) -> Any:
    from quartiere.config import load_config
    from quartiere.load import load_inputs
    from quartiere.pipeline import compute

    config = load_config(EDITIONS[edition])
    return compute(load_inputs(config), config)


def decision_kind(text: str) -> str:
    """The kind of a decision: its text with numbers masked (a lettered part stays one: ``Nx``)."""
    text = re.sub(r"\b\d+[a-z]\b", "Nx", text)
    return re.sub(r"\d+(?:[.,]\d+)*", "N", text)[:80]


def summarise(result: Any, chosen: list[str] | None = None) -> dict[str, Any]:
    """What the fixture pins, computed from a build result."""
    plr = result.planning_areas.sort_values("plr_id")
    if chosen is None:  # first time: the smallest id of every kind of decision
        kinds = plr.assign(kind=plr["decision"].map(decision_kind))
        chosen = sorted(kinds.groupby("kind")["plr_id"].min())
    decisions = plr.set_index("plr_id")["decision"]
    return {
        "planning_areas": len(plr),
        "criteria_met": {c: int((plr[c] == 1).sum()) for c in CRITERIA},
        "n_criteria": {int(k): int(v) for k, v in plr["n_criteria"].value_counts().items()},
        "areas": {  # hr_id -> its planning areas, sorted, comma-separated
            str(row.hr_id): ",".join(sorted(str(row.plr_ids).split(",")))
            for row in result.areas.sort_values("hr_id").itertuples()
        },
        "decisions": {plr_id: str(decisions[plr_id]) for plr_id in chosen},
    }


def load_pinned(edition: str) -> dict[str, Any]:
    return yaml.safe_load((PINNED / f"{edition}.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module", params=list(EDITIONS))
def edition(request: pytest.FixtureRequest) -> tuple[dict[str, Any], dict[str, Any]]:
    pinned = load_pinned(request.param)
    got = summarise(compute_edition(request.param), list(pinned["decisions"]))
    return pinned, got


def test_counts_per_criterion_are_pinned(edition) -> None:
    pinned, got = edition
    assert got["planning_areas"] == pinned["planning_areas"]
    assert got["criteria_met"] == pinned["criteria_met"]
    assert got["n_criteria"] == pinned["n_criteria"]


def test_each_area_and_its_members_are_pinned(edition) -> None:
    pinned, got = edition
    assert list(got["areas"]) == list(pinned["areas"])  # the number of areas and their numbers
    for hr_id, members in pinned["areas"].items():
        assert got["areas"][hr_id] == members, f"HR {hr_id}: planning areas moved"


def test_decisions_of_chosen_planning_areas_are_pinned(edition) -> None:
    pinned, got = edition
    assert len(pinned["decisions"]) >= 12
    assert got["decisions"] == pinned["decisions"]


def test_the_fixture_covers_every_kind_of_decision(edition) -> None:
    """A new kind of decision (a new rule, a new reason) needs a pinned example."""
    pinned, got = edition
    plr_kinds = {decision_kind(t) for t in pinned["decisions"].values()}
    result_kinds = {decision_kind(t) for t in got["decisions"].values()}
    assert plr_kinds == result_kinds


HEADER = """\
# Pinned real-data results of the {edition} edition ({config}); reviewed.
# Regenerate only for an intended change: .venv/bin/python tests/test_pinned.py
# and say in the commit message why planning areas moved (see tests/test_pinned.py).
"""


def regenerate() -> None:
    for name, config in EDITIONS.items():
        path = PINNED / f"{name}.yaml"
        chosen = list(load_pinned(name)["decisions"]) if path.exists() else None
        result = compute_edition(name)
        summary = summarise(result, chosen)
        kinds = {decision_kind(t) for t in summary["decisions"].values()}
        plr = result.planning_areas.sort_values("plr_id")
        for kind, plr_id in plr.groupby(plr["decision"].map(decision_kind))["plr_id"].min().items():
            if kind not in kinds:  # a new kind of decision gets an example
                summary["decisions"][plr_id] = str(plr.set_index("plr_id").at[plr_id, "decision"])
        text = HEADER.format(edition=name, config=config.relative_to(ROOT))
        text += yaml.safe_dump(summary, sort_keys=False, allow_unicode=True, width=1000)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    regenerate()
