"""Fonts for any script: `scene.font` and its fallbacks, installed fonts found for uncovered characters, one warning
per text with a character no font has, the user's matplotlibrc fonts.

Which font draws a character is read from the drawn Text itself: the first family of its font properties whose
font file has the character, as matplotlib's font fallback picks it. The characters no font has are a private-use
character (U+E000) and, where the test needs a whole script missing, a machine whose font list is narrowed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from matplotlib import font_manager
from matplotlib.ft2font import FT2Font
from matplotlib.text import Text
from system import CJK_FONT, require

import scenespec
from scenespec.cli import main
from scenespec.compile.graph import ArtistGraph
from scenespec.compile.style import styling_of
from scenespec.errors import Problem, SpecWarning
from scenespec.fonts import check, installed
from scenespec.fonts.check import font_problems
from scenespec.fonts.plan import _plan, plan_fonts
from scenespec.resolve.trace import Trace

ROOT = Path(__file__).resolve().parent.parent

SPEC = """\
[scene]
title = "TITLE"
size = [4, 3]
dpi = 40
FONT

[sources.fit]
kind = "trainer"
model = "linear"
data = { kind = "line", slope = 1.0, intercept = -2.0, noise = 1.0, n = 20, x = [0, 10], seed = 0 }
optimizer = { name = "sgd", lr = 1e-3 }
epochs = 3

[[panels]]
title = "PANEL"
xlabel = "XLABEL"
layers = [
  { kind = "scatter", x = "fit.x", y = "fit.y", color = "red", label = "LEGEND" },
  { kind = "text", text = "TEXT {fit.loss:.2f}", at = [1, 1] },
]
"""


def spec_text(
    title: str = "Title",
    panel: str = "Panel",
    xlabel: str = "x",
    legend: str = "points",
    text: str = "cost",
    font: str = "",
) -> str:
    replaced = SPEC.replace("FONT", font).replace("TITLE", title).replace("PANEL", panel)
    return replaced.replace("XLABEL", xlabel).replace("LEGEND", legend).replace("TEXT", text)


def drawn(spec: scenespec.Spec, traces: dict[str, Trace] | None = None) -> tuple[ArtistGraph, list[str], list[str]]:
    """The scene's graph, drawn once, with the SpecWarnings issued (without the `<text>:line: ` of a spec given as
    text) and matplotlib's other warnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        recipe = spec.prepare(traces).recipe()
        with recipe.styled():
            graph = recipe.build()
            graph.figure.canvas.draw()
    spec_warnings = [
        re.sub(r"^<text>:\d+: ", "", str(w.message)) for w in caught if issubclass(w.category, SpecWarning)
    ]
    others = [str(w.message) for w in caught if not issubclass(w.category, SpecWarning)]
    return graph, spec_warnings, others


