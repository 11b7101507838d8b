"""Profiles per Handlungsraum: numbers, languages, robustness, and every page in a real browser."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from shapely.geometry import box

from quartiere.cli import main
from quartiere.i18n import MESSAGES, Messages

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str) -> str:
    result = CliRunner().invoke(main, ["profiles", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_messages_complete_and_formats() -> None:
    for key, texts in MESSAGES.items():
        assert set(texts) == {"de", "en"}, key
        assert all(texts.values()), key
    de, en = Messages("de"), Messages("en")
    assert de.number(1234.5, 1) == "1.234,5"
    assert de.number(3768531) == "3.768.531"
    assert en.number(1234.5, 1) == "1,234.5"
    assert de.number(float("nan")) == "–"
    from datetime import date

    assert de.date(date(2026, 11, 28)) == "28. November 2026"
    assert de("trend", first=2013, last=2021).endswith("2013 bis 2021")


@pytest.fixture(scope="module")
def build_layers(default_build: Path):
    from quartiere.profiles.data import read_build_layers

    return read_build_layers(default_build)


def test_key_figures_and_trend_match_the_build(build_layers) -> None:
    from quartiere.config import load_config
    from quartiere.profiles import data

    key = data.key_figures(build_layers)
    areas = build_layers.areas.set_index("hr_id")
    # the planning areas' sums are the area's own figures in the handlungsraeume layer
    assert np.allclose(key["population"], areas["population"].reindex(key.index))
    assert np.allclose(key["area_km2"], areas["area_km2"].reindex(key.index), atol=0.001)
    assert (key["berlin_n_plr"] == 542).all()
    config = load_config(ROOT / "config" / "criteria.yaml")
    inhabitants = pd.read_csv(config.population.path)[config.population.column].sum()
    assert key["berlin_population"].iloc[0] == pytest.approx(inhabitants, rel=1e-6)
    means = data.indicator_means(build_layers, data.read_indicators(config), key)
    paths = data.editions_beside(ROOT / "config" / "criteria.yaml")
    editions = data.load_editions(paths)
    assert [e.year for e in editions] == sorted({load_config(p).mss.edition for p in paths})
    trend = data.trend(build_layers.areas, editions)
    # the build's own edition is on the same planning areas: no transfer, the same means
    own = config.mss.edition
    assert not trend.transferred[own] and trend.transferred[2013]
    for hr_id in key.index:
        row = trend.areas.loc[(hr_id, own)]
        # the trend's column is the declared series of s4, the page's row its code
        s4 = config.child_poverty_indicator()
        assert s4 is not None and s4.code == "s4"
        assert row[s4.series] == pytest.approx(means.at["s4", hr_id], rel=1e-9)
        assert row["population"] == pytest.approx(key.at[hr_id, "population"], rel=1e-9)
    # inhabitants moved from LOR 2006 onto the footprints never exceed Berlin's total
    total_2013 = trend.berlin.at[2013, "population"]
    assert trend.areas.xs(2013, level="year")["population"].sum() < total_2013
    # in the build's own edition, the attention share is the population share of its members
    # that meet the MSS criterion (no transfer on the same planning areas)
    plr = build_layers.planning_areas
    for hr_id in key.index:
        members = plr[plr["hr_id"] == hr_id]
        pop = members["population"].astype(float)
        expected = 100 * pop[members["c_mss"] == 1].sum() / pop.sum()
        assert trend.areas.loc[(hr_id, own), "attention_share"] == pytest.approx(expected)


def _sensitivity_dir(tmp: Path, build_layers) -> Path:
    """A small sensitivity output of the shape `quartiere sensitivity` writes."""
    plr = build_layers.planning_areas
    members = plr[plr["hr_id"] == "01"]["plr_id"].tolist()
    frame = pd.DataFrame({"plr_id": plr["plr_id"], "plr_name": plr["plr_name"]})
    frame["inclusion"] = np.where(frame["plr_id"].isin(members), 1.0, 0.0)
    frame.loc[frame["plr_id"] == members[0], "inclusion"] = 0.42
    frame["class"] = np.where(frame["inclusion"] >= 0.9, "robust-in", "robust-out")
    frame.loc[frame["plr_id"] == members[0], "class"] = "contested"
    directory = tmp / "sensitivity"
    directory.mkdir()
    gpkg = directory / "sensitivity.gpkg"
    gpd.GeoDataFrame(frame, geometry=plr.geometry.to_numpy(), crs=plr.crs).to_file(
        gpkg, layer="planungsraeume"
    )
    areas = build_layers.areas[["hr_id", "hr_name"]].assign(stability=0.5, mean_jaccard=0.5)
    areas.loc[areas["hr_id"] == "01", ["stability", "mean_jaccard"]] = [0.874, 0.91]
    gpd.GeoDataFrame(areas, geometry=[box(0, 0, 1, 1)] * len(areas), crs=plr.crs).to_file(
        gpkg, layer="handlungsraeume"
    )
    (directory / "sensitivity.json").write_text("{}", encoding="utf-8")
    return directory


def test_html_offline_german_with_robustness(tmp_path: Path, default_build: Path, build_layers):
    sensitivity = _sensitivity_dir(tmp_path, build_layers)
    out = tmp_path / "profiles"
    _run(
        "--build",
        str(default_build),
        "--sensitivity",
        str(sensitivity),
        "--out",
        str(out),
        "--no-pdf",
        "-q",
    )
    pages = sorted(out.glob("*.html"))
    assert len(pages) == len(build_layers.areas) + 1
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert '<html lang="de">' in html
        # nothing is fetched: every src is a data URI, no stylesheet or script reference
        assert not re.search(r'src="(?!data:)', html)
        assert "<script" not in html and "<link" not in html
        assert not re.search(r"url\(\s*['\"]?http", html)
        # the only http(s) references are plain links in the sources section
        head, _, sources = html.partition("<h2>Quellen, Lizenzen und Ausgabe</h2>")
        assert "http" not in re.sub(r'src="data:[^"]*"', "", head)
    first = (out / "01.html").read_text(encoding="utf-8")
    population = int(build_layers.areas.set_index("hr_id").at["01", "population"])
    assert f"{population:,}".replace(",", ".") in first
    assert "Stabilität" in first and "87 %" in first
    # the build's attribution, school list included, not only the Berlin open data
    assert "Schulliste" in (build_layers.info.attribution or "")
    assert (build_layers.info.attribution or "") in first
    contested = build_layers.planning_areas.query("hr_id == '01'").sort_values("plr_id").iloc[0]
    assert re.search(rf"{contested.plr_id} [^<]*</th><td class=\"num\">42</td>", first)
    # a page without sensitivity says so instead of inventing numbers
    other = tmp_path / "plain"
    _run("--build", str(default_build), "--out", str(other), "--no-pdf", "-q")
    assert "Keine Sensitivitätsanalyse angegeben" in (other / "01.html").read_text("utf-8")


def test_english_by_configuration(tmp_path: Path, default_build: Path) -> None:
    config = tmp_path / "en.yaml"
    config.write_text(
        f"extends: {ROOT / 'config' / 'criteria.yaml'}\nlanguage: en\n", encoding="utf-8"
    )
    out = tmp_path / "en"
    _run(
        "--config", str(config), "--build", str(default_build), "--out", str(out), "--no-pdf", "-q"
    )
    html = (out / "01.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in html and "Key figures" in html and "Kennzahlen" not in html


@pytest.mark.parametrize("chromium", ["absent", "present"])
def test_missing_inputs_are_one_line(tmp_path: Path, default_build: Path, chromium: str) -> None:
    """The user's own arguments come before the optional browser: a missing build, history or
    sensitivity run is exit 3 whether Chromium is installed or not (a stand-in here)."""
    browser = tmp_path / "chromium"
    if chromium == "present":
        browser.write_text("#!/bin/sh\nexit 1\n")
        browser.chmod(0o755)
    env = {"QUARTIERE_CHROMIUM": str(browser)}
    for args, expected in (
        (["--build", str(tmp_path / "none.gpkg")], "none.gpkg: build not found; make it with"),
        (["--build", str(default_build), "--history", str(tmp_path / "nh")], "nh: history run"),
        (["--build", str(default_build), "--sensitivity", str(tmp_path)], "no sensitivity.gpkg"),
    ):
        result = CliRunner().invoke(
            main, ["profiles", *args, "--out", str(tmp_path / "o"), "-q"], env=env
        )
        lines = result.output.strip().splitlines()
        assert result.exit_code == 3, result.output
        assert len(lines) == 1 and expected in lines[0], result.output
        assert not (tmp_path / "o").exists()
    result = CliRunner().invoke(
        main,
        [
            "profiles",
            "--build",
            str(default_build),
            "--sensitivity",
            str(tmp_path),
            "--out",
            str(tmp_path / "o"),
            "--no-pdf",
        ],
    )
    assert result.exit_code == 3 and "sensitivity.gpkg" in result.output
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
@pytest.mark.client("chromium")
def test_every_page_in_chromium(tmp_path_factory, default_build: Path, build_layers) -> None:
    from playwright.sync_api import sync_playwright
    from pypdf import PdfReader

    from quartiere.profiles.printing import CHROMIUM_ARGS, find_chromium

    chromium = find_chromium()
    assert chromium is not None  # the client marker skipped or failed the test otherwise

    out = tmp_path_factory.mktemp("profiles")
    _run("--build", str(default_build), "--out", str(out), "-q")
    areas = build_layers.areas.set_index("hr_id")
    problems: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context = browser.new_context()
        external: list[str] = []

        def block(route):
            external.append(route.request.url)
            route.abort()

        context.route(re.compile(r"^(?!file:|data:).*"), block)
        page = context.new_page()
        page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))
        page.goto((out / "index.html").as_uri())
        links = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
        local = sorted({link for link in links if link.startswith("file:")})
        assert {Path(link[7:]).name for link in local} == {
            f"{hr_id}.{ext}" for hr_id in areas.index for ext in ("html", "pdf")
        }
        for link in [(out / "index.html").as_uri()] + [lk for lk in local if lk.endswith(".html")]:
            response = page.goto(link)
            assert response is not None and response.ok, link
            page.wait_for_load_state("load")
            broken = page.eval_on_selector_all(
                "img", "els => els.filter(i => !(i.complete && i.naturalWidth > 0)).length"
            )
            assert page.eval_on_selector_all("img", "els => els.length") >= 1, link
            assert broken == 0, link
            assert page.eval_on_selector_all("img:not([alt])", "els => els.length") == 0
            levels = page.eval_on_selector_all("h1, h2, h3", "els => els.map(e => e.tagName)")
            assert levels[0] == "H1" and all(
                int(b[1]) - int(a[1]) <= 1 for a, b in zip(levels, levels[1:], strict=False)
            ), link
            if link.endswith("index.html"):
                continue
            hr_id = Path(link).stem
            assert page.inner_text("#hr-id") == hr_id
            assert page.inner_text("#hr-name") == areas.at[hr_id, "hr_name"]
            shown = page.inner_text("#inhabitants")
            assert shown == f"{int(areas.at[hr_id, 'population']):,}".replace(",", "."), shown
            assert page.locator("#inhabitants").is_visible()
        browser.close()
    assert not problems, problems
    assert not external, external
    for hr_id, name in areas["hr_name"].items():
        reader = PdfReader(out / f"{hr_id}.pdf")
        assert 1 <= len(reader.pages) <= 4, (hr_id, len(reader.pages))
        text = " ".join(" ".join((p.extract_text() or "").split()) for p in reader.pages)
        assert " ".join(name.split()) in text, hr_id
    shutil.rmtree(out, ignore_errors=True)


def test_schools_layer_is_shown_when_present(tmp_path: Path, default_build: Path, build_layers):
    """A build with a ``schulen`` point layer lists the area's schools instead of catchments."""
    gpkg = tmp_path / "with_schools.gpkg"
    shutil.copy(default_build, gpkg)
    inside = build_layers.areas.set_index("hr_id").geometry["01"].representative_point()
    outside = build_layers.areas.set_index("hr_id").geometry["02"].representative_point()
    schools = gpd.GeoDataFrame(
        {
            "bsn": ["01G99", "02G98"],
            "name": ["Testschule Wedding", "Testschule Kreuzberg"],
            "lmb_share": [81.25, 40.0],
            "lmb_source": ["estimate", "official"],
            "flagged": [1, 0],
        },
        geometry=[inside, outside],
        crs=build_layers.areas.crs,
    )
    schools.to_file(gpkg, layer="schulen")
    out = tmp_path / "p"
    _run("--build", str(gpkg), "--out", str(out), "--no-pdf", "-q")
    first = (out / "01.html").read_text(encoding="utf-8")
    assert "01G99 Testschule Wedding" in first and "81,2" in first
    assert "Testschule Kreuzberg" not in first
    assert "Testschule Kreuzberg" in (out / "02.html").read_text(encoding="utf-8")
    assert "Thomas Tursics" in first


