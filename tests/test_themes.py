"""Themes: built-in and user theme files, what they change on drawn frames, their errors, optimizer colours."""

from __future__ import annotations

from pathlib import Path

import matplotlib.colors as mcolors
import numpy as np
import pytest
from helpers import assert_located, line_of, replace_once, write_spec

from scenespec.cli import main
from scenespec.compile import ArtistGraph
from scenespec.errors import SpecError
from scenespec.pipeline import build, load_and_validate, prepare, scene_style
from scenespec.render.renderer import frame_pixels
from scenespec.simulate.optimizers import OPTIMIZER_NAMES
from scenespec.themes import BUILTIN_THEMES, find_theme, load_theme

THREE = 'optimizers = [{ name = "sgd", lr = 0.9 }, { name = "adam", lr = 0.5 }, { name = "momentum", lr = 0.1 }]'
SPEC = """\
[scene]
title = "Race"
size = [4.0, 3.0]
dpi = 50
theme = "THEME"

[sources.race]
kind = "optimizer"
objective = "elliptic"
resolution = 21
start = [-7.0, 2.0]
steps = 6
THREE

[[panels]]
title = "paths"
xlabel = "x"
ylabel = "y"
layers = [
  { kind = "contour", x = "race.X", y = "race.Y", z = "race.Z", levels = 5, colorbar = "f" },
  { kind = "path", x = "race.x", y = "race.y", names = "race.names" },
  { kind = "text", text = "step {step}", at = [0.05, 0.9], coords = "axes" },
]
""".replace("THREE", THREE)


def spec(tmp_path: Path, theme: str = "light", *replacements: tuple[str, str], name: str = "spec.toml") -> Path:
    text = replace_once(SPEC, 'theme = "THEME"', f'theme = "{theme}"')
    for old, new in replacements:
        text = replace_once(text, old, new)
    return write_spec(tmp_path, text, name)


def drawn(path: Path) -> tuple[ArtistGraph, np.ndarray]:
    """The graph of a spec showing its last frame, and that frame's pixels (RGB)."""
    prepared = prepare(path)
    with scene_style(prepared.scene):
        graph = build(prepared)
        pixels = frame_pixels(graph, prepared.frames[-1])
    return graph, pixels


def painters(graph: ArtistGraph) -> list:
    return [node.painter for node in graph.layers]


def same(first: object, second: object) -> bool:
    return bool(mcolors.same_color(first, second))  # type: ignore[arg-type]


def luminance(rgb: np.ndarray) -> np.ndarray:
    """Relative luminance (0 black .. 1 white) of 0..255 sRGB pixels."""
    c = rgb.astype(float) / 255
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return linear @ np.array([0.2126, 0.7152, 0.0722])


# --- built-in themes: each changes, on a drawn frame, what it says ---------------------------------------------------


@pytest.mark.parametrize("name", BUILTIN_THEMES)
def test_builtin_theme_files_validate(name: str) -> None:
    theme = load_theme(name, Path.cwd())
    assert find_theme(name, Path.cwd()).name == f"{name}.toml"
    assert set(theme.optimizer_colors) == set(OPTIMIZER_NAMES)  # every optimizer has its colour, in every theme


def test_light_is_the_default_and_changes_no_rcparams(tmp_path: Path) -> None:
    _, scene = load_and_validate(write_spec(tmp_path, SPEC.replace('theme = "THEME"\n', "")))
    assert scene.scene.theme == "light"
    assert scene.scene.resolved_theme is not None and dict(scene.scene.resolved_theme.rc) == {}
    graph, _ = drawn(spec(tmp_path, "light"))
    ax = graph.panels[0].ax
    assert same(graph.figure.get_facecolor(), "white") and same(ax.get_facecolor(), "white")
    assert ax.title.get_fontsize() == 12.0  # matplotlib's `large` at its default font size of 10
    assert same(painters(graph)[2].artists[0].get_color(), "black")  # a text layer: the theme's text colour


