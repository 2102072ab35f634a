"""`scenespec gallery`: the static site, its escaping, rebuilds that re-render only changed specs, and the pages
in headless Chromium (Debian's /usr/bin/chromium, driven by Playwright, launched as in test_video.py)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from browser import browser_for, chromium, serve
from helpers import REPO, replace_once, run_cli
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from scenespec.compile import recipe
from scenespec.gallery import build_gallery
from scenespec.gallery.reader import reader_text, spec_packages, spec_reference
from scenespec.packages import packaged_file
from scenespec.pipeline import render
from scenespec.render import renderer
from scenespec.render.engine import FrameEngine

SCRIPT_TITLE = "<script>alert(1)</script>"
OUTPUTS = ("poster.png", "animation.gif", "animation.mp4")


def small_specs(folder: Path) -> None:
    """Three quick copies of shipped specs, a broken spec and one whose title is a script tag."""
    folder.mkdir()
    specs = REPO / "specs"
    linreg = (specs / "linreg.toml").read_text(encoding="utf-8")
    linreg = replace_once(replace_once(linreg, "epochs = 500", "epochs = 40"), "dpi = 100", "dpi = 50")
    (folder / "linreg.toml").write_text(linreg, encoding="utf-8")
    contour = (specs / "bowl_contour.toml").read_text(encoding="utf-8")
    contour = replace_once(contour, "[scene]\n", "[scene]\ndpi = 40\n")
    (folder / "bowl_contour.toml").write_text(contour, encoding="utf-8")
    paths = (specs / "bowl_paths.toml").read_text(encoding="utf-8")
    paths = replace_once(replace_once(paths, "steps = 30", "steps = 8"), "[scene]\n", "[scene]\ndpi = 40\n")
    (folder / "bowl_paths.toml").write_text(paths, encoding="utf-8")
    (folder / "broken.toml").write_text(contour.replace('kind = "contour"', 'kind = "contuor"'), encoding="utf-8")
    xss = re.sub(r"(?m)^title = .*$", f'title = "{SCRIPT_TITLE}"', contour, count=1)
    xss = re.sub(r"(?m)^description = .*$", 'description = "<b>bold?</b> & <img src=x onerror=alert(2)>"', xss, count=1)
    (folder / "xss.toml").write_text(xss, encoding="utf-8")


@dataclass(frozen=True)
class Built:
    specs: Path
    out: Path
    stdout: str
    stderr: str
    returncode: int


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    root = tmp_path_factory.mktemp("gallery")
    small_specs(root / "specs")
    result = run_cli(["gallery", "specs", "-o", "site"], root)
    return Built(root / "specs", root / "site", result.stdout, result.stderr, result.returncode)


def test_build_reports_the_broken_spec_and_exits_2(built: Built) -> None:
    assert built.returncode == 2, built.stderr
    for name in ("linreg", "bowl_contour", "bowl_paths", "xss"):
        assert re.search(rf"^rendered {name} \(\d+ frames?, \d+\.\d s\)$", built.stdout, re.MULTILINE), built.stdout
    assert re.search(r"^failed broken: .*contuor", built.stdout, re.MULTILINE), built.stdout
    assert "error: broken failed:" in built.stderr
    assert "Traceback" not in built.stderr
    assert "gallery: 5 specs (4 rendered, 0 unchanged, 1 failed)" in built.stdout
    for name in ("linreg", "bowl_paths"):
        assert all((built.out / name / f).stat().st_size > 0 for f in OUTPUTS)
    assert [p.name for p in (built.out / "bowl_contour").iterdir() if p.suffix not in (".html", ".toml")] == [
        "poster.png"
    ]


def test_index_has_a_card_per_spec(built: Built) -> None:
    html = (built.out / "index.html").read_text(encoding="utf-8")
    assert html.count('<article class="card') == 5
    assert html.count('<article class="card error"') == 1
    error_card = html[html.index('<article class="card error"') :]
    assert "broken.toml" in error_card and "contuor" in error_card
    assert "Linear regression by gradient descent" in html
    assert '<a href="linreg/index.html">' in html and 'src="linreg/poster.png"' in html
    assert "<code>trainer</code>" in html and "<code>scatter</code>" in html and "<code>contour</code>" in html
    assert (built.out / "style.css").is_file()
    page = (built.out / "linreg" / "index.html").read_text(encoding="utf-8")
    assert '<code id="spec" class="language-toml">' in page
    assert '<span class="tok-key">epochs</span> = 40' in page
    assert re.search(r"<dd>\d+×\d+ px</dd>", page)


def test_spec_text_is_escaped(built: Built) -> None:
    """The only script of a page is the gallery's own; the spec's title and description are text."""
    GALLERY_JS = {built.out / "index.html": "gallery.js", built.out / "xss" / "index.html": "../gallery.js"}
    for html_file in GALLERY_JS:
        html = html_file.read_text(encoding="utf-8")
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert re.findall(r"<script[^>]*>", html, re.IGNORECASE) == [f'<script src="{GALLERY_JS[html_file]}">']
        assert "<b>" not in html and "onerror=alert" not in html.replace("&lt;img src=x onerror=alert", "")


def test_links_are_relative(built: Built) -> None:
    pages = [built.out / "index.html", *built.out.glob("*/index.html")]
    assert len(pages) == 5  # the index and four spec pages (none for the broken spec)
    for page in pages:
        for link in re.findall(r'(?:href|src|poster)="([^"]*)"', page.read_text(encoding="utf-8")):
            assert not link.startswith(("/", "http")), (page, link)
            if not link.startswith("data:"):
                assert (page.parent / link.split("#")[0]).exists(), (page, link)


def page_of(built: Built, name: str) -> str:
    return (built.out / name / "index.html").read_text(encoding="utf-8")


def test_one_player_per_page_with_the_gif_inside_the_video(built: Built) -> None:
    page = page_of(built, "linreg")
    assert page.count("<video") == 1 and page.count("<img") == 1
    video = page[page.index("<video") : page.index("</video>")]
    for attribute in ("autoplay", "muted", "loop", "playsinline", 'poster="poster.png"'):
        assert re.search(rf"<video[^>]* {attribute}[ >]", video), attribute
    assert '<source src="animation.mp4" type="video/mp4">' in video
    assert re.search(r'<img src="animation.gif" [^>]*loading="lazy"', video)  # fetched only if shown
    still = page_of(built, "bowl_contour")  # one frame: the PNG, no player
    assert "<video" not in still and re.findall(r'<img src="([^"]+)"', still) == ["poster.png"]


def test_the_reader_gets_the_spec_without_the_repository_schema_line(built: Built) -> None:
    """The page shows, and links for download, the spec minus its `#:schema` line, which names the repository's
    docs/ folder; a note says how `scenespec init` writes one that works."""
    spec = (built.specs / "linreg.toml").read_text(encoding="utf-8")
    assert spec.startswith("#:schema ../docs/scenespec.schema.json\n")
    page = page_of(built, "linreg")
    assert '<a class="download" href="linreg.toml" download="linreg.toml">' in page
    download = (built.out / "linreg" / "linreg.toml").read_text(encoding="utf-8")
    assert download == spec.removeprefix("#:schema ../docs/scenespec.schema.json\n")
    for text in (page, download):
        assert "scenespec.schema.json" not in text and "#:schema" not in text
    assert "<code>scenespec init NAME --from linreg.toml</code>" in page
    # The copy on the page is the downloaded text, highlighted: its text is the file's.
    shown = page[page.index('<code id="spec" class="language-toml">') :]
    shown = shown[shown.index(">") + 1 : shown.index("</code></pre>")]
    assert unescape(re.sub(r"</?span[^>]*>", "", shown)) == download
    # The downloaded copy is a spec by itself, as the page's command uses it.
    assert '<code id="command">scenespec render linreg.toml</code>' in page
    checked = run_cli(["validate", "linreg.toml"], built.out / "linreg")
    assert checked.returncode == 0, checked.stderr


def test_scenespecs_own_specs_are_rendered_by_package_name() -> None:
    packages = spec_packages()
    assert packages[packaged_file("scenespec:linreg").resolve().parent] == "scenespec"
    assert spec_reference(packaged_file("scenespec:linreg"), "linreg.toml", packages) == "scenespec:linreg"
    assert spec_reference(REPO / "tests" / "linreg.toml", "linreg.toml", packages) == "linreg.toml"


SCHEMA = "#:schema ../docs/scenespec.schema.json\n"


@pytest.mark.parametrize(
    ("text", "reader"),
    [
        (SCHEMA + "# comment\n[scene]\n", "# comment\n[scene]\n"),
        ("# comment\n" + SCHEMA + "\n[scene]\n", "# comment\n\n[scene]\n"),  # any leading comment line
        ("#:schema https://example.org/s.json\n[scene]\n", "#:schema https://example.org/s.json\n[scene]\n"),
        ('[scene]\ndescription = """\n' + SCHEMA + '"""\n', '[scene]\ndescription = """\n' + SCHEMA + '"""\n'),
    ],
    ids=["first line", "after a comment", "a URL is kept", "not in the body"],
)
def test_reader_text_of_toml(text: str, reader: str) -> None:
    assert reader_text(text, "toml") == reader


@pytest.mark.parametrize(
    ("text", "reader"),
    [
        ('{\n  "$schema": "../s.json",\n  "scene": {"dpi": 40}\n}\n', '{\n  "scene": {"dpi": 40}\n}\n'),
        ('{"scene": {"dpi": 40},\n "$schema": "../s.json"}', '{\n  "scene": {\n    "dpi": 40\n  }\n}\n'),
        ('{"$schema": "https://example.org/s", "scene": {}}', '{"$schema": "https://example.org/s", "scene": {}}'),
        ('{"scene": {"$schema": "../s.json"}}', '{"scene": {"$schema": "../s.json"}}'),
    ],
    ids=["its own line, layout kept", "last member: written again", "a URL is kept", "only at the top"],
)
def test_reader_text_of_json(text: str, reader: str) -> None:
    assert reader_text(text, "json") == reader


def test_prev_and_next_follow_the_index(built: Built) -> None:
    index = (built.out / "index.html").read_text(encoding="utf-8")
    order = re.findall(r'<article class="card(?: animated)?" id="([^"]+)"', index)
    assert order == ["bowl_contour", "bowl_paths", "linreg", "xss"]  # the broken spec has no page
    for i, name in enumerate(order):
        page = page_of(built, name)
        prev = re.findall(r'<a rel="prev" href="\.\./([^/"]+)/index\.html"', page)
        after = re.findall(r'<a rel="next" href="\.\./([^/"]+)/index\.html"', page)
        assert prev == order[i - 1 : i] if i else prev == [], (name, prev)
        assert after == order[i + 1 : i + 2], (name, after)


def test_cards_carry_their_kinds_for_the_filters(built: Built) -> None:
    index = (built.out / "index.html").read_text(encoding="utf-8")
    cards = dict(re.findall(r'<article class="card[^"]*" id="([^"]+)"( data-[^>]*)>', index))
    assert cards["linreg"] == ' data-sources="trainer" data-layers="counter line scatter spline text"'
    assert cards["bowl_paths"] == ' data-sources="optimizer" data-layers="contour counter path"'
    assert cards["broken"] == ' data-sources="" data-layers=""'  # an invalid spec matches no filter
    boxes = re.findall(r'<input type="checkbox" name="(\w+)" value="([^"]+)">', index)
    assert boxes == [
        ("sources", "optimizer"),
        ("sources", "trainer"),
        ("layers", "contour"),
        ("layers", "counter"),
        ("layers", "line"),
        ("layers", "path"),
        ("layers", "scatter"),
        ("layers", "spline"),
        ("layers", "text"),
    ]
    assert '<form class="filters" id="filters" hidden>' in index  # shown by the script: no dead controls without it
    # A card names its file beside its title, so two specs of the same title are told apart.
    for name in ("bowl_contour", "xss"):
        card = index[index.index(f'id="{name}"') :]
        assert f"<code>{name}.toml</code>" in card[: card.index("</article>")]


def test_rebuild_rerenders_only_changed_specs(built: Built, tmp_path: Path) -> None:
    specs, out = tmp_path / "specs", tmp_path / "site"
    shutil.copytree(built.specs, specs)
    shutil.copytree(built.out, out)
    # The manifest keys specs by absolute path: point the copy's manifest at the copied specs.
    manifest = out / ".gallery.json"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace(str(built.specs), str(specs)), encoding="utf-8")
    outputs = [p for p in out.glob("*/*") if p.name in OUTPUTS]
    times = {p: p.stat().st_mtime_ns for p in outputs}
    again = run_cli(["gallery", "specs", "-o", "site"], tmp_path)
    assert again.returncode == 2, again.stderr
    assert "rendered" not in again.stdout.replace("0 rendered", ""), again.stdout
    for name in ("linreg", "bowl_contour", "bowl_paths", "xss"):
        assert f"unchanged {name}\n" in again.stdout
    assert "failed broken" in again.stdout
    assert {p: p.stat().st_mtime_ns for p in outputs} == times
    # Change one spec's content: only it is rendered again.
    linreg = specs / "linreg.toml"
    linreg.write_text(linreg.read_text(encoding="utf-8").replace("fps = 5", "fps = 6"), encoding="utf-8")
    third = run_cli(["gallery", "specs", "-o", "site", "-q"], tmp_path)
    assert third.returncode == 2
    assert third.stdout == ""  # quiet: failures go to stderr only
    assert "error: broken failed:" in third.stderr
    fourth = run_cli(["gallery", "specs", "-o", "site"], tmp_path)
    assert "unchanged linreg" in fourth.stdout
    changed = {p for p in outputs if p.stat().st_mtime_ns != times[p]}
    assert changed == {out / "linreg" / f for f in OUTPUTS}


def test_each_spec_is_drawn_once_into_all_its_outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One graph and one draw per frame feed the GIF, the MP4 and the poster (a tee); they equal separate renders."""
    small_specs(tmp_path / "specs")
    linreg, contour = tmp_path / "specs" / "linreg.toml", tmp_path / "specs" / "bowl_contour.toml"
    calls: Counter[str] = Counter()

    def counted(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            calls[name] += 1
            return function(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(recipe, "compile_scene", counted("graph", recipe.compile_scene))
    monkeypatch.setattr(FrameEngine, "pixels", counted("engine frame", FrameEngine.pixels))
    monkeypatch.setattr(renderer, "frame_pixels", counted("full draw", renderer.frame_pixels))
    result = build_gallery([linreg, contour], tmp_path / "site", workers=1)
    assert result.failed == []
    animated, still = (entry.facts for entry in result.entries)
    assert animated is not None and still is not None
    assert animated["animated"] and animated["frames"] > 10 and not still["animated"] and still["frames"] == 1
    assert calls == {"graph": 2, "engine frame": animated["frames"], "full draw": 1}
    site = tmp_path / "site"
    assert sorted(p.name for p in (site / "linreg").iterdir()) == [
        "animation.gif",
        "animation.mp4",
        "index.html",
        "linreg.toml",
        "poster.png",
    ]
    contour_files = sorted(p.name for p in (site / "bowl_contour").iterdir())
    assert contour_files == ["bowl_contour.toml", "index.html", "poster.png"]
    with Image.open(site / "linreg" / "poster.png") as poster:
        assert poster.size == (animated["width"], animated["height"])

    # The same bytes as separate renders of each output; the poster as `--frame -1` (a full draw, not the engine's).
    apart = tmp_path / "apart"
    apart.mkdir()
    for name in ("animation.gif", "animation.mp4"):
        render(linreg, out=str(apart / name), progress=False, workers=1)
        assert (site / "linreg" / name).read_bytes() == (apart / name).read_bytes(), name
    for spec, folder in ((linreg, "linreg"), (contour, "bowl_contour")):
        render(spec, out=str(apart / f"{folder}.png"), frame=-1, progress=False, workers=1)
        poster = np.asarray(Image.open(site / folder / "poster.png").convert("RGB")).astype(int)
        alone = np.asarray(Image.open(apart / f"{folder}.png").convert("RGB")).astype(int)
        difference = np.abs(poster - alone)  # the engine blends pre-drawn overlays: equal up to its rounding
        assert difference.max() <= 3 and difference.mean() < 0.05, (folder, difference.max(), difference.mean())


@pytest.fixture(scope="module")
def server(built: Built) -> Iterator[str]:
    with serve(built.out) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser | None]:
    with chromium() as launched:
        yield launched


ALL_IMAGES_LOADED = "() => [...document.images].every(i => i.complete) && document.images.length > 0"
IMAGE_WIDTHS = "() => [...document.images].map(i => [i.getAttribute('src'), i.naturalWidth])"
VISIBLE_CARDS = "() => [...document.querySelectorAll('article.card')].filter(c => !c.hidden).map(c => c.id)"
VIDEO_PLAYING = "() => { const v = document.querySelector('video'); return v.error || v.readyState >= 2 && !v.paused; }"


def tick(page: Page, group: str, kind: str) -> list[str]:
    """Click a filter's chip; the ids of the cards still shown."""
    page.locator(f'#filters input[name="{group}"][value="{kind}"]').click()
    return list(page.evaluate(VISIBLE_CARDS))


def keep_screenshot(page: Page, name: str, **options: Any) -> Path:
    kept = REPO / "tests" / "output" / name
    kept.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(kept), **options)
    print(f"gallery screenshot: {kept}")
    return kept


