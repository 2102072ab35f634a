"""Glyph bitmaps kept between frames, for texts that change every frame (`Cost: 0.123`, `step 40`).

matplotlib's Agg renderer (3.11) draws a string glyph by glyph: FreeType rasterises each glyph at its pen position
and Agg blends the bitmap in the text's colour. A text redrawn on every frame rasterises the same dozen glyphs again
each time, most of a frame's text cost. A glyph's bitmap depends only on its font, size, dpi, transform, hinting and
the fraction of a pixel its pen position falls on (a move by whole pixels moves the bitmap as it is), so
`cached_glyphs` keeps each bitmap under that key and blends it with Agg's own call: the pixels are those matplotlib
draws. Where the renderer draws glyphs some other way (another matplotlib version, another backend), nothing changes.

matplotlib also shapes each new string twice: once to measure it (`FT2Font.set_text`, for the layout and a text box)
and once to draw it (`FT2Font._layout`), each loading every glyph through FreeType's hinter again. Within
`cached_glyphs` a string is shaped once (`_layout`), and its extent is taken from that: the advance up to the last
glyph plus the last glyph's own advance, and the union of the glyphs' vertical boxes, each glyph's box measured once
(`_GlyphBox`). These are the numbers `set_text` computes (matplotlib 3.11's ft2font.cpp); a string this cannot
stand for exactly (a glyph missing from every font, a combining mark, a ligature of several characters, OpenType
features or a language on the text) is measured and drawn by matplotlib's own calls, which also warn of the
missing glyph.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import RendererAgg, get_hinting_flag
from matplotlib.ft2font import RenderMode

MAX_GLYPHS = 4096
"""Bitmaps kept at most (a few hundred bytes each); the cache starts afresh when full."""

GlyphKey = tuple[Any, ...]
_bitmaps: dict[GlyphKey, tuple[Any, np.ndarray, int, int]] = {}
"""key -> (the font, kept so that its id is not reused; bitmap; left and top at a whole-pixel pen position 0)."""
_matrices: dict[tuple[float, float, float], tuple[np.ndarray, tuple[int, ...]]] = {}

_DRAWS_GLYPHS = hasattr(RendererAgg, "_draw_text_glyphs_and_boxes")
_SHAPES_ONCE = _DRAWS_GLYPHS and hasattr(RendererAgg, "_prepare_font")

MAX_SHAPED = 64
"""Strings whose shaping is kept: a frame's texts, measured and then drawn (a text box measures them again)."""

Glyphs = tuple[tuple[Any, int, float, float], ...]
"""A shaped string: (font, glyph index, x, y) per glyph, in pixels from the pen's start, y upwards."""
Shaped = tuple[Glyphs, tuple[float, float, float]]
"""A shaped string and its width, height and descent in pixels, as `get_text_width_height_descent` gives them."""
_shaped: dict[tuple[Any, ...], Shaped | None] = {}
_glyph_boxes: dict[tuple[Any, ...], tuple[Any, int, int, int]] = {}
"""(font id, size, dpi, flags, glyph) -> (the font, kept so that its id is not reused; advance; box bottom; top),
in FreeType's 26.6 subpixels."""


def _matrix(angle: float, slant: float, extend: float) -> tuple[np.ndarray, tuple[int, ...]]:
    """FreeType's 16.16 transform for a text angle and a glyph's slant and extension, as matplotlib computes it."""
    key = (angle, slant, extend)
    if key not in _matrices:
        cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
        rotation = np.array([[cos, -sin], [sin, cos]])
        matrix = (0x10000 * rotation @ [[extend, extend * slant], [0, 1]]).round().astype(int)
        _matrices[key] = (matrix, tuple(matrix.ravel().tolist()))
    return _matrices[key]


def _draw_glyphs(
    renderer: RendererAgg, gc: Any, x: float, y: float, angle: float, glyphs: Iterable[Any], boxes: list[Any]
) -> None:
    """`RendererAgg._draw_text_glyphs_and_boxes`, with each glyph's bitmap rasterised once."""
    cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    flags = get_hinting_flag()
    antialiased = gc.get_antialiased()
    mode = RenderMode.NORMAL if antialiased else RenderMode.MONO
    height = renderer.height
    for font, size, glyph_index, slant, extend, dx, dy in glyphs:
        matrix, matrix_key = _matrix(angle, slant, extend)
        pen_x = round(0x40 * (x + dx * cos - dy * sin))
        pen_y = round(0x40 * (height - y + dx * sin + dy * cos))  # FreeType's y is upwards
        key = (id(font), size, renderer.dpi, glyph_index, matrix_key, flags, antialiased, pen_x & 63, pen_y & 63)
        cached = _bitmaps.get(key)
        if cached is None:
            font.set_size(size, renderer.dpi)
            font._set_transform(matrix, [pen_x & 63, pen_y & 63])
            bitmap = font._render_glyph(glyph_index, flags, mode)
            buffer = np.array(bitmap.buffer)
            if not antialiased:
                buffer *= 0xFF
            if len(_bitmaps) >= MAX_GLYPHS:
                _bitmaps.clear()
            cached = _bitmaps[key] = (font, buffer, bitmap.left, bitmap.top)
        _, buffer, left, top = cached
        # draw_text_image's y is downwards, at the bitmap's bottom side
        renderer._renderer.draw_text_image(
            buffer, left + (pen_x >> 6), int(height) - (top + (pen_y >> 6)) + buffer.shape[0], 0, gc
        )
    if boxes:
        RendererAgg._draw_text_glyphs_and_boxes(renderer, gc, x, y, angle, (), boxes)