def test_dark_theme_on_the_drawn_frame(tmp_path: Path) -> None:
    graph, pixels = drawn(spec(tmp_path, "dark"))
    ax = graph.panels[0].ax
    assert same(graph.figure.get_facecolor(), "#1b1d23")
    assert same(ax.get_facecolor(), "#23262e")
    assert same(ax.spines["left"].get_edgecolor(), "#7d818c")
    assert same(ax.title.get_color(), "#e8e8ec") and same(ax.xaxis.label.get_color(), "#e8e8ec")
    assert all(same(label.get_color(), "#c4c6cc") for label in ax.get_xticklabels())
    text = painters(graph)[2]
    assert same(text.artists[0].get_color(), "#e8e8ec")  # a text layer with no colour takes the theme's
    colorbar = graph.figure.axes[-1]
    assert colorbar is not ax and all(same(t.get_color(), "#c4c6cc") for t in colorbar.get_yticklabels())
    legend = ax.get_legend()
    assert same(legend.get_frame().get_facecolor()[:3], "#2b2e37")
    assert all(same(t.get_color(), "#e8e8ec") for t in legend.get_texts())
    # the pixels: a dark frame, whose text is light
    assert luminance(pixels).mean() < 0.08
    title_box = graph.figure.texts[0].get_window_extent()
    height = pixels.shape[0]
    rows = slice(int(height - title_box.y1), int(height - title_box.y0))
    cols = slice(int(title_box.x0), int(title_box.x1))
    assert luminance(pixels[rows, cols]).max() > 0.6  # the title's glyphs are light on the dark figure


def test_light_frame_is_light(tmp_path: Path) -> None:
    _, pixels = drawn(spec(tmp_path, "light"))
    assert luminance(pixels).mean() > 0.5  # the same scene in the default theme: the dark test measures a change


def nested_widths(width: float, count: int) -> list[float]:
    """Line widths of `count` nested paths (narrowest first): the theme's width for the last drawn, up to 1.75 times it
    for the first, evenly spaced."""
    return [width] if count == 1 else [width * (1 + 0.75 * r / (count - 1)) for r in range(count)]


def test_paper_theme_on_the_drawn_frame(tmp_path: Path) -> None:
    graph, _ = drawn(spec(tmp_path, "paper"))
    ax = graph.panels[0].ax
    assert ax.title.get_fontsize() == 9.0
    assert ax.xaxis.label.get_fontsize() == 8.0
    assert {label.get_fontsize() for label in ax.get_xticklabels()} == {7.0}
    assert {t.get_fontsize() for t in ax.get_legend().get_texts()} == {7.0}
    assert ax.title.get_fontfamily() == ["DejaVu Serif", "serif"]
    path, text = painters(graph)[1:]
    assert sorted(line.get_linewidth() for line in path.lines) == pytest.approx(nested_widths(1.0, len(path.lines)))
    assert {line.get_markersize() for line in path.lines} == {2.0}
    assert text.artists[0].get_fontsize() == pytest.approx(9.6)
    assert ax.spines["left"].get_linewidth() == 0.6


def test_talk_theme_on_the_drawn_frame(tmp_path: Path) -> None:
    graph, _ = drawn(spec(tmp_path, "talk"))
    ax = graph.panels[0].ax
    assert ax.title.get_fontsize() == 20.0 and ax.title.get_fontweight() == "bold"
    assert ax.xaxis.label.get_fontsize() == 18.0
    assert {label.get_fontsize() for label in ax.get_xticklabels()} == {14.0}
    assert graph.figure.texts[0].get_fontsize() == 22.0  # the scene's title
    path, text = painters(graph)[1:]
    assert sorted(line.get_linewidth() for line in path.lines) == pytest.approx(nested_widths(3.0, len(path.lines)))
    assert {line.get_markersize() for line in path.lines} == {6.0}  # 2/3 of the theme's marker size, as by default
    assert text.artists[0].get_fontsize() == pytest.approx(19.2)  # a text layer: 1.2 × the theme's font size


def test_theme_goes_on_top_of_the_style(tmp_path: Path) -> None:
    graph, _ = drawn(spec(tmp_path, "dark", ("dpi = 50\n", 'dpi = 50\nstyle = "ggplot"\n')))
    ax = graph.panels[0].ax
    assert same(ax.get_facecolor(), "#23262e")  # ggplot's grey panel is replaced by the theme's
    graph, _ = drawn(spec(tmp_path, "light", ("dpi = 50\n", 'dpi = 50\nstyle = "ggplot"\n')))
    assert same(graph.panels[0].ax.get_facecolor(), "#E5E5E5")  # light sets no rcParams: the style shows