def test_history_run_adds_the_share_inside_an_area(
    tmp_path: Path, default_build: Path, build_layers
):
    """With a history run, the trend shows which share of the footprint lay inside a Handlungsraum
    of each edition: 100 % for the build's own edition, less where an edition drew it smaller."""
    from quartiere.config import load_config
    from quartiere.editions import edition_file, edition_key
    from quartiere.profiles import data

    default = load_config(ROOT / "config" / "criteria.yaml")
    history = tmp_path / "history" / edition_key(default)
    history.mkdir(parents=True)
    shutil.copy(default_build, history / "handlungsraeume.gpkg")
    editions = data.load_editions([edition_file(default)])
    data.read_history(tmp_path / "history", editions)
    assert editions[0].in_area is not None and int(editions[0].in_area.sum()) == int(
        build_layers.planning_areas["hr_id"].notna().sum()
    )
    trend = data.trend(build_layers.areas, editions)
    assert np.allclose(trend.areas["in_area_share"], 100.0)
    out = tmp_path / "p"
    _run(
        "--build",
        str(default_build),
        "--history",
        str(tmp_path / "history"),
        "--out",
        str(out),
        "--no-pdf",
        "-q",
    )
    assert "Anteil der Fläche in einem Handlungsraum" in (out / "01.html").read_text("utf-8")
