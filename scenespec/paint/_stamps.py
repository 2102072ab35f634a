"""Stamps: small images pasted centred at many points, composited in numpy into one image of the panel.

Thousands of thumbnails or label texts per frame are too many matplotlib artists: an `AnnotationBbox` or a
`Text` each costs a layout and a rasterisation per draw (1,797 outlined texts take seconds a frame). A `Stamps`
artist instead holds a bank of small RGBA images at the canvas' pixel size (made once per dpi) and, when drawn,
maps its points to the panel's pixels and pastes the chosen stamp of each into one RGBA image of the panel's size,
later points over earlier ones (in 3D: far points first); the renderer draws that image in one call. Used by the
`sprites` layer (one thumbnail per point) and the `embedding` layer's label texts (one stamp per label).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import matplotlib.patheffects as patheffects
import numpy as np
from matplotlib.artist import Artist, allow_rasterization
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from mpl_toolkits.mplot3d import Axes3D, proj3d

Places = Iterable[tuple[int, int, int]]
"""(stamp, top row, left column) of each stamp pasted, in pasting order."""


@dataclass(frozen=True)
class Bank:
    """The stamps at one pixel size: premultiplied RGBA floats, one minus their opacity (per channel, so that
    blending needs no broadcasting), as bytes, and which are fully opaque (pasted by copying)."""

    premultiplied: np.ndarray
    clear: np.ndarray
    solid_bytes: np.ndarray
    solid: np.ndarray

    @classmethod
    def of(cls, rgba: np.ndarray, alpha: float | None) -> Bank:
        """From (m, h, w, 4) straight RGBA in [0, 1], its opacity times `alpha`."""
        stamps = np.array(rgba, dtype=np.float32)
        if alpha is not None:
            stamps[..., 3] *= np.float32(alpha)
        bytes_ = np.ascontiguousarray(np.round(stamps * 255), dtype=np.uint8)
        stamps[..., :3] *= stamps[..., 3:]
        clear = np.ascontiguousarray(np.repeat(1 - stamps[..., 3:], 4, axis=-1))
        return cls(np.ascontiguousarray(stamps), clear, bytes_, np.all(stamps[..., 3] >= 1, axis=(1, 2)))


class Stamps(Artist):
    """Stamps from `make(dpi)`, (m, h, w, 4) straight RGBA in [0, 1] at the canvas' pixel size, pasted centred
    at points; `set_points` says where (data coordinates, (k, 2), or (k, 3) on a 3D panel) and which stamp each
    point shows. The artist's alpha multiplies every stamp's opacity."""

    zorder = 1  # as a scatter's markers: above grid lines, below a legend

    def __init__(self, make: Callable[[float], np.ndarray], **kwargs: Any) -> None:
        super().__init__()
        self._make = make
        self._made: dict[float, np.ndarray] = {}
        self._banks: dict[tuple[float, float | None], Bank] = {}
        self.offsets = np.zeros((0, 2))
        self.which = np.zeros(0, dtype=np.int64)
        self.set_in_layout(False)
        self.update(kwargs)

    def set_points(self, offsets: np.ndarray, which: np.ndarray) -> None:
        self.offsets = np.asarray(offsets, dtype=float)
        self.which = np.asarray(which, dtype=np.int64)
        self.stale = True

    def stamps(self, dpi: float) -> np.ndarray:
        """The stamps at `dpi`, straight RGBA (made once per dpi)."""
        if dpi not in self._made:
            self._made[dpi] = self._make(dpi)
        return self._made[dpi]

    def bank(self, dpi: float) -> Bank:
        key = (dpi, self.get_alpha())
        if key not in self._banks:
            self._banks[key] = Bank.of(self.stamps(dpi), self.get_alpha())
        return self._banks[key]

    def display(self) -> tuple[np.ndarray, np.ndarray]:
        """The points in display pixels, and the order they are pasted in (in 3D, the farthest first)."""
        ax = self.axes
        assert ax is not None
        if self.offsets.shape[1] == 3 and isinstance(ax, Axes3D):
            matrix = ax.M if ax.M is not None else ax.get_proj()
            xs, ys, zs = proj3d.proj_transform(*self.offsets.T, matrix)
            order = np.argsort(zs, kind="stable")[::-1]
            return ax.transData.transform(np.column_stack([xs, ys])), order
        return ax.transData.transform(self.offsets[:, :2]).reshape(-1, 2), np.arange(len(self.offsets))

    def composite(self, dpi: float) -> tuple[int, int, np.ndarray] | None:
        """(left, bottom, RGBA uint8 rows top to bottom) of the panel's pixels with every stamp pasted in."""
        ax = self.axes
        if ax is None or not len(self.offsets):
            return None
        box = ax.bbox
        left, bottom = math.floor(box.x0), math.floor(box.y0)
        size = (math.ceil(box.y1) - bottom, math.ceil(box.x1) - left)
        if size[0] <= 0 or size[1] <= 0:
            return None
        bank = self.bank(dpi)
        sh, sw = bank.premultiplied.shape[1:3]
        xy, order = self.display()
        seen = np.isfinite(xy).all(axis=1)
        col = np.round(np.where(seen, xy[:, 0], 0) - left - sw / 2).astype(np.int64)
        row = np.round(bottom + size[0] - np.where(seen, xy[:, 1], 0) - sh / 2).astype(np.int64)
        seen &= (col < size[1]) & (row < size[0]) & (col > -sw) & (row > -sh)
        order = order[seen[order]]
        which = self.which[order]
        places = zip(which.tolist(), row[order].tolist(), col[order].tolist(), strict=True)
        if bool(bank.solid[which].all()):
            return left, bottom, _paste_solid(bank.solid_bytes, places, size)
        return left, bottom, _paste_blended(bank, places, size)

    @allow_rasterization
    def draw(self, renderer: Any) -> None:
        figure = self.get_figure(root=True)
        if not self.get_visible() or figure is None or self.axes is None:
            return
        made = self.composite(figure.dpi)
        if made is not None:
            left, bottom, image = made
            gc = renderer.new_gc()
            gc.set_clip_rectangle(self.axes.bbox)
            renderer.draw_image(gc, left, bottom, image[::-1])  # the renderer takes rows bottom to top
            gc.restore()
        self.stale = False


