"""The web map (``quartiere site``): written from the build, the history and the atlas, opened in a
real Chromium with every request that leaves ``file://`` refused."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from quartiere.cli import main

ROOT = Path(__file__).resolve().parents[1]
TINY_PLAN = """\
samples: 4
seed: 7
parameters:
  - key: criteria.schools.lmb_threshold
    name: lmb_threshold
    range: [65, 85]
  - key: delineation.join
    name: join_rule
    choices: ["n_criteria >= 1", "n_criteria >= 2"]
"""
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ZOOM_TO = """id => {
  const s = window.quartiereSite;
  s.state.layers.plr.eachLayer(l => {
    if (l.feature.id === id) s.map.fitBounds(l.getBounds(), {animate: false});
  });
}"""
MIN_COLOURS = 12
"""A map pane with shaded planning areas, outlines and labels has far more; a blank one has 1."""


@pytest.fixture(scope="session")
def atlas_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from quartiere.sensitivity.run import run_sensitivity

    out = tmp_path_factory.mktemp("atlas")
    plan = out / "plan.yaml"
    plan.write_text(TINY_PLAN, encoding="utf-8")
    run_sensitivity(ROOT / "config" / "criteria.yaml", plan, out / "run", workers=0)
    return out / "run"


@pytest.fixture(scope="session")
def site_dir(tmp_path_factory, default_build: Path, history_run, atlas_dir: Path) -> Path:
    history = Path(history_run.editions[0].path).parent.parent
    out = tmp_path_factory.mktemp("site") / "site"
    result = CliRunner().invoke(
        main,
        [
            "site",
            "--build",
            str(default_build),
            "--history",
            str(history),
            "--sensitivity",
            str(atlas_dir),
            "--out",
            str(out),
            "-q",
        ],
    )
    assert result.exit_code == 0, result.output
    return out


def test_site_is_self_contained_and_small(site_dir: Path) -> None:
    html = (site_dir / "index.html").read_text(encoding="utf-8")
    assert '<html lang="de">' in html
    for src in re.findall(r'(?:src|href)="([^"]+)"', html):
        if src.startswith(("http:", "https:", "#")):
            continue  # plain links (attribution), never loaded
        assert (site_dir / src).is_file(), src
    # nothing the page loads points at the network
    for path in [*site_dir.glob("*.js"), *site_dir.glob("*.css"), *(site_dir / "data").glob("*")]:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"(src|url)\(?\s*=?\s*[\"']?https?://", text), path
    size = sum(p.stat().st_size for p in site_dir.rglob("*") if p.is_file())
    assert size < 15e6
    for name in ("handlungsraeume.gpkg.zip", "planungsraeume.csv", "summary.md"):
        assert (site_dir / "downloads" / name).is_file()
    import zipfile

    with zipfile.ZipFile(site_dir / "downloads" / "handlungsraeume.gpkg.zip") as archive:
        assert archive.namelist() == ["handlungsraeume.gpkg"]


def test_shared_edges_survive_the_simplification(default_build: Path) -> None:
    import shapely

    from quartiere.profiles.data import read_build_layers
    from quartiere.site.geometry import simplify_coverage

    plr = read_build_layers(default_build).planning_areas
    simple = simplify_coverage(plr.geometry, 10.0)
    assert shapely.coverage_is_valid(simple.to_numpy())  # no overlaps between neighbours
    # no gaps: the union has no more area than the parts (to a square metre per planning area)
    assert abs(shapely.union_all(simple.to_numpy()).area - simple.area.sum()) < len(plr)
    assert (
        shapely.get_num_coordinates(simple.to_numpy()).sum()
        < 0.2 * shapely.get_num_coordinates(plr.geometry.to_numpy()).sum()
    )


def test_bad_input_is_one_line_before_any_browser(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["site", "--build", str(tmp_path / "missing.gpkg"), "--out", str(tmp_path / "s")]
    )
    assert result.exit_code == 3
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "missing.gpkg" in lines[0] and "build not found" in lines[0]
    assert not (tmp_path / "s").exists()


def test_a_foreign_folder_is_not_replaced(tmp_path: Path, default_build: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    result = CliRunner().invoke(main, ["site", "--build", str(default_build), "--out", str(out)])
    assert result.exit_code == 2 and "not a site" in result.output
    assert (out / "notes.txt").read_text() == "keep me"


def _point_inside(page, selector: str) -> tuple[float, float]:
    """A client point over the element ``selector`` (an SVG path) where it is the topmost."""
    point = page.evaluate(
        """sel => {
          const path = document.querySelector(sel);
          const box = path.getBBox(), m = path.getScreenCTM();
          for (let i = 1; i < 24; i++) for (let j = 1; j < 24; j++) {
            const p = new DOMPoint(box.x + box.width * i / 24, box.y + box.height * j / 24);
            if (!path.isPointInFill(p)) continue;
            const c = p.matrixTransform(m);
            if (document.elementFromPoint(c.x, c.y) === path) return [c.x, c.y];
          }
          return null;
        }""",
        selector,
    )
    assert point is not None, f"no free point over {selector}"
    return point[0], point[1]


def _colours(png: bytes) -> int:
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    return len(image.getcolors(maxcolors=image.width * image.height) or [])


@pytest.mark.client("chromium")
def test_the_site_in_chromium(site_dir: Path, history_run, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    from quartiere.profiles.printing import find_chromium

    chromium = find_chromium()
    assert chromium is not None  # the client marker skipped or failed the test otherwise
    timeline = json.loads(
        (Path(history_run.editions[0].path).parent.parent / "timeline.json").read_text()
    )
    n_2013 = next(e["n_areas"] for e in timeline["editions"] if e["key"] == "mss2013")
    with sync_playwright() as pw:
        # playwright starts Chromium with a fresh user-data-dir of its own each time
        browser = pw.chromium.launch(executable_path=chromium, args=ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            refused: list[str] = []

            def refuse(route) -> None:
                refused.append(route.request.url)
                route.abort()

            context.route(re.compile(r"^(?!file:).*"), refuse)
            requested: list[str] = []
            page = context.new_page()
            page.on("request", lambda r: requested.append(r.url))
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto((site_dir / "index.html").as_uri())
            page.wait_for_selector("body[data-ready='1']", timeout=30_000)
            assert page.locator("html").get_attribute("lang") == "de"

            # a screenshot of the map pane is not blank
            assert _colours(page.locator("#map").screenshot()) > MIN_COLOURS

            # click planning area 01300732: its decision sentence and its three criteria
            page.evaluate(ZOOM_TO, "01300732")  # as a reader zooms in: the area fills the map
            x, y = _point_inside(page, "path.plr-01300732")
            page.mouse.click(x, y)
            details = page.locator("#detail-body")
            assert "01300732" in details.inner_text()
            decision = details.locator(".decision").inner_text()
            assert decision.startswith("Kern von HR") or "HR" in decision, decision
            assert details.locator("tr[data-criterion]").count() == 3
            assert "erfüllt" in details.locator("tr[data-criterion='c_mss']").inner_text()
            assert "Einschulungsbereich" in details.inner_text()  # the transfer weights
            assert "Szenarien" in details.inner_text()  # the robustness atlas

            # keyboard: focus reaches the switcher and an area's number, Enter opens the area
            page.locator("#edition").focus()
            assert page.evaluate("document.activeElement.id") == "edition"
            label = page.locator(".hr-label").first
            label.focus()
            page.keyboard.press("Enter")
            assert "Handlungsraum" in details.inner_text()

            # the search finds Rollberg
            page.fill("#search", "Rollberg")
            page.press("#search", "Enter")
            results = page.locator("#search-results")
            assert "Rollberg" in results.inner_text()
            results.locator("button").first.click()
            assert "Rollberg" in details.inner_text()

            # switching to MSS 2013 shows that edition's number of areas (from the history)
            page.select_option("#edition", "mss2013")
            page.wait_for_selector("body[data-ready='1'][data-edition='mss2013']")
            count = page.locator("#area-count")
            assert count.get_attribute("data-n") == str(n_2013)
            assert page.locator(".hr-label").count() == n_2013
            assert str(n_2013) in count.inner_text()
            page.select_option("#edition", "mss2015")
            page.wait_for_selector("body[data-ready='1'][data-edition='mss2015']")
            assert "MSS 2013" in page.locator("#changes-body").inner_text()  # the change memo

            # a phone-sized viewport: the map and the panel are both there
            page.set_viewport_size({"width": 390, "height": 844})
            assert page.locator("#map").bounding_box()["width"] >= 380
            assert page.locator("#search").is_visible()

            assert not errors, errors
            assert not refused, refused
            assert all(u.startswith("file:") for u in requested), requested
        finally:
            browser.close()
