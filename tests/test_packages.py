"""Spec packages: tests/plugin_package is installed for real (pip, into a folder put on PYTHONPATH), and its
specs, theme, layer kind and source kind are used through `PACKAGE:NAME` by the command line in subprocesses."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
from helpers import REPO
from PIL import Image

import scenespec
from scenespec.api import checked
from scenespec.load.loader import open_spec
from scenespec.packages import is_packaged, packaged_file, parse_reference
from scenespec.resolve.resolve import context

PLUGIN_SOURCE = REPO / "tests" / "plugin_package"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The plugin package installed by pip into a folder of its own (built from a copy: no build files in tests/)."""
    work = tmp_path_factory.mktemp("plugin")
    shutil.copytree(PLUGIN_SOURCE, work / "source")
    target = work / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--target", str(target),
         str(work / "source")],
        check=True, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    return target


def run(args: Sequence[str], cwd: Path, *sites: Path) -> subprocess.CompletedProcess[str]:
    """`python -m scenespec ARGS` (or `python -c CODE` when args start with -c) with `sites` on PYTHONPATH."""
    path = os.pathsep.join([*map(str, sites), *sys.path])
    env = {**os.environ, "PYTHONPATH": path, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("DISPLAY", None)
    command = [sys.executable, *args] if args[0] == "-c" else [sys.executable, "-m", "scenespec", *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)


def files_under(folder: Path) -> set[Path]:
    return {path.relative_to(folder) for path in folder.rglob("*") if "__pycache__" not in path.parts}


def test_render_a_package_spec_writes_name_gif_in_the_current_folder(site: Path, tmp_path: Path) -> None:
    before = files_under(site)
    result = run(["render", "demo:rising"], tmp_path, site)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("wrote rising.gif (gif): 4 frames, 200×150 px")
    with Image.open(tmp_path / "rising.gif") as gif:
        assert (gif.n_frames, gif.size) == (4, (200, 150))
    assert files_under(site) == before  # nothing written into the installed package


KINDS = """
import json, scenespec
spec = scenespec.load("demo:rising")
prepared = spec.prepare()
with scenespec.scene_style(prepared.scene):
    graph = scenespec.build(prepared)
    graph.show(prepared.frames[-1])
line, level, text = (layer.painter.artists[0] for layer in graph.layers)
print(json.dumps({"line": [float(v) for v in line.get_ydata()], "level": [float(v) for v in level.get_ydata()],
                  "text": text.get_text(), "base": str(spec.loaded.base_dir), "reference": spec.loaded.reference}))
"""


def test_the_package_kinds_and_data_file_draw_their_values(site: Path, tmp_path: Path) -> None:
    result = run(["-c", KINDS], tmp_path, site)
    assert result.returncode == 0, result.stderr
    drawn = json.loads(result.stdout.strip().splitlines()[-1])
    assert drawn["line"] == [0.0, 1.5, 3.0, 4.5, 6.0]  # the ramp source: rise 2 × step 3 × x
    assert drawn["level"] == [2.5, 2.5]  # the level layer
    assert drawn["text"] == "height 7.5"  # data/heights.csv, read from the package's folder
    assert Path(drawn["base"]) == site / "scenespec_demo" / "specs"
    assert drawn["reference"] == "demo:rising"


def test_every_command_taking_a_spec_takes_a_package_spec(site: Path, tmp_path: Path) -> None:
    validated = run(["validate", "demo:rising", "scenespec:linreg"], tmp_path, site)
    assert validated.returncode == 0, validated.stderr
    assert validated.stdout.splitlines() == ["ok: demo:rising", "ok: scenespec:linreg"]
    traced = run(["trace", "demo:rising", "-q"], tmp_path, site)
    assert traced.returncode == 0, traced.stderr
    assert (tmp_path / "rising.npz").is_file()


def test_a_gallery_of_a_package_spec(site: Path, tmp_path: Path) -> None:
    result = run(["gallery", "demo:rising", "-o", "site"], tmp_path, site)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "gallery: 1 specs (1 rendered, 0 unchanged, 0 failed) -> site/index.html"
    with Image.open(tmp_path / "site" / "rising" / "animation.gif") as gif:
        assert gif.n_frames == 4
    page = (tmp_path / "site" / "rising" / "index.html").read_text()
    assert "height {heights.height:.1f}" in page
    assert '<code id="command">scenespec render demo:rising</code>' in page  # works in the reader's install too


def test_unknown_package_and_name_list_what_is_installed(site: Path, tmp_path: Path) -> None:
    package = run(["render", "dem:rising"], tmp_path, site)
    assert package.returncode == 2 and "Traceback" not in package.stderr
    assert package.stderr.strip() == (
        "error: dem:rising: no installed package ships specs as 'dem'; did you mean 'demo'? "
        "(installed in entry point group scenespec.specs: demo, scenespec)"
    )
    name = run(["render", "demo:risng"], tmp_path, site)
    assert name.returncode == 2
    assert name.stderr.strip() == (
        "error: demo:risng: package 'demo' has no spec 'risng'; did you mean 'rising'? (its specs: rising)"
    )
    theme = run(["-c", "from scenespec.packages import packaged_file; packaged_file('demo:dusk', 'scenespec.themes')"],
                tmp_path, site)  # fmt: skip
    assert "SpecError: demo:dusk: package 'demo' has no theme 'dusk' (its themes: sunset)" in theme.stderr


def test_a_broken_entry_point_is_named(site: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    info = broken / "scenespec_broken-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: scenespec_broken\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[scenespec.specs]\nbroken = scenespec_broken_specs\n")
    result = run(["render", "broken:anything"], tmp_path, broken, site)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith(
        "error: the spec package 'broken' (scenespec_broken_specs, entry point group scenespec.specs) failed to "
        "load: ModuleNotFoundError: No module named 'scenespec_broken_specs'"
    )
    listed = run(["render", "nothing:here"], tmp_path, broken, site)  # a broken package is still listed
    assert "(installed in entry point group scenespec.specs: broken, demo, scenespec)" in listed.stderr


def test_a_name_shipped_twice_is_refused(tmp_path: Path) -> None:
    twice = tmp_path / "twice"
    (twice / "twice_specs").mkdir(parents=True)
    (twice / "twice_specs" / "__init__.py").write_text("")
    for name in ("fit.toml", "fit.json"):
        shutil.copyfile(REPO / "specs" / "linreg.toml", twice / "twice_specs" / name)
    info = twice / "twice-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: twice\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[scenespec.specs]\ntwice = twice_specs\n")
    result = run(["validate", "twice:fit"], tmp_path, twice)
    assert result.returncode == 2
    assert result.stderr.strip() == "error: twice:fit: package 'twice' ships fit.json and fit.toml; keep one of them"