# --- optimizer colours ------------------------------------------------------------------------------------------


def path_colours(graph: ArtistGraph) -> dict[str, str]:
    path = painters(graph)[1]
    return {line.get_label(): mcolors.to_hex(line.get_color()) for line in path.lines}


def test_each_optimizer_takes_its_theme_colour(tmp_path: Path) -> None:
    graph, _ = drawn(spec(tmp_path))
    colours = load_theme("light", Path.cwd()).optimizer_colors
    assert path_colours(graph) == {"SGD": colours["sgd"], "Adam": colours["adam"], "Momentum": colours["momentum"]}
    heads = painters(graph)[1].heads
    assert [mcolors.to_hex(head.get_color()) for head in heads] == [colours[n] for n in ("sgd", "adam", "momentum")]


def test_the_same_optimizer_has_the_same_colour_in_two_specs(tmp_path: Path) -> None:
    first, _ = drawn(spec(tmp_path, "light", name="one.toml"))
    other = spec(
        tmp_path,
        "light",
        (
            THREE,
            'objective = "rosenbrock"\noptimizers = [{ name = "momentum", lr = 1e-4 }, { name = "sgd", lr = 1e-3 }]',
        ),
        ('objective = "elliptic"\n', ""),
        ("start = [-7.0, 2.0]", "start = [-1.2, 1.0]"),
        name="two.toml",
    )
    second, _ = drawn(other)
    one, two = path_colours(first), path_colours(second)
    assert one["SGD"] == two["SGD"] and one["Momentum"] == two["Momentum"]
    assert len(set(one.values())) == 3  # three optimizers, three colours


def test_an_explicit_colour_wins_over_the_theme(tmp_path: Path) -> None:
    graph, _ = drawn(
        spec(
            tmp_path,
            "dark",
            ('names = "race.names" }', 'names = "race.names", color = ["black", "C1", "#123456"] }'),
            ('coords = "axes" }', 'coords = "axes", color = "orange" }'),
        )
    )
    assert list(path_colours(graph).values()) == ["#000000", "#ff7f0e", "#123456"]
    assert same(painters(graph)[2].artists[0].get_color(), "orange")


def test_a_metric_of_one_optimizer_takes_its_colour(tmp_path: Path) -> None:
    graph, _ = drawn(
        spec(
            tmp_path,
            "light",
            (
                THREE,
                'optimizers = [{ name = "rmsprop", lr = 0.1 }]',
            ),
            ('  { kind = "text"', '  { kind = "metric", y = "race.loss" },\n  { kind = "text"'),
        )
    )
    metric = painters(graph)[2]
    assert mcolors.to_hex(metric.line.get_color()) == load_theme("light", Path.cwd()).optimizer_colors["rmsprop"]


def contrast(first: str, second: str) -> float:
    lighter, darker = sorted(float(luminance(np.array(mcolors.to_rgb(c)) * 255)) for c in (first, second))[::-1]
    return (lighter + 0.05) / (darker + 0.05)


def test_optimizer_palette_reads_on_light_and_dark_and_no_two_are_alike() -> None:
    colours = load_theme("dark", Path.cwd()).optimizer_colors
    dark_panel = load_theme("dark", Path.cwd()).rc["axes.facecolor"]
    for name, colour in colours.items():
        assert contrast(colour, "white") > 2.8, name
        assert contrast(colour, dark_panel) > 2.8, name
    rgb = np.array([mcolors.to_rgb(c) for c in colours.values()])
    distances = np.linalg.norm(rgb[:, None] - rgb[None, :], axis=-1) + np.eye(len(rgb))
    assert distances.min() > 0.2  # no two optimizers share a colour, nor nearly


# --- user theme files -------------------------------------------------------------------------------------------

LAB = """\
description = "the lab's look"
base = "BASE"

[font]
size = 11
title = 15

[colors]
axes = "#fff8e7"
cycle = ["#111111", "#222222"]

[optimizers]
sgd = "#00ff00"

[rc]
"axes.titleweight" = "bold"
"""


