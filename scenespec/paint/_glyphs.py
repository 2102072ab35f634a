"""Glyph bitmaps kept between frames, for texts that change every frame (`Cost: 0.123`, `step 40`).

matplotlib's Agg renderer (3.11) draws a string glyph by glyph: FreeType rasterises each glyph at its pen position
and Agg blends the bitmap in the text's colour. A text redrawn on every frame rasterises the same dozen glyphs again
each time, most of a frame's text cost. A glyph's bitmap depends only on its font, size, dpi, transform, hinting and
the fraction of a pixel its pen position falls on (a move by whole pixels moves the bitmap as it is), so
`cached_glyphs` keeps each bitmap under that key and blends it with Agg's own call: the pixels are those matplotlib
draws. Where the renderer draws glyphs some other way (another matplotlib version, another backend), nothing changes.
"""

from __future__ import annotations

import math
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


@contextmanager
def cached_glyphs(renderer: Any) -> Iterator[None]:
    """Within it, an Agg renderer draws text glyphs from the cache (other renderers draw as they do)."""
    if not (_DRAWS_GLYPHS and isinstance(renderer, RendererAgg)):
        yield
        return
    # on the instance, for this text's draw only: the class's method stays as matplotlib made it
    setattr(renderer, "_draw_text_glyphs_and_boxes", lambda *args: _draw_glyphs(renderer, *args))  # noqa: B010
    try:
        yield
    finally:
        delattr(renderer, "_draw_text_glyphs_and_boxes")
