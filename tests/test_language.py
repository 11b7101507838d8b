"""The language of the texts a build and a history write: German by default, English with
``language: en``. Decision sentences, lineage, the change memo, the timeline and the history map
are worded from ``messages.yaml``, numbers in the language's format (``6.976`` / ``6,976``)."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from quartiere.compare.diff import diff_builds
from quartiere.compare.numbering import renumber
from quartiere.compare.timeline import Edition, persistence, persistence_matrix, timeline
from quartiere.delineate import delineate
from quartiere.present.diff_text import diff_markdown
from quartiere.present.maps import timeline_figure
from quartiere.present.timeline_text import timeline_markdown
from test_delineate import RING, cell, lattice, rules
from test_diff import BASE, build

ROOT = Path(__file__).resolve().parents[1]


def test_a_hole_in_german_and_in_english_with_numbers_in_each_format():
    frame = lattice(RING, population=2500.0)
    centre = cell(2, 2)
    german = delineate(frame, rules()).members.loc[centre, "decision"]
    english = delineate(frame, rules(), language="en").members.loc[centre, "decision"]
    assert german == (
        "HR 01 zugeordnet als eingeschlossene Lücke (1 PLR, 0,01 km², 2.500 Einw.); "
        "erfüllt kein Kriterium"
    )
    assert english == (
        "joined HR 01 as an enclosed hole (1 PLR, 0.01 km², 2,500 inhabitants); meets no criterion"
    )
    seed = delineate(frame, rules()).members.loc[cell(1, 1), "decision"]
    assert seed == "Kern von HR 01: erfüllt 2 Kriterien (MSS, Schulen)"


def test_a_hole_too_populous_names_the_limit_in_the_languages_format():
    frame = lattice(RING, population=2500.0)
    limits = rules(holes={"fill": True, "max_population": 1500})
    german = delineate(frame, limits).members.loc[cell(2, 2), "decision"]
    english = delineate(frame, limits, language="en").members.loc[cell(2, 2), "decision"]
    assert german.startswith("außerhalb: erfüllt kein Kriterium; umschlossen von HR 01, aber ")
    assert german.endswith("wird nicht gefüllt: mehr als 1.500 Einw.")
    assert english.endswith("is not filled: more than 1,500 inhabitants")


@pytest.mark.parametrize(
    ("language", "seed", "joined", "gone"),
    [
        ("de", "Kern von HR 03: ", "HR 02 zugeordnet als Nachbar", "bisheriger HR 01 (Alt Eins)"),
        ("en", "seed of HR 03: ", "joined HR 02 as a neighbour", "previous HR 01 (Alt Eins)"),
    ],
)
def test_a_renumbered_build_names_its_new_numbers(language, seed, joined, gone):
    before = delineate(lattice("2 . . 2 . . ."), rules())
    previous = before.areas.assign(hr_name=["Alt Eins", "Alt Zwei"])
    after = delineate(lattice(". 2 . 2 1 . 2"), rules(), language=language)
    # Fresh numbers 01, 02, 03; against the previous edition they become 03, 02, 04.
    assert after.members.loc[cell(0, 1), "decision"].startswith(seed.replace("03", "01"))
    stable = renumber(after, previous, min_overlap=0.5)
    decisions = stable.members["decision"]
    assert decisions[cell(0, 1)].startswith(seed)
    assert decisions[cell(0, 4)].startswith(joined)
    assert decisions[cell(0, 6)].startswith(seed.replace("03", "04"))
    named = {m for text in decisions for m in re.findall(r"\bHR (\w+)", text)}
    assert named == set(stable.areas["hr_id"])  # no sentence keeps a fresh number
    assert any(line.startswith(gone) for line in stable.lineage)


def _in(language: str, picture: str, generation: str = "lor2021"):
    one = build(picture, generation=generation)
    return replace(one, info=replace(one.info, language=language))


MOVED = """
01 01 01 . . .
01 01 . . 02 02
. . . . 02 02
"""


@pytest.mark.parametrize(
    ("language", "heading", "event"),
    [("de", "## Kurzfassung", "besteht fort"), ("en", "## In brief", "persisted")],
)
def test_the_change_memo_speaks_the_newer_builds_language(language, heading, event):
    memo = diff_markdown(diff_builds(_in("de", BASE), _in(language, MOVED)))
    assert heading in memo and event in memo
    # Population 1,000 per planning area: 4,000 before, 5,000 after in area 01.
    assert ("4.000 -> 5.000" if language == "de" else "4,000 -> 5,000") in memo


@pytest.mark.parametrize(
    ("language", "title", "persist", "panel"),
    [
        (
            "de",
            "# Handlungsräume über die Ausgaben",
            "2 der 2 Handlungsräume",
            "2 Handlungsräume, 9.000 Einw.",
        ),
        (
            "en",
            "# Handlungsräume over the editions",
            "2 of the 2 areas",
            "2 areas, 9,000 inhabitants",
        ),
    ],
)
def test_the_timeline_and_history_map_speak_the_last_editions_language(
    language, title, persist, panel
):
    builds = [_in("de", BASE), _in(language, MOVED)]
    # 1,000 inhabitants per planning area: 8,000 inside the first edition, 9,000 in the second.
    keys = ["a", "b"]
    editions = [
        Edition(key=k, year=2019 + i, label=f"edition {k}", config=ROOT, path=ROOT, build=b)
        for i, (k, b) in enumerate(zip(keys, builds, strict=True))
    ]
    table = timeline(builds, keys)
    matrix = persistence_matrix(builds, keys)
    plr = persistence(builds[-1].planning_areas, builds, keys)
    memo = timeline_markdown(editions, table, matrix, plr)
    assert memo.startswith(title + "\n") and persist in memo
    figure = timeline_figure(editions, plr)
    titles = [ax.get_title() for ax in figure.axes]
    assert any(panel in text for text in titles), titles


@pytest.mark.slow
def test_real_decisions_in_both_languages_for_the_same_planning_area():
    from quartiere.config import load_config
    from quartiere.load import load_inputs
    from quartiere.pipeline import compute

    config = load_config(ROOT / "config/editions/mss2021.yaml")
    inputs = load_inputs(config)
    german = compute(inputs, config)
    english = compute(inputs, config.model_copy(update={"language": "en"}))
    de = german.planning_areas.set_index("plr_id")["decision"]
    en = english.planning_areas.set_index("plr_id")["decision"]
    assert de["01200625"] == (
        "Kern von HR 14a: erfüllt 2 Kriterien (MSS, Sozialatlas); als Teil der Gruppe Kleinere "
        "Gebiete beibehalten (Cluster aus 1 PLR, 6.976 Einw., unter 10.000 Einw. und weniger als "
        "2 PLR für einen eigenständigen Handlungsraum)"
    )
    assert en["01200625"] == (
        "seed of HR 14a: meets 2 criteria (MSS, atlas); kept as part of group Kleinere Gebiete "
        "(cluster of 1 PLR, 6,976 inhabitants, below 10,000 and fewer than 2 PLR for a "
        "stand-alone area)"
    )
    assert german.planning_areas["hr_id"].equals(english.planning_areas["hr_id"])


def test_the_only_part_of_a_group_is_not_called_a_lettered_part():
    # MSS 2023 numbered afresh keeps one part of "Kleinere Gebiete": it has no letter, and its
    # sentence says it is the group's only area (it once said "as part of the group").
    from quartiere.config import load_config
    from quartiere.load import load_inputs
    from quartiere.pipeline import compute

    config = load_config(ROOT / "config/editions/mss2023.yaml")
    result = compute(load_inputs(config), config)
    plr = result.planning_areas.set_index("plr_id")
    hr = plr.at["01200625", "hr_id"]
    assert hr and not hr[-1].isalpha()
    area = result.areas.set_index("hr_id").loc[hr]
    assert area["hr_name"].startswith("Kleinere Gebiete")
    assert plr.at["01200625", "decision"] == (
        f"Kern von HR {hr}: erfüllt 2 Kriterien (MSS, Sozialatlas); als einziges Gebiet der "
        "Gruppe Kleinere Gebiete beibehalten (Cluster aus 1 PLR, 6.970 Einw., unter 10.000 Einw. "
        "und weniger als 2 PLR für einen eigenständigen Handlungsraum)"
    )
    lettered = plr[plr["hr_id"].fillna("").str.contains(r"\d[a-z]$")]
    assert not lettered["decision"].str.contains("einziges Gebiet").any()