def _clipped(r: int, c: int, shape: tuple[int, ...], size: tuple[int, int]) -> tuple[slice, slice, slice, slice]:
    """Canvas rows and columns, and stamp rows and columns, of a stamp at (r, c) cut to the canvas."""
    top, lft = max(r, 0), max(c, 0)
    bot, rgt = min(r + shape[0], size[0]), min(c + shape[1], size[1])
    return slice(top, bot), slice(lft, rgt), slice(top - r, bot - r), slice(lft - c, rgt - c)


def _paste_solid(stamps: np.ndarray, places: Places, size: tuple[int, int]) -> np.ndarray:
    """Opaque stamps (uint8 RGBA) copied onto a transparent canvas, later ones over earlier ones."""
    canvas = np.zeros((*size, 4), dtype=np.uint8)
    sh, sw = stamps.shape[1:3]
    height, width = size
    for i, r, c in places:
        if r >= 0 and c >= 0 and r + sh <= height and c + sw <= width:
            canvas[r : r + sh, c : c + sw] = stamps[i]
        else:
            rows, cols, in_rows, in_cols = _clipped(r, c, (sh, sw), size)
            canvas[rows, cols] = stamps[i, in_rows, in_cols]
    return canvas


def _paste_blended(bank: Bank, places: Places, size: tuple[int, int]) -> np.ndarray:
    """Stamps laid "over" each other with their opacity, as uint8 straight RGBA."""
    canvas = np.zeros((*size, 4), dtype=np.float32)
    stamps, clear, solid = bank.premultiplied, bank.clear, bank.solid.tolist()
    sh, sw = stamps.shape[1:3]
    height, width = size
    for i, r, c in places:
        if r >= 0 and c >= 0 and r + sh <= height and c + sw <= width:  # most stamps: whole, no cutting
            region, stamp, keep = canvas[r : r + sh, c : c + sw], stamps[i], clear[i]
        else:
            rows, cols, in_rows, in_cols = _clipped(r, c, (sh, sw), size)
            region, stamp, keep = canvas[rows, cols], stamps[i, in_rows, in_cols], clear[i, in_rows, in_cols]
        if solid[i]:
            region[...] = stamp
        else:
            region *= keep
            region += stamp
    cover = canvas[..., 3:]
    canvas[..., :3] /= np.where(cover > 0, cover, 1)
    return np.round(canvas * 255).astype(np.uint8)


def text_stamps(texts: list[tuple[str, tuple[float, ...], float]], fontsize: float, dpi: float) -> np.ndarray:
    """(m, h, w, 4) straight RGBA images of texts (text, RGBA colour, opacity), drawn in the style in effect with a
    thin white outline so they read over points of other colours; each text's ink is centred in the image (a
    digit sits on its point, not above it as a text box with room for descenders would)."""
    figure = Figure(dpi=dpi)
    canvas = FigureCanvasAgg(figure)
    figure.patch.set_alpha(0)
    outline = [patheffects.withStroke(linewidth=1.5, foreground="white")]
    drawn = [figure.text(0.5, 0.5, text, ha="center", va="center", fontsize=fontsize, color=color,
                         path_effects=outline) for text, color, _ in texts]  # fmt: skip
    renderer = canvas.get_renderer()
    pad = math.ceil(1.5 * dpi / 72) + 2
    boxes = [text.get_window_extent(renderer) for text in drawn]
    width = max(math.ceil(box.width) for box in boxes) + 2 * pad
    height = max(math.ceil(box.height) for box in boxes) + 2 * pad
    figure.set_size_inches(width / dpi, height / dpi)
    inks = []
    for text, (_, _, opacity) in zip(drawn, texts, strict=True):
        for other in drawn:
            other.set_visible(other is text)
        canvas.draw()
        rgba = np.asarray(canvas.buffer_rgba(), dtype=np.float64) / 255
        rows, cols = np.nonzero(rgba[..., 3])
        ink = rgba[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1] if len(rows) else rgba[:1, :1] * 0
        ink[..., 3] *= opacity
        inks.append(ink)
    h, w = max(ink.shape[0] for ink in inks), max(ink.shape[1] for ink in inks)
    images = np.zeros((len(inks), h, w, 4))
    for image, ink in zip(images, inks, strict=True):
        top, left = (h - ink.shape[0]) // 2, (w - ink.shape[1]) // 2
        image[top : top + ink.shape[0], left : left + ink.shape[1]] = ink
    return images