def test_a_theme_file_from_a_package(site: Path, tmp_path: Path) -> None:
    code = "from scenespec.packages import packaged_file; print(packaged_file('demo:sunset', 'scenespec.themes'))"
    result = run(["-c", code], tmp_path, site)
    assert result.returncode == 0, result.stderr
    theme = Path(result.stdout.strip())
    assert theme == site / "scenespec_demo" / "themes" / "sunset.toml"
    assert '"axes.facecolor" = "#fff4e6"' in theme.read_text()


def test_a_spec_extends_a_package_spec_in_a_package_theme(site: Path, tmp_path: Path) -> None:
    """`extends = "demo:rising"` builds on the package's spec (its CSV still read in the package) and
    `theme = "demo:sunset"` draws it in the package's theme: the panel's background is the theme's colour."""
    (tmp_path / "mine.toml").write_text(
        'extends = "demo:rising"\n[scene]\ntitle = "Mine"\ntheme = "demo:sunset"\n', encoding="utf-8"
    )
    result = run(["render", "mine.toml", "-o", "mine.png", "--frame", "-1"], tmp_path, site)
    assert result.returncode == 0, result.stderr
    with Image.open(tmp_path / "mine.png") as image:
        rgb = image.convert("RGB")
        width, height = rgb.size
        assert rgb.getpixel((width // 2, int(height * 0.85))) == (0xFF, 0xF4, 0xE6)  # inside the axes, below the lines
    plain = run(["render", "demo:rising", "-o", "plain.png", "--frame", "-1"], tmp_path, site)
    assert plain.returncode == 0, plain.stderr
    with Image.open(tmp_path / "plain.png") as image:
        assert image.convert("RGB").getpixel((width // 2, int(height * 0.85))) == (255, 255, 255)
    missing = run(["render", "mine.toml"], tmp_path)  # without the package installed
    assert missing.returncode == 2
    assert missing.stderr.startswith(
        "error: mine.toml:1: extends: demo:rising: no installed package ships specs as 'demo'"
    )


def test_init_from_a_package_spec_renders_in_the_project(site: Path, tmp_path: Path) -> None:
    result = run(["init", "mine", "--from", "demo:rising", "--dir", "project"], tmp_path, site)
    assert result.returncode == 0, result.stderr
    project = tmp_path / "project"
    assert (project / "data" / "heights.csv").read_text() == (
        PLUGIN_SOURCE / "scenespec_demo/specs/data/heights.csv"
    ).read_text()
    assert result.stdout.splitlines()[-1] == "next: cd project && scenespec render mine.toml"
    schema = json.loads((project / ".scenespec" / "scenespec.schema.json").read_text())
    kinds = json.dumps(schema)
    assert '"ramp"' in kinds and '"level"' in kinds  # the plug-in's kinds are in this installation's schema
    rendered = run(["render", "mine.toml", "-q"], project, site)
    assert rendered.returncode == 0, rendered.stderr
    with Image.open(project / "mine.gif") as gif:
        assert gif.n_frames == 4


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("scenespec:linreg", ("scenespec", "linreg")),
        ("my_pkg.sub:name-2", ("my_pkg.sub", "name-2")),
        ("C:\\specs\\x.toml", None),  # a Windows path
        ("C:x.toml", None),  # a drive-relative Windows path: a package's name has two letters at least
        ("c:linreg", None),
        ("./a:b.toml", None),
        ("a:b.toml", None),  # NAME has no suffix
        ("dir/pkg:name", None),
        ("pkg:", None),
        (":name", None),
        ("specs/linreg.toml", None),
    ],
)
def test_package_references_are_told_from_paths(text: str, parts: tuple[str, str] | None) -> None:
    parsed = parse_reference(text)
    assert (None if parsed is None else (parsed.package, parsed.name)) == parts
    assert is_packaged(text) is (parts is not None)


def test_an_existing_file_is_a_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert is_packaged("pkg:name")
    (tmp_path / "pkg:name").write_text("")
    assert not is_packaged("pkg:name")


def test_scenespecs_own_specs_are_a_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert packaged_file("scenespec:linreg") == REPO / "specs" / "linreg.toml"
    assert packaged_file("scenespec:bowl_contour_json") == REPO / "specs" / "bowl_contour_json.json"
    monkeypatch.chdir(tmp_path)
    spec = scenespec.load("scenespec:training_log")
    assert (spec.name, spec.loaded.reference, spec.loaded.base_dir) == ("training_log", "scenespec:training_log",
                                                                         REPO / "specs")  # fmt: skip
    assert spec.default_output().path == Path("training_log.gif")
    csv = spec.scene.sources["log"].inputs(context("log", spec.loaded))  # resolved in the package's folder
    assert csv == [REPO / "specs" / "data" / "training_log.csv"]


def test_a_package_specs_output_path_is_taken_in_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "package"
    package.mkdir()
    text = (REPO / "specs" / "bowl_contour.toml").read_text().rstrip() + '\npath = "contours.png"\n'
    assert text.rstrip().endswith('[output]\nformat = "png"\npath = "contours.png"')
    (package / "contours.toml").write_text(text)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    loaded = open_spec(package / "contours.toml")
    own = checked(loaded)
    assert own.default_output().path == package / "contours.png"  # a file's spec: beside it
    packaged = dataclasses.replace(loaded, reference="pkg:contours")
    spec = checked(packaged)
    assert spec.default_output().path == work / "contours.png"  # a package's: here


INSTALLED = """
import json, scenespec
from scenespec.packages import installed, packaged_file
print(json.dumps({"module": scenespec.__file__, "linreg": str(packaged_file("scenespec:linreg")),
                  "installed": installed()}))
"""


def test_a_non_editable_install_ships_scenespecs_specs_and_their_data(tmp_path: Path) -> None:
    source = tmp_path / "source"
    ignore = shutil.ignore_patterns("__pycache__")
    for folder in ("scenespec", "specs"):
        shutil.copytree(REPO / folder, source / folder, ignore=ignore)
    for file in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copyfile(REPO / file, source / file)
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--target", str(site),
         str(source)],
        check=True, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    specs = site / "scenespec" / "specs"
    assert sorted(p.name for p in specs.glob("*.*")) == sorted(p.name for p in (REPO / "specs").glob("*.*"))
    assert (specs / "data" / "training_log.csv").read_bytes() == (REPO / "specs/data/training_log.csv").read_bytes()
    work = tmp_path / "work"
    work.mkdir()
    found = run(["-c", INSTALLED], work, site)
    assert found.returncode == 0, found.stderr
    report = json.loads(found.stdout.strip().splitlines()[-1])
    assert report == {"module": str(site / "scenespec" / "__init__.py"), "linreg": str(specs / "linreg.toml"),
                      "installed": ["scenespec"]}  # fmt: skip
    traced = run(["trace", "scenespec:training_log", "-q"], work, site)  # reads data/training_log.csv installed
    assert traced.returncode == 0, traced.stderr
    assert sorted(p.name for p in work.iterdir()) == ["training_log.npz"]
