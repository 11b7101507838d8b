"""Re-delineation on the real Berlin data: the history over the shipped editions, and diffs."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner

from quartiere.cli import main
from quartiere.compare.diff import diff_builds
from quartiere.config import load_config
from quartiere.editions import edition_key, order_editions
from quartiere.errors import EXIT_CHANGED
from quartiere.history import run_history
from quartiere.io.builds import read_build
from quartiere.lineage import BUILD_NAME
from quartiere.pipeline import sha256

ROOT = Path(__file__).resolve().parents[1]
EDITIONS = sorted((ROOT / "config" / "editions").glob("*.yaml"))

pytestmark = pytest.mark.slow

# The edition list as shipped (config/editions/*.yaml, in MSS order): never typed out here.
SHIPPED = order_editions(EDITIONS)
ORDER = [e.key for e in SHIPPED]


def edition(history, key):
    return next(e for e in history.editions if e.key == key)


def test_editions_are_built_in_mss_order_each_against_the_one_before(history_run):
    assert len(ORDER) >= 6 and ORDER[:3] == ["mss2013", "mss2015", "gi2018"]
    assert [e.key for e in history_run.editions] == ORDER
    years = [e.year for e in history_run.editions]
    assert years == sorted(set(years)) and years[2] == 2017  # gi2018 is MSS 2017
    assert years == [load_config(e.path).mss.edition for e in SHIPPED]
    for before, after in zip(history_run.editions, history_run.editions[1:], strict=False):
        assert after.build.info.previous_sha256 == sha256(before.path)
        assert after.build.info.lineage
    generations = [e.build.generation for e in history_run.editions]
    assert generations == [load_config(e.path).planning_areas.generation for e in SHIPPED]
    assert generations[0] == "lor2006" and generations[-1] == "lor2021"


def test_cross_generation_diff_2019_to_2021_finds_the_persisting_areas(history_run):
    old, new = edition(history_run, "mss2019"), edition(history_run, "mss2021")
    result = diff_builds(read_build(old.path), read_build(new.path))
    assert not result.same_generation and result.planning_areas.empty
    persisted = result.areas[result.areas["kind"] == "persisted"]
    assert len(persisted) >= 5
    # numbered against 2019, so every stand-alone area that persists one-to-one keeps its number
    # (parts of a lettered group may be re-lettered when the group is recomposed)
    standalone = persisted[
        [
            o[-1].isdigit() and n[-1].isdigit()
            for o, n in zip(
                persisted["old_hr_ids"].str[0], persisted["new_hr_ids"].str[0], strict=True
            )
        ]
    ]
    assert len(standalone) >= 5
    assert not standalone["renumbered"].any()
    # the core of Wedding / Gesundbrunnen is inside in both editions, under one number
    plr_2021 = new.build.planning_areas.set_index("plr_id")
    wedding = plr_2021.loc["01300730", "hr_id"]  # Drontheimer Straße
    assert wedding
    continued = result.links[result.links["match"] & (result.links["new_hr_id"] == wedding)]
    assert continued["old_hr_id"].tolist() == [wedding]
    assert continued["share_of_old"].iloc[0] > 0.9
    # every 2019 and every 2021 area appears in exactly one event
    olds = [i for ids in result.areas["old_hr_ids"] for i in ids]
    news = [i for ids in result.areas["new_hr_ids"] for i in ids]
    assert sorted(olds) == sorted(old.build.areas["hr_id"])
    assert sorted(news) == sorted(new.build.areas["hr_id"])
    # the lost and gained ground adds up: new area = old area + gained - lost (+ slivers)
    for row in persisted.to_dict("records"):
        balance = row["old_area_km2"] + row["gained_km2"] - row["lost_km2"]
        assert balance == pytest.approx(row["new_area_km2"], abs=0.15)


def test_same_generation_diff_counts_flips_consistently(history_run):
    old, new = edition(history_run, "gi2018"), edition(history_run, "mss2019")
    result = diff_builds(old.build, new.build)
    assert result.same_generation
    counts = result.counts()
    met = {e.key: int((e.build.planning_areas["c_mss"] == 1).sum()) for e in (old, new)}
    assert met["mss2019"] - met["gi2018"] == counts["c_mss_now_met"] - counts["c_mss_no_longer_met"]
    inside = {e.key: int(e.build.planning_areas["hr_id"].notna().sum()) for e in (old, new)}
    assert inside["mss2019"] - inside["gi2018"] == counts["plr_entered"] - counts["plr_left"]


def test_history_writes_the_timeline(history_run):
    out = history_run.editions[0].path.parents[1]
    for name in (
        "timeline.csv",
        "timeline.md",
        "timeline.json",
        "persistence.csv",
        "history.gpkg",
        "history.png",
    ):
        assert (out / name).stat().st_size > 0, name
    for key in ORDER[1:]:
        assert (out / key / "changes.md").is_file() and (out / key / "changes.gpkg").is_file()
    table = pd.read_csv(out / "timeline.csv", dtype=str, keep_default_na=False)
    assert list(table.columns) == ["track", "hr_name", *ORDER, "first", "last", "n_editions"]
    for key in ORDER:  # every area of every edition is on exactly one track
        assert sorted(table.loc[table[key] != "", key]) == sorted(
            edition(history_run, key).build.areas["hr_id"]
        )
    matrix = history_run.matrix
    for e in history_run.editions:
        assert matrix.loc[e.key, e.key] == len(e.build.areas)
    n_2017 = len(edition(history_run, "gi2018").build.areas)
    last = SHIPPED[-1]
    into_last = int(matrix.loc["gi2018", last.key])
    assert 0 < into_last <= n_2017
    memo = (out / "timeline.md").read_text(encoding="utf-8")
    assert (
        f"{into_last} der {n_2017} Handlungsräume von MSS 2017 (gi2018) bestehen in "
        f"MSS {last.year}" in memo
    )
    data = json.loads((out / "timeline.json").read_text(encoding="utf-8"))
    assert data["persist_into"]["gi2018"][last.key] == into_last


def test_persistence_on_the_lor2021_planning_areas(history_run):
    out = history_run.editions[0].path.parents[1]
    plr = pd.read_csv(out / "persistence.csv", dtype={"plr_id": str})
    assert len(plr) == 542 and plr["plr_id"].str.len().eq(8).all()
    assert plr["persistence"].between(0, len(ORDER)).all()
    assert (plr["persistence"] == plr[[f"in_{k}" for k in ORDER]].sum(axis=1)).all()
    last = ORDER[-1]
    latest = edition(history_run, last).build.planning_areas.set_index("plr_id")
    inside = latest["hr_id"].notna().astype(int)
    assert plr.set_index("plr_id")[f"in_{last}"].equals(
        inside.reindex(plr["plr_id"]).rename(f"in_{last}")
    )
    assert (plr["persistence"] == len(ORDER)).sum() > 0
    layer = gpd.read_file(out / "history.gpkg", layer="persistence")
    assert layer.crs.to_epsg() == 25833 and len(layer) == 542


def test_cli_diff_summary_outputs_and_exit_status(history_run, tmp_path):
    old = str(edition(history_run, "mss2019").path)
    new = str(edition(history_run, "mss2021").path)
    runner = CliRunner()
    changed = runner.invoke(
        main, ["diff", old, new, "--out", str(tmp_path / "d"), "--fail-on-change"]
    )
    assert changed.exit_code == EXIT_CHANGED, changed.output
    assert "persisted" in changed.stdout and "LOR generations differ" in changed.stdout
    changes = gpd.read_file(tmp_path / "d" / "changes.gpkg", layer="changes")
    assert changes.crs.to_epsg() == 25833
    assert set(changes.geom_type) == {"MultiPolygon"}
    assert set(changes["kind"]) <= {"entered", "left", "appeared", "vanished"}
    data = json.loads((tmp_path / "d" / "changes.json").read_text(encoding="utf-8"))
    assert data["changed"] is True and data["counts"]["persisted"] >= 5
    assert (
        (tmp_path / "d" / "changes.md")
        .read_text(encoding="utf-8")
        .startswith("# Handlungsräume: MSS 2019 / LOR 2006 -> MSS 2021 / LOR 2021")
    )

    same = runner.invoke(
        main, ["diff", new, new, "--fail-on-change", "--json", str(tmp_path / "same.json")]
    )
    assert same.exit_code == 0, same.output
    assert "no changes" in same.stdout
    assert json.loads((tmp_path / "same.json").read_text(encoding="utf-8"))["changed"] is False


def test_cli_diff_refuses_a_file_that_is_not_a_build(tmp_path):
    bogus = tmp_path / "bogus.gpkg"
    bogus.write_text("not a geopackage")
    result = CliRunner().invoke(main, ["diff", str(bogus), str(bogus)])
    assert result.exit_code == 3
    assert "bogus.gpkg" in result.output and "Traceback" not in result.output


def test_a_number_once_used_is_never_given_to_a_new_area(history_run):
    register: set[str] = set()
    for edition in history_run.editions:
        info = edition.build.info
        used = set(info.hr_ids_used or ())
        ids = set(edition.build.areas["hr_id"])
        assert register <= used and ids <= used
        new = {line.split()[1] for line in info.lineage if " ist neu " in line}
        assert not new & register, (edition.key, sorted(new & register))
        register = used
    assert len(register) > len(history_run.editions[-1].build.areas)


def test_explain_with_previous_agrees_with_the_built_file(history_run):
    from click.testing import CliRunner

    from quartiere.cli import main

    editions = {e.key: e for e in history_run.editions}
    before, built = editions["gi2018"], editions["mss2019"]
    layer = built.build.planning_areas
    # a member whose number differs from the one a fresh delineation would give
    member = layer.loc[layer["hr_id"].notna()].iloc[-1]
    result = CliRunner().invoke(
        main,
        [
            "explain",
            member["plr_id"],
            "--config",
            str(built.config),
            "--previous",
            str(before.path),
        ],
    )
    assert result.exit_code == 0, result.output
    assert f"Handlungsraum {member['hr_id']} " in result.output
    assert member["decision"] in result.output


def test_explain_numbers_as_the_build_does(history_run, tmp_path, monkeypatch):
    """Without --previous, explain takes the numbers of the build it is pointed at (by default the
    edition's build): a fresh delineation would number this lineage's areas differently."""
    from click.testing import CliRunner

    from quartiere.cli import main

    built = {e.key: e for e in history_run.editions}["mss2019"]
    layer = built.build.planning_areas
    members = layer.loc[layer["hr_id"].notna()]
    runner = CliRunner()
    monkeypatch.chdir(tmp_path)  # no edition build here: a fresh delineation numbers differently
    last = members.iloc[-1]
    fresh = runner.invoke(
        main, ["explain", last["plr_id"], "--config", str(built.config.resolve())]
    )
    assert fresh.exit_code == 0, fresh.output
    assert f"Handlungsraum {last['hr_id']} " not in fresh.output
    checked = 0
    for _, member in members.groupby("hr_id").tail(1).iterrows():
        args = ["explain", member["plr_id"], "--config", str(built.config.resolve())]
        result = runner.invoke(main, [*args, "--build", str(built.path)])
        assert result.exit_code == 0, result.output
        assert f"Handlungsraum {member['hr_id']} " in result.output
        assert f"note: read from {built.path}" in result.stderr
        checked += 1
    assert checked == members["hr_id"].nunique() > 5
    other = {e.key: e for e in history_run.editions}["gi2018"]
    refused = runner.invoke(
        main,
        ["explain", member["plr_id"], "--config", str(built.config), "--build", str(other.path)],
    )
    assert refused.exit_code == 2 and "not current" in refused.output
    assert "is not among those it was built from" in refused.output
    missing = runner.invoke(
        main,
        [
            "explain",
            member["plr_id"],
            "--config",
            str(built.config),
            "--build",
            str(tmp_path / "x.gpkg"),
        ],
    )
    assert missing.exit_code == 2 and "no such file" in missing.output


def _numbers(build) -> dict[str, tuple[str, str]]:
    """Per area (its planning areas), its number and name."""
    areas = build.areas
    return {
        str(p): (str(i), str(n))
        for p, i, n in zip(areas["plr_ids"], areas["hr_id"], areas["hr_name"], strict=True)
    }


def test_a_build_without_previous_gets_the_numbers_history_gives(history_run, tmp_path):
    # No build on disk (an empty processed directory): the edition before the default is
    # computed in memory, chained from the oldest, and numbered exactly as the history did.
    from quartiere.lineage import baseline_for

    lines: list[str] = []
    default = load_config(ROOT / "config" / "criteria.yaml")
    base = baseline_for(default, tmp_path, progress=lines.append)
    assert base is not None and base.path is None
    assert base.key == ORDER[ORDER.index(edition_key(default)) - 1]
    assert _numbers(base.build) == _numbers(edition(history_run, base.key).build)
    assert base.build.info.hr_ids_used == edition(history_run, base.key).build.info.hr_ids_used
    assert len(lines) == 1 and f"numbering continues {base.key}, computed in memory" in lines[0]
    # with the history on disk, its build is taken as it is
    history_dir = history_run.editions[0].path.parents[1]
    (tmp_path / "history").symlink_to(history_dir)
    found = baseline_for(default, tmp_path)
    assert found is not None and found.path == tmp_path / "history" / base.key / BUILD_NAME


def test_an_unchanged_lettered_area_keeps_14a_and_its_name_2021_to_2023(tmp_path):
    # Issue 20: MSS 2023 numbered against MSS 2021 turned 14a into "20 Kleinere Gebiete".
    from quartiere.pipeline import build

    editions = ROOT / "config" / "editions"
    old, new = tmp_path / "m21.gpkg", tmp_path / "m23.gpkg"
    build(editions / "mss2021.yaml", old, write_extras=False)
    build(editions / "mss2023.yaml", new, previous=old, write_extras=False)
    before, after = read_build(old), read_build(new)
    was = before.areas.set_index("hr_id").loc["14a"]
    assert was["hr_name"] == "Kleinere Gebiete (Moabit Ost)" and was["n_plr"] == 1
    now = after.areas.set_index("plr_ids").loc[was["plr_ids"]]
    assert (now["hr_id"], now["hr_name"]) == ("14a", "Kleinere Gebiete (Moabit Ost)")
    # the lineage, the memo and the decision sentence say the same, from one matching
    lineage = list(after.info.lineage)
    assert "HR 14a setzt den bisherigen HR 14a fort" in " ".join(lineage)
    assert not any("HR 14a ist neu" in v or "14a (" in v and "keinen" in v for v in lineage)
    assert ("14a", "14a") in (after.info.continued or ())
    memo = diff_builds(before, after)
    event = memo.areas[memo.areas["new_hr_ids"].apply(lambda ids: "14a" in ids)].iloc[0]
    assert event["kind"] == "persisted" and not event["renumbered"]
    assert event["continues"] == ("14a>14a",)
    assert event["old_name"] == event["new_name"]
    plr = after.planning_areas.set_index("plr_id").loc[was["plr_ids"]]
    assert plr["hr_id"] == "14a"
    assert (
        plr["decision"].startswith("Kern von HR 14a:")
        and "Gruppe Kleinere Gebiete" in plr["decision"]
    )
    assert not (after.areas["hr_name"] == "Kleinere Gebiete").any()


def test_a_seventh_edition_file_needs_no_code_change(tmp_path):
    # A copy of the newest edition under MSS 2025, in a copy of the editions folder: history
    # takes it in MSS order and numbers it against the one before; an identical copy keeps
    # every number and name.
    shutil.copytree(ROOT / "config", tmp_path / "config")
    (tmp_path / "data").symlink_to(ROOT / "data")
    editions = tmp_path / "config" / "editions"
    newest = SHIPPED[-1]
    text = (editions / newest.path.name).read_text(encoding="utf-8")
    text = re.sub(rf"(?m)^(\s+(?:year|edition)): {newest.year}\b", r"\g<1>: 2099", text)
    text = re.sub(r'(?m)^edition: "([^"]*)"', r'edition: "MSS 2099 (test copy of \1)"', text)
    (editions / "mss2099.yaml").write_text(text, encoding="utf-8")
    out = tmp_path / "processed" / "history"
    result = run_history(sorted(editions.glob("*.yaml")), out)
    keys = [e.key for e in result.editions]
    assert keys == [*ORDER, "mss2099"]
    copy, before = result.editions[-1], result.editions[-2]
    assert copy.year == 2099 and before.key == newest.key
    assert copy.build.info.previous_sha256 == sha256(before.path)
    assert (copy.build.info.numbered_against or "").startswith("--previous")
    assert _numbers(copy.build) == _numbers(before.build)
    events = result.diffs["mss2099"].areas
    assert (events["kind"] == "persisted").all() and not events["renumbered"].any()
    # a build of it alone continues the history's build of the edition before
    from quartiere.lineage import baseline_for

    base = baseline_for(load_config(editions / "mss2099.yaml"), tmp_path / "processed")
    assert base is not None and base.key == newest.key and base.path == before.path