def _glyph_box(font: Any, size: float, dpi: float, flags: Any, glyph_index: int) -> tuple[Any, int, int, int]:
    """A glyph's advance and vertical extent (26.6 subpixels) at this size, loaded through FreeType once."""
    key = (id(font), size, dpi, flags, glyph_index)
    box = _glyph_boxes.get(key)
    if box is None:
        glyph = font.load_glyph(glyph_index, flags)
        if len(_glyph_boxes) >= MAX_GLYPHS:
            _glyph_boxes.clear()
        box = _glyph_boxes[key] = (font, glyph.horiAdvance, glyph.bbox[1], glyph.bbox[3])
    return box


LAST_RESORT = "LastResortHE-Regular.ttf"
"""The font matplotlib draws a missing character's box from, warning that it did: only `set_text` warns."""


def _simple(item: Any) -> bool:
    """A glyph that stands for one character of its own: found in a font (not as the last resort's box), not a
    combining mark."""
    return (
        item.glyph_index != 0
        and len(item.char) == 1
        and not unicodedata.combining(item.char)
        and not item.ft_object.fname.endswith(LAST_RESORT)
    )


def shaped(renderer: RendererAgg, text: str, prop: Any) -> Shaped | None:
    """`text` in `prop` shaped once, with its extent as `set_text` would measure it; None where the shaping cannot
    stand for `set_text` exactly (see the module's docstring)."""
    font = renderer._prepare_font(prop)  # found, cleared and sized as matplotlib's draw_text does
    size, flags = prop.get_size_in_points(), get_hinting_flag()
    key = (text, id(font), size, renderer.dpi, flags)
    if key in _shaped:
        return _shaped[key]
    items = font._layout(text, flags=flags)
    result: Shaped | None = None
    if items and all(_simple(item) for item in items):
        bottom, top = 32000, -32000  # set_text's starting box, in subpixels
        for item in items:
            _, _, low, high = _glyph_box(item.ft_object, size, renderer.dpi, flags, item.glyph_index)
            pen_y = round(item.y * 64)
            bottom, top = min(bottom, low + pen_y), max(top, high + pen_y)
        last = items[-1]
        advance = round(last.x * 64) + _glyph_box(last.ft_object, size, renderer.dpi, flags, last.glyph_index)[1]
        glyphs = tuple((item.ft_object, item.glyph_index, item.x, item.y) for item in items)
        result = (glyphs, (advance / 64, (top - bottom) / 64, -bottom / 64))
    if len(_shaped) >= MAX_SHAPED:
        _shaped.clear()
    _shaped[key] = result
    return result


Recent = dict[tuple[str, Any], Shaped | None]
"""The strings one text's draw shaped, by string and font properties: its measuring and its drawing look the font
up once (the font a text's properties name cannot change during its draw)."""


def _shaped_recently(renderer: RendererAgg, recent: Recent, text: str, prop: Any) -> Shaped | None:
    key = (text, prop)
    if key not in recent:
        recent[key] = shaped(renderer, text, prop)
    return recent[key]


def _measure(renderer: RendererAgg, recent: Recent, text: str, prop: Any, ismath: Any) -> tuple[float, float, float]:
    """`RendererAgg.get_text_width_height_descent`, from the string's one shaping where it can."""
    found = None if ismath else _shaped_recently(renderer, recent, text, prop)
    if found is None:
        return RendererAgg.get_text_width_height_descent(renderer, text, prop, ismath)
    return found[1]


def _draw_text(
    renderer: RendererAgg,
    recent: Recent,
    gc: Any,
    x: float,
    y: float,
    text: str,
    prop: Any,
    angle: float,
    ismath: Any = False,
    mtext: Any = None,
) -> None:
    """`RendererAgg.draw_text`, from the string's one shaping where it can (the glyphs from the cache either way)."""
    styled = mtext is not None and (mtext.get_fontfeatures() is not None or mtext.get_language() is not None)
    found = None if ismath or styled else _shaped_recently(renderer, recent, text, prop)
    if found is None:
        RendererAgg.draw_text(renderer, gc, x, y, text, prop, angle, ismath=ismath, mtext=mtext)
        return
    size = prop.get_size_in_points()
    glyphs = ((font, size, index, 0, 1, gx, gy) for font, index, gx, gy in found[0])
    _draw_glyphs(renderer, gc, x, y, angle, glyphs, [])


@contextmanager
def cached_glyphs(renderer: Any) -> Iterator[None]:
    """Within it, an Agg renderer draws text glyphs from the cache and shapes each string once (other renderers
    draw as they do).

    Methods matplotlib itself set on the renderer stay: `Figure.draw_without_rendering` makes `draw_text` draw
    nothing, and so it still does."""
    if not (_DRAWS_GLYPHS and isinstance(renderer, RendererAgg)):
        yield
        return
    overrides: dict[str, Any] = {"_draw_text_glyphs_and_boxes": lambda *args: _draw_glyphs(renderer, *args)}
    if _SHAPES_ONCE:
        recent: Recent = {}
        overrides["get_text_width_height_descent"] = lambda *args: _measure(renderer, recent, *args)
        overrides["draw_text"] = lambda *args, **kwargs: _draw_text(renderer, recent, *args, **kwargs)
    # on the instance, for this text's draw only: the class's methods stay as matplotlib made them
    installed = [name for name in overrides if name not in vars(renderer)]
    for name in installed:
        setattr(renderer, name, overrides[name])
    try:
        yield
    finally:
        for name in installed:
            delattr(renderer, name)