def written(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def family_drawing(text: Text, char: str) -> str:
    """The family of the font that draws `char` of `text`: the first of its families whose font has it."""
    properties = text.get_fontproperties()
    for family in properties.get_family():
        one = properties.copy()
        one.set_family(family)
        try:
            path = font_manager.fontManager.findfont(one, fallback_to_default=False)
        except ValueError:
            continue
        font = FT2Font(str(path), face_index=int(getattr(path, "face_index", 0)))
        if font.get_char_index(ord(char)):
            return str(font.family_name)
    return "none"


def title_of(graph: ArtistGraph) -> Text:
    title = graph.figure._suptitle
    assert title is not None
    return title


@pytest.fixture
def fresh_plans() -> Iterator[None]:
    """Plans and the font list's refresh computed afresh, and again after the test (which may narrow the list)."""
    _plan.cache_clear()
    yield
    _plan.cache_clear()
    font_manager.fontManager._findfont_cached.cache_clear()


# --- scene.font -------------------------------------------------------------------------------------------------


def test_scene_font_draws_the_texts() -> None:
    graph, spec_warnings, _ = drawn(scenespec.load(spec_text(font='font = "DejaVu Serif"')))
    assert spec_warnings == []
    assert title_of(graph).get_fontproperties().get_family() == ["DejaVu Serif"]
    assert family_drawing(title_of(graph), "T") == "DejaVu Serif"
    assert family_drawing(graph.panels[0].ax.xaxis.label, "x") == "DejaVu Serif"


def test_without_scene_font_a_latin_scene_keeps_the_style_fonts() -> None:
    scene = scenespec.load(spec_text()).scene
    styling = styling_of(scene)
    assert dict(styling.rc) == {}  # nothing laid on the style: existing scenes are drawn exactly as before
    graph, spec_warnings, others = drawn(scenespec.load(spec_text()))
    assert (spec_warnings, others) == ([], [])
    assert family_drawing(title_of(graph), "T") == "DejaVu Sans"


def test_a_family_not_installed_is_a_warning_with_close_names_and_the_rest_of_the_list_applies(tmp_path: Path) -> None:
    require(CJK_FONT)
    path = written(tmp_path / "fonts.toml", spec_text(title="数据", font='font = ["Noto Sans CKJ JP", "DejaVu Serif"]'))
    graph, spec_warnings, _ = drawn(scenespec.load(path))
    line = path.read_text(encoding="utf-8").splitlines().index('font = ["Noto Sans CKJ JP", "DejaVu Serif"]') + 1
    assert len(spec_warnings) == 1
    assert re.fullmatch(  # the closest installed name first, then two more
        re.escape(f"{path}:{line}: scene.font[0]: font 'Noto Sans CKJ JP' is not installed; did you mean ")
        + r"'Noto Sans CJK JP', 'Noto Sans CJK [A-Z]{2}', 'Noto Sans CJK [A-Z]{2}'\? "
        + r"\(the other fonts of the list apply\)",
        spec_warnings[0],
    ), spec_warnings[0]
    title = title_of(graph)
    assert title.get_fontproperties().get_family()[0] == "DejaVu Serif"
    assert family_drawing(title, "数").startswith("Noto Serif CJK")  # a serif fallback for a serif font


def test_a_lone_unknown_family_falls_back_to_the_style_fonts() -> None:
    graph, spec_warnings, _ = drawn(scenespec.load(spec_text(font='font = "Nonexistent Grotesk"')))
    assert spec_warnings == ["scene.font: font 'Nonexistent Grotesk' is not installed (the style's fonts apply)"]
    assert family_drawing(title_of(graph), "T") == "DejaVu Sans"


def test_fallback_chain_each_family_draws_what_it_has() -> None:
    require(CJK_FONT)
    spec = scenespec.load(spec_text(title="Loss 损失", font='font = ["DejaVu Serif", "Noto Sans CJK SC"]'))
    graph, spec_warnings, others = drawn(spec)
    assert (spec_warnings, others) == ([], [])
    title = title_of(graph)
    assert title.get_fontproperties().get_family() == ["DejaVu Serif", "Noto Sans CJK SC"]  # nothing added
    assert family_drawing(title, "L") == "DejaVu Serif"
    assert family_drawing(title, "损") == "Noto Sans CJK SC"


def test_generic_families_are_families() -> None:
    graph, spec_warnings, _ = drawn(scenespec.load(spec_text(font='font = ["monospace"]')))
    assert spec_warnings == []
    assert family_drawing(title_of(graph), "T") == "DejaVu Sans Mono"


@pytest.mark.parametrize("value", ['""', "[]", '["  "]', "3"])
def test_scene_font_values_are_checked(value: str) -> None:
    with pytest.raises(scenespec.SpecError, match=r"scene\.font"):
        scenespec.load(spec_text(font=f"font = {value}"))


# --- fonts found for uncovered characters ---------------------------------------------------------------------------


def test_a_chinese_title_and_japanese_label_are_drawn_with_an_installed_cjk_font() -> None:
    require(CJK_FONT)
    spec = scenespec.load(spec_text(title="机器学习", xlabel="エポック", legend="原始数据", text="代价"))
    graph, spec_warnings, others = drawn(spec)
    assert (spec_warnings, others) == ([], [])
    title = title_of(graph)
    assert title.get_fontproperties().get_family() == ["sans-serif", "Noto Sans CJK JP"]  # kana: the JP variant
    assert family_drawing(title, "机") == "Noto Sans CJK JP"
    assert family_drawing(graph.panels[0].ax.xaxis.label, "エ") == "Noto Sans CJK JP"
    legend = graph.panels[0].ax.get_legend()
    assert legend is not None
    assert family_drawing(legend.get_texts()[0], "原") == "Noto Sans CJK JP"


def test_chinese_alone_prefers_the_simplified_chinese_variant() -> None:
    require(CJK_FONT)
    assert plan_fonts(None, "损失函数").fallbacks == ("Noto Sans CJK SC",)
    assert plan_fonts(None, "손실").fallbacks == ("Noto Sans CJK KR",)
    assert plan_fonts(["serif"], "损失").fallbacks == ("Noto Serif CJK SC",)


def test_a_font_installed_after_matplotlibs_cache_is_found(fresh_plans: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """matplotlib's font list is read from a cache built when it first ran: a CJK font installed later is not in it,
    and the plan adds the system's font files the list lacks."""
    require(CJK_FONT)
    manager = font_manager.fontManager
    monkeypatch.setattr(manager, "ttflist", [entry for entry in manager.ttflist if "CJK" not in entry.name])
    monkeypatch.setattr(installed, "_refreshed", False)
    manager._findfont_cached.cache_clear()
    assert "Noto Sans CJK SC" not in installed.families()
    plan = plan_fonts(None, "损失")
    assert plan.fallbacks == ("Noto Sans CJK SC",)
    assert plan.uncovered == frozenset()


# --- warnings for characters no font has ----------------------------------------------------------------------------


def test_a_character_no_font_has_is_one_warning_naming_the_key_and_the_text(tmp_path: Path) -> None:
    path = written(tmp_path / "pua.toml", spec_text(panel="Loss \ue000\ue000 here"))
    graph, spec_warnings, others = drawn(scenespec.load(path))
    line = next(n for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if "Loss" in text)
    assert spec_warnings == [
        f"{path}:{line}: panels[0].title: no installed font has (U+E000, private use) in 'Loss \\ue000\\ue000 here': "
        "drawn as boxes; a private-use character is drawn only by a font made for it: name that font in scene.font"
    ]
    assert others == []  # matplotlib's "Glyph 57344 missing from font(s)" is silenced: reported once above
    assert graph.panels[0].ax.get_title() == "Loss \ue000\ue000 here"


def test_the_cli_prints_the_warning_located_and_renders(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = written(tmp_path / "pua.toml", spec_text(legend="a \ue000"))
    status = main(["render", str(path), "-o", str(tmp_path / "out.png"), "-q"])
    err = capsys.readouterr().err
    line = next(n for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if "a \ue000" in text)
    assert status == 0
    assert (tmp_path / "out.png").exists()
    assert err == (
        f"warning: {path}:{line}: panels[0].layers[0].label: no installed font has (U+E000, private use) in "
        "'a \\ue000': drawn as boxes; a private-use character is drawn only by a font made for it: name that font "
        "in scene.font\n"
    )


def test_text_layer_templates_are_checked_by_their_literal_parts() -> None:
    _, spec_warnings, _ = drawn(scenespec.load(spec_text(text="\ue000 cost")))
    assert len(spec_warnings) == 1
    assert spec_warnings[0].startswith("panels[0].layers[1].text: no installed font has (U+E000, private use)")
    assert "'\\ue000 cost {fit.loss:.2f}'" in spec_warnings[0]


def test_counter_and_head_label_templates_are_checked_by_their_literal_parts() -> None:
    race = RACE.replace('names = "race.names" }', 'names = "race.names", head_label = "\ue000 {name}" }')
    race = race.replace("layers = [{", 'layers = [{ kind = "counter", format = "\ue001 {value}" }, {')
    _, spec_warnings, _ = drawn(scenespec.load(race))
    keys = sorted(w.split(": no installed font")[0] for w in spec_warnings)
    assert keys == ["panels[0].layers[0].format", "panels[0].layers[1].head_label"]


RACE = """
[sources.race]
kind = "optimizer"
objective = "elliptic"
x = [-2, 2]
y = [-2, 2]
start = [1.5, 1.5]
steps = 5
optimizers = [{ name = "sgd", lr = 0.1 }, { name = "adam", lr = 0.1, label = "LABEL" }]

[[panels]]
layers = [{ kind = "path", x = "race.x", y = "race.y", names = "race.names" }]
"""


def test_a_label_the_spec_writes_is_reported_where_it_is_written_once() -> None:
    _, spec_warnings, _ = drawn(scenespec.load(RACE.replace("LABEL", "Adam \ue000")))  # also in the trace's names
    assert [w.split(": no installed font")[0] for w in spec_warnings] == ["sources.race.optimizers[1].label"]


def test_texts_only_a_trace_holds_are_reported_where_a_layer_binds_them() -> None:
    race = Trace(
        steps=np.arange(3),
        static={"names": np.array(["SGD", "Mom \ue000"])},
        stepped={"x": np.zeros((3, 2)), "y": np.zeros((3, 2))},
    )
    _, spec_warnings, _ = drawn(scenespec.load(RACE.replace("LABEL", "Adam")), {"race": race})
    assert spec_warnings == [
        "panels[0].layers[0].names: no installed font has (U+E000, private use) in 'Mom \\ue000' (a value of field "
        "'names' of source 'race'): drawn as boxes; a private-use character is drawn only by a font made for it: "
        "name that font in scene.font"
    ]


def test_covered_texts_give_no_warning_at_all() -> None:
    require(CJK_FONT)
    spec = scenespec.load(spec_text(title="αβγ Кириллица", panel="损失", xlabel="エポック", legend="손실"))
    _, spec_warnings, others = drawn(spec)
    assert (spec_warnings, others) == ([], [])


def test_math_texts_report_what_mathtext_lacks() -> None:
    require(CJK_FONT)
    _, spec_warnings, others = drawn(scenespec.load(spec_text(panel="损失 $L^2$")))
    assert spec_warnings == [
        "panels[0].title: mathtext's fonts have no '损' (U+635F, CJK), '失' (U+5931, CJK) in '损失 $L^2$': drawn as "
        "boxes, since a text with math ($…$) is drawn whole by mathtext, which uses no other fonts; write such "
        "characters in a text without math (or escape its dollar signs: \\$)"
    ]
    assert others == []


def locate(message: str, path: tuple[str | int, ...] = ()) -> Problem:
    return Problem(message, path)


def warnings_on_a_machine_with_only_the_default_fonts(texts: list[str], monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The warnings for `texts` (panel titles) when no font but matplotlib's own is installed."""
    from scenespec.fonts.texts import SceneText

    monkeypatch.setattr(installed, "fallback_candidates", lambda: [])
    monkeypatch.setattr(installed, "refresh", lambda: False)
    found = [SceneText(("panels", i, "title"), text) for i, text in enumerate(texts)]
    plan = plan_fonts(None, "".join(texts))
    return [str(problem) for problem in font_problems(found, plan, None, locate)]


def test_the_package_to_install_is_named_by_script(fresh_plans: None, monkeypatch: pytest.MonkeyPatch) -> None:
    assert warnings_on_a_machine_with_only_the_default_fonts(["损失", "कखग", "Greek αβ"], monkeypatch) == [
        "panels[0].title: no installed font has '损' (U+635F, CJK), '失' (U+5931, CJK) in '损失': drawn as boxes; "
        "install a CJK font (Debian/Ubuntu: apt-get install fonts-noto-cjk)",
        "panels[1].title: no installed font has 'क' (U+0915, Devanagari), 'ख' (U+0916, Devanagari), 'ग' (U+0917, "
        "Devanagari) in 'कखग': drawn as boxes; install a font for that script (Debian/Ubuntu: apt-get install "
        "fonts-noto-core, or fonts-noto-extra for rarer scripts)",
    ]  # Greek: matplotlib's DejaVu Sans has it


def test_right_to_left_text_is_a_warning_only_where_matplotlib_cannot_shape_it(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = scenespec.load(spec_text(panel="مرحبا"))
    assert drawn(spec)[1] == []  # matplotlib 3.11 lays text out with libraqm: joined, right to left
    monkeypatch.setattr(check, "shapes_text", lambda: False)
    _, spec_warnings, _ = drawn(spec)
    assert len(spec_warnings) == 1
    assert spec_warnings[0].startswith("panels[0].title: 'مرحبا' is right-to-left text, which matplotlib ")
    assert "Arabic letters unjoined (matplotlib 3.11 and later shape it)" in spec_warnings[0]


# --- the user's matplotlibrc ------------------------------------------------------------------------------------


PROBE = """
import sys
import scenespec
from matplotlib import font_manager

spec = scenespec.load(sys.argv[1])
recipe = spec.prepare().recipe()
with recipe.styled():
    graph = recipe.build()
    title = graph.figure._suptitle
    print(font_manager.fontManager.findfont(title.get_fontproperties()).rsplit("/", 1)[-1], title.get_fontsize())
"""


def probe(tmp_path: Path, spec: str, matplotlibrc: str | None) -> str:
    """The font file and size of the title of `spec`, rendered in a new process with `matplotlibrc` as the user's."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("MATPLOTLIBRC", None)
    if matplotlibrc is not None:
        folder = tmp_path / "config"
        folder.mkdir(exist_ok=True)
        (folder / "matplotlibrc").write_text(matplotlibrc, encoding="utf-8")
        env["MATPLOTLIBRC"] = str(folder)
    path = written(tmp_path / "probe.toml", spec)
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(path)], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_users_matplotlibrc_fonts_are_honoured_and_scene_font_wins(tmp_path: Path) -> None:
    rc = "font.family: serif\nfont.size: 13\nlines.linewidth: 7\n"
    assert probe(tmp_path, spec_text(), None) == "DejaVuSans.ttf 12.0"  # matplotlib's defaults: size 10 × large
    assert probe(tmp_path, spec_text(), rc) == "DejaVuSerif.ttf 15.6"  # the user's family and size (× large)
    assert probe(tmp_path, spec_text(font='font = "DejaVu Sans Mono"'), rc) == "DejaVuSansMono.ttf 15.6"


def test_a_programs_runtime_rcparams_do_not_reach_the_scene() -> None:
    import matplotlib

    with matplotlib.rc_context({"font.family": ["serif"], "font.size": 30}):
        graph, _, _ = drawn(scenespec.load(spec_text()))
    assert family_drawing(title_of(graph), "T") == "DejaVu Sans"
    assert title_of(graph).get_fontsize() == 12.0