def test_user_theme_file_relative_to_the_spec(tmp_path: Path) -> None:
    themes = tmp_path / "themes"
    themes.mkdir()
    (themes / "lab.toml").write_text(LAB.replace("BASE", "dark"), encoding="utf-8")
    folder = tmp_path / "specs"
    folder.mkdir()
    graph, _ = drawn(spec(folder, "../themes/lab.toml"))
    ax = graph.panels[0].ax
    assert same(ax.get_facecolor(), "#fff8e7")  # the file's own colour
    assert same(graph.figure.get_facecolor(), "#1b1d23")  # its base's
    assert ax.title.get_fontsize() == 15.0 and ax.title.get_fontweight() == "bold"
    colours = path_colours(graph)
    assert colours["SGD"] == "#00ff00"  # the file's optimizer colour
    assert colours["Adam"] == load_theme("light", Path.cwd()).optimizer_colors["adam"]  # from the chain's root


def test_base_chains_of_user_files(tmp_path: Path) -> None:
    (tmp_path / "first.toml").write_text('base = "paper"\n[font]\nsize = 6\n', encoding="utf-8")
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "second.toml").write_text('base = "../first.toml"\n[lines]\nwidth = 4\n', encoding="utf-8")
    theme = load_theme("sub/second.toml", tmp_path)
    assert theme.rc["lines.linewidth"] == 4.0  # its own
    assert theme.rc["font.size"] == 6.0  # the first file's, over paper's 8
    assert theme.rc["axes.titlesize"] == 9.0  # paper's


def test_a_cycle_of_bases_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text('base = "b.toml"\n', encoding="utf-8")
    (tmp_path / "b.toml").write_text('description = "b"\nbase = "a.toml"\n', encoding="utf-8")
    path = spec(tmp_path, "a.toml")
    with pytest.raises(SpecError) as error:
        load_and_validate(path)
    assert_located(error.value, tmp_path / "b.toml", 2, "base", "cycle: a.toml -> b.toml -> a.toml")


def test_an_unknown_theme_is_located_in_the_spec(tmp_path: Path) -> None:
    path = spec(tmp_path, "drak")
    with pytest.raises(SpecError) as error:
        load_and_validate(path)
    assert_located(error.value, path, 5, "scene.theme", "unknown theme 'drak'", "light, dark, paper, talk")
    path = spec(tmp_path, "missing.toml")
    with pytest.raises(SpecError) as error:
        load_and_validate(path)
    assert_located(error.value, path, 5, "scene.theme", "no theme file 'missing.toml'")


@pytest.mark.parametrize(
    ("old", "new", "needle", "key", "fragments"),
    [
        ('axes = "#fff8e7"', 'axes = "#fff8e"', "#fff8e", "colors.axes", ("'#fff8e' is not a matplotlib colour",)),
        ("size = 11", "sizes = 11", "sizes", "font.sizes", ("unknown key 'sizes'", "did you mean 'size'?")),
        (
            '"axes.titleweight" = "bold"',
            '"axes.titlewieght" = "bold"',
            "titlewieght",
            "rc.axes.titlewieght",
            ("unknown rcParam 'axes.titlewieght'", "did you mean 'axes.titleweight'?"),
        ),
        (
            '"axes.titleweight" = "bold"',
            '"lines.linewidth" = "thick"',
            "lines.linewidth",
            "rc.lines.linewidth",
            ("matplotlib refuses 'thick' for 'lines.linewidth'",),
        ),
        ('sgd = "#00ff00"', 'sdg = "#00ff00"', "sdg", "optimizers.sdg", ("unknown optimizer 'sdg'", "'sgd'")),
        ('cycle = ["#111111", "#222222"]', 'cycle = ["#111111", "nope"]', "cycle", "colors.cycle[1]", ("'nope'",)),
    ],
)
def test_errors_are_located_in_the_theme_file(
    tmp_path: Path, old: str, new: str, needle: str, key: str, fragments: tuple[str, ...]
) -> None:
    text = replace_once(LAB.replace("BASE", "light"), old, new)
    theme = tmp_path / "lab.toml"
    theme.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as error:
        load_and_validate(spec(tmp_path, "lab.toml"))
    assert_located(error.value, theme, line_of(text, needle), key, *fragments)


def test_theme_errors_print_as_cli_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    theme = tmp_path / "lab.toml"
    theme.write_text('[colors]\ntext = "nope"\n', encoding="utf-8")
    assert main(["validate", str(spec(tmp_path, "lab.toml"))]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {theme}:2: colors.text: 'nope' is not a matplotlib colour"), err
    assert "Traceback" not in err