def test_gallery_in_chromium(built: Built, server: str, browser: Browser | None) -> None:
    context = browser_for(browser).new_context(viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    try:
        page.goto(f"{server}/index.html", wait_until="load")
        page.wait_for_function(ALL_IMAGES_LOADED, timeout=30_000)
        widths = page.evaluate(IMAGE_WIDTHS)
        assert len(widths) == 4 and all(width > 0 for _, width in widths), widths
        assert page.locator("article.card").count() == 5
        assert page.locator("article.card.error").count() == 1
        assert SCRIPT_TITLE in page.locator("#xss h2").inner_text()
        assert os.path.getsize(keep_screenshot(page, "gallery_index.png", full_page=True)) > 0

        # Filters: within a group a card needs one of the ticked kinds, across groups it needs each group.
        assert page.locator("#filters").is_visible()
        assert tick(page, "layers", "path") == ["bowl_paths"]
        assert page.locator("#shown").inner_text() == "1 of 5 shown"
        assert not page.locator("#linreg").is_visible()
        assert tick(page, "layers", "contour") == ["bowl_contour", "bowl_paths", "xss"]
        assert tick(page, "sources", "trainer") == []
        assert tick(page, "layers", "path") == []
        assert tick(page, "layers", "contour") == ["linreg"]
        assert tick(page, "sources", "trainer") == ["bowl_contour", "bowl_paths", "broken", "linreg", "xss"]

        # A spec's page: one player, playing by itself, the GIF inside it never fetched; the spec beside it.
        page.locator("#linreg h2 a").click()
        page.wait_for_url(f"{server}/linreg/index.html", wait_until="load")  # not the index's own "load"
        page.wait_for_function(VIDEO_PLAYING, timeout=30_000)
        video = page.evaluate(
            "() => { const v = document.querySelector('video');"
            " return { error: v.error && v.error.message, width: v.videoWidth, muted: v.muted, loop: v.loop }; }"
        )
        assert video == {"error": None, "width": 320, "muted": True, "loop": True}, video
        assert page.evaluate(IMAGE_WIDTHS) == [["animation.gif", 0]]
        player, spec = page.locator("video").bounding_box(), page.locator("div.spec").bounding_box()
        assert player is not None and spec is not None
        assert player["x"] < 100 and player["x"] + player["width"] < spec["x"] < 1280 / 2 + 100, (player, spec)
        assert 1280 - 100 < spec["x"] + spec["width"] <= 1280 and abs(spec["y"] - player["y"]) < 2, (player, spec)
        assert player["width"] == 320  # as drawn (dpi 50), not blown up
        assert player["y"] + player["height"] < 900  # the whole player in the first screen
        keep_screenshot(page, "gallery_page.png")
        page.set_viewport_size({"width": 700, "height": 900})
        player, spec = page.locator("video").bounding_box(), page.locator("div.spec").bounding_box()
        assert player is not None and spec is not None and spec["y"] > player["y"] + player["height"], (player, spec)
        page.set_viewport_size({"width": 1280, "height": 900})

        # Copy buttons put the text shown on the clipboard: the downloaded spec (its title a script tag, as text).
        # A second context: its cache has no MP4 (the fallback below), its clock is stopped (the "Copied" stays).
        fresh = browser_for(browser).new_context(viewport={"width": 1280, "height": 900})
        fresh.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
        fresh.clock.install()
        second = fresh.new_page()
        second.on("pageerror", lambda error: errors.append(str(error)))
        second.goto(f"{server}/xss/index.html", wait_until="load")
        second.locator('button.copy[data-copy="spec"]').click()
        expect(second.locator('button.copy[data-copy="spec"]')).to_have_text("Copied")
        copied = second.evaluate("() => navigator.clipboard.readText()")
        assert copied == (built.out / "xss" / "xss.toml").read_text(encoding="utf-8")
        assert f'title = "{SCRIPT_TITLE}"' in copied
        second.locator('button.copy[data-copy="command"]').click()
        expect(second.locator('button.copy[data-copy="command"]')).to_have_text("Copied")
        assert second.evaluate("() => navigator.clipboard.readText()") == "scenespec render xss.toml"

        # Where the MP4 cannot be played, the GIF takes the video's place.
        second.route("**/animation.mp4", lambda route: route.abort())
        second.goto(f"{server}/linreg/index.html", wait_until="load")
        second.wait_for_function(ALL_IMAGES_LOADED, timeout=30_000)
        assert second.evaluate(IMAGE_WIDTHS) == [["animation.gif", 320]]
        assert second.locator("video").count() == 0 and second.locator(".player > img").is_visible()
        fresh.close()

        # From file://, without a server: the filters and the copy buttons work the same.
        page.goto((built.out / "index.html").as_uri(), wait_until="load")
        assert tick(page, "layers", "path") == ["bowl_paths"]
        page.locator("#bowl_paths h2 a").click()
        page.wait_for_url((built.out / "bowl_paths" / "index.html").as_uri(), wait_until="load")
        page.wait_for_function(VIDEO_PLAYING, timeout=30_000)
        assert page.evaluate("() => document.querySelector('video').error") is None
        assert page.locator('button.copy[data-copy="spec"]').is_visible()
        assert page.locator('a[rel="prev"]').get_attribute("href") == "../bowl_contour/index.html"
        assert errors == []
        assert dialogs == []
    finally:
        with contextlib.suppress(Exception):
            context.close()


HOSTILE = ["...toml", "..toml", ".hidden.toml", "-rf.toml", "a b;c.toml", "index.toml", "INDEX.toml", "___.toml"]


def test_hostile_spec_names_stay_inside_the_gallery_and_nothing_else_is_deleted(tmp_path: Path) -> None:
    """Names from file names never escape the output folder, and a rebuild deletes only what the gallery wrote."""
    specs, project = tmp_path / "specs", tmp_path / "project"
    specs.mkdir()
    project.mkdir()
    out = project / "gal"
    sentinel, beside = project / "keep.txt", project / "gal-sibling"
    sentinel.write_text("mine")
    beside.mkdir()
    contour = (REPO / "specs" / "bowl_contour.toml").read_text(encoding="utf-8")
    contour = replace_once(contour, "[scene]\n", "[scene]\ndpi = 20\n")
    for name in HOSTILE:
        (specs / name).write_text(contour, encoding="utf-8")
    files = sorted(specs.iterdir())
    result = build_gallery(files, out, workers=1)
    assert result.failed == []
    names = [entry.name for entry in result.entries]
    assert len(set(n.lower() for n in names)) == len(HOSTILE)
    for name in names:
        assert re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_-]*", name), name
        assert (out / name / "poster.png").is_file()
    assert sorted(p.name for p in project.iterdir()) == ["gal", "gal-sibling", "keep.txt"]
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [".gallery.json", "gallery.js", "index.html", "style.css", *names]
    )

    # A file of the user's inside a spec's folder survives that spec's removal; the folder then stays.
    (out / names[0] / "notes.txt").write_text("mine")
    for file in files:
        file.unlink()
    (specs / "only.toml").write_text(contour, encoding="utf-8")
    build_gallery([specs / "only.toml"], out, workers=1)
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [".gallery.json", "gallery.js", "index.html", "style.css", "only", names[0]]
    )
    assert [p.name for p in (out / names[0]).iterdir()] == ["notes.txt"]
    assert sentinel.read_text() == "mine" and beside.is_dir()


def test_a_tampered_manifest_cannot_delete_outside_the_gallery(tmp_path: Path) -> None:
    out, victim = tmp_path / "gal", tmp_path / "victim"
    victim.mkdir()
    (victim / "index.html").write_text("mine")
    out.mkdir()
    from scenespec import __version__

    # every hostile name points into this test's own folder, so even a broken build deletes nothing else
    names = ["../victim", "..", ".", str(victim), "", 3]
    records = {f"k{i}": {"name": name} for i, name in enumerate(names)}
    (out / ".gallery.json").write_text(json.dumps({"version": __version__, "specs": records}))
    spec = tmp_path / "s.toml"
    contour = (REPO / "specs" / "bowl_contour.toml").read_text(encoding="utf-8")
    spec.write_text(replace_once(contour, "[scene]\n", "[scene]\ndpi = 20\n"), encoding="utf-8")
    build_gallery([spec], out, workers=1)
    assert (victim / "index.html").read_text() == "mine" and (out / "s" / "poster.png").is_file()
