"""Per-frame text drawn from cached glyph bitmaps and shaped once: the extent taken from one
`FT2Font._layout` equals what matplotlib's `set_text` measures, and texts drawn that way are matplotlib's pixels,
for plain strings and for the strings that must go matplotlib's own way (ligatures, missing glyphs, combining
marks, mathtext, font features)."""

from __future__ import annotations

import random
import warnings

import matplotlib as mpl
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.text import Text

from scenespec.paint._glyphs import _SHAPES_ONCE, _bitmaps, _shaped, cached_glyphs, shaped
from scenespec.paint.text import PlacedText


def test_the_installed_matplotlib_takes_the_one_shaping_way() -> None:
    assert _SHAPES_ONCE  # matplotlib 3.11's Agg renderer: glyphs drawn one by one, fonts prepared by one method


ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,:;/-+=%()[]{}εαβγ×−…ÅÿQ"

FONTS = [
    ("DejaVu Sans", 13, "default"),
    ("DejaVu Sans", 10, "force_autohint"),
    ("DejaVu Serif", 16, "no_hinting"),
    ("DejaVu Sans Mono", 11, "native"),
    ("STIXGeneral", 14, "no_autohint"),
]


@pytest.mark.parametrize(("family", "size", "hinting"), FONTS)
def test_one_shaping_measures_what_set_text_measures(family: str, size: float, hinting: str) -> None:
    rng = random.Random(7)
    prop = FontProperties(family=family, size=size)
    with mpl.rc_context({"text.hinting": hinting}):
        for dpi in (72, 100, 150):
            renderer = RendererAgg(400, 100, dpi)
            fast = 0
            for _ in range(300):
                string = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 24)))
                expected = RendererAgg.get_text_width_height_descent(renderer, string, prop, False)
                found = shaped(renderer, string, prop)
                if found is not None:
                    fast += 1
                    assert found[1] == pytest.approx(expected, abs=0), (string, dpi)
            assert fast >= 290  # plain strings take the one-shaping way


def test_strings_it_cannot_stand_for_go_matplotlibs_way() -> None:
    renderer = RendererAgg(400, 100, 100)
    prop = FontProperties(family="DejaVu Sans", size=12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the missing glyph's warning
        assert shaped(renderer, "office fit", prop) is None  # DejaVu's fi ligature: one glyph, two characters
        assert shaped(renderer, "e\u0301te", prop) is None  # a combining accent
        assert shaped(renderer, "\ue000", prop) is None  # in no font: drawn as a box, with a warning
    assert shaped(renderer, "Cost: 0.125", prop) is not None


def test_a_missing_glyph_is_still_reported() -> None:
    figure = Figure(figsize=(2, 1), dpi=100)
    canvas = FigureCanvasAgg(figure)
    figure.add_artist(PlacedText(0.1, 0.5, "box \ue000", transform=figure.transFigure))
    with pytest.warns(UserWarning, match="missing from font"):
        canvas.draw()


def _frames(cls: type[Text], strings: list[str], **kwargs) -> list[np.ndarray]:
    """Each string drawn by three texts of class `cls`, frame after frame, as RGBA pixels."""
    figure = Figure(figsize=(4, 2), dpi=100)
    canvas = FigureCanvasAgg(figure)
    texts = [
        cls(0.05, 0.7, "", transform=figure.transFigure, fontsize=16, color="r", **kwargs),
        cls(0.5, 0.2, "", transform=figure.transFigure, fontsize=9.5, color="navy", rotation=30, ha="center"),
        cls(0.95, 0.3, "", transform=figure.transFigure, fontsize=10, ha="right", va="bottom", bbox={"fc": "w"}),
    ]
    for text in texts:
        figure.add_artist(text)
    frames = []
    for string in strings:
        for text in texts:
            text.set_text(string)
        canvas.draw()
        frames.append(np.asarray(canvas.buffer_rgba()).copy())
    return frames


STRINGS = [
    "Cost: 4518.608",
    "epoch 12 / 199",
    "AVAT To, Wa.",  # kerned pairs
    "office fit",  # a ligature
    "e\u0301te",  # a combining accent
    "two\nlines 3.5",
    r"loss $\alpha^2$ = 0.31",  # mathtext
    "中文 mixed",  # fallback fonts (or missing glyphs)
    "",
    " ",
]


def test_texts_drawn_with_one_shaping_are_matplotlibs_pixels() -> None:
    _shaped.clear()
    _bitmaps.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = _frames(PlacedText, STRINGS + STRINGS[:2])  # the first two again: their glyphs from the cache
        assert any(value is not None for value in _shaped.values())  # the one-shaping way was taken
        assert _bitmaps  # the glyphs were drawn from the cache
        theirs = _frames(Text, STRINGS + STRINGS[:2])
    for string, mine, reference in zip(STRINGS + STRINGS[:2], ours, theirs, strict=True):
        assert np.array_equal(mine, reference), string


def test_font_features_and_language_go_matplotlibs_way() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = _frames(PlacedText, ["office 0.5"], fontfeatures=["-liga"], language="en")
        theirs = _frames(Text, ["office 0.5"], fontfeatures=["-liga"], language="en")
    assert np.array_equal(ours[0], theirs[0])


def test_a_layout_pass_still_draws_nothing() -> None:
    """A layout pass (`Figure.draw_without_rendering`) makes draw_text a no-op on its renderer; cached_glyphs
    leaves that so, and removes only what it set."""
    figure = Figure(figsize=(2, 1), dpi=100)
    canvas = FigureCanvasAgg(figure)
    text = PlacedText(0.1, 0.5, "nothing drawn", transform=figure.transFigure)
    figure.add_artist(text)
    figure.draw_without_rendering()  # used to fail: the no-op draw_text was removed under matplotlib
    renderer = canvas.get_renderer()
    before = np.asarray(renderer.buffer_rgba()).copy()
    with renderer._draw_disabled():
        text.draw(renderer)
        assert "draw_text" in vars(renderer)  # matplotlib's no-op
    assert "draw_text" not in vars(renderer)
    assert np.array_equal(np.asarray(renderer.buffer_rgba()), before)
    text.draw(renderer)
    assert not np.array_equal(np.asarray(renderer.buffer_rgba()), before)  # drawn, once drawing is on again
    assert "draw_text" not in vars(renderer)
    with cached_glyphs(renderer):
        assert "draw_text" in vars(renderer)
    assert "draw_text" not in vars(renderer)
