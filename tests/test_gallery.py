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
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from browser import browser_for, chromium, serve
from helpers import REPO, replace_once, run_cli
from PIL import Image
from playwright.sync_api import Browser

from scenespec.compile import recipe
from scenespec.gallery import build_gallery
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
    assert [p.name for p in (built.out / "bowl_contour").iterdir() if p.suffix != ".html"] == ["poster.png"]


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
    assert '<img src="animation.gif"' in page and 'src="animation.mp4"' in page and "<video controls" in page
    assert '<code class="language-toml">' in page
    assert '<span class="tok-key">epochs</span> = 40' in page
    assert re.search(r"<dd>\d+×\d+ px</dd>", page)


def test_spec_text_is_escaped(built: Built) -> None:
    for html_file in (built.out / "index.html", built.out / "xss" / "index.html"):
        html = html_file.read_text(encoding="utf-8")
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "<script" not in html.lower()
        assert "<b>" not in html and "onerror=alert" not in html.replace("&lt;img src=x onerror=alert", "")


def test_links_are_relative(built: Built) -> None:
    pages = [built.out / "index.html", *built.out.glob("*/index.html")]
    assert len(pages) == 5  # the index and four spec pages (none for the broken spec)
    for page in pages:
        for link in re.findall(r'(?:href|src|poster)="([^"]*)"', page.read_text(encoding="utf-8")):
            assert not link.startswith(("/", "http")), (page, link)
            if not link.startswith("data:"):
                assert (page.parent / link).exists(), (page, link)


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
        *["poster.png"],
    ]
    assert sorted(p.name for p in (site / "bowl_contour").iterdir()) == ["index.html", "poster.png"]
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


def test_gallery_in_chromium(built: Built, server: str, browser: Browser | None, tmp_path: Path) -> None:
    page = browser_for(browser).new_page(viewport={"width": 1280, "height": 900})
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
        index_shot = tmp_path / "gallery_index.png"
        page.screenshot(path=str(index_shot), full_page=True)
        kept = REPO / "tests" / "output" / "gallery_index.png"
        kept.parent.mkdir(exist_ok=True)
        shutil.copyfile(index_shot, kept)
        print(f"gallery index screenshot: {kept}")

        page.locator("article.card.animated h2 a").first.click()
        page.wait_for_load_state("load")
        assert page.url.endswith("/index.html") and page.url != f"{server}/index.html"
        page.wait_for_function(ALL_IMAGES_LOADED, timeout=30_000)
        widths = page.evaluate(IMAGE_WIDTHS)
        assert [src for src, _ in widths] == ["animation.gif"] and widths[0][1] > 0, widths
        page.wait_for_function(
            "() => { const v = document.querySelector('video'); return v.error || v.readyState >= 1; }",
            timeout=30_000,
        )
        video = page.evaluate(
            "() => { const v = document.querySelector('video');"
            " return { error: v.error && v.error.message, state: v.readyState, width: v.videoWidth }; }"
        )
        assert video["error"] is None and video["state"] >= 1 and video["width"] > 0, video
        page.screenshot(path=str(tmp_path / "gallery_page.png"), full_page=True)
        assert errors == []
        assert dialogs == []
    finally:
        with contextlib.suppress(Exception):
            page.close()
    assert os.path.getsize(index_shot) > 0


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
    assert sorted(p.name for p in out.iterdir()) == sorted([".gallery.json", "index.html", "style.css", *names])

    # A file of the user's inside a spec's folder survives that spec's removal; the folder then stays.
    (out / names[0] / "notes.txt").write_text("mine")
    for file in files:
        file.unlink()
    (specs / "only.toml").write_text(contour, encoding="utf-8")
    build_gallery([specs / "only.toml"], out, workers=1)
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [".gallery.json", "index.html", "style.css", "only", names[0]]
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
