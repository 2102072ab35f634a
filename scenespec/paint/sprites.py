"""Painter of layer `sprites` (its model: `scenespec/layers/sprites.py`): the matplotlib side, imported by a render."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib
import numpy as np
from matplotlib.artist import Artist

from scenespec.errors import Problem, SpecError
from scenespec.frame import Frame
from scenespec.layers.sprites import SpritesLayer, scaled
from scenespec.paint._classes import Classes, label_problems, stratified
from scenespec.paint._stamps import Stamps
from scenespec.paint.base import BuildContext, Extent, Painter
from scenespec.resolve.trace import TraceField


class SpritesPainter(Painter[SpritesLayer]):
    def __init__(self, spec: SpritesLayer, fields: Mapping[str, TraceField]) -> None:
        super().__init__(spec, fields)
        points, images = self.fields["points"], self.fields["images"]
        self.n, dims = (points.data.shape[1:] if points.stepped else points.data.shape)[:2]
        problems = []
        if dims != 2:
            per_step = " per step" if points.stepped else ""
            problems.append(Problem(
                f"sprites layer: points = {spec.points!r} has shape {(self.n, dims)}{per_step}; expected "
                f"({self.n}, 2): 2 coordinates per point (sprites are drawn on 2D panels)",
                ("points",),
            ))  # fmt: skip
        problem = image_problem(np.asarray(images.data), self.n)
        if problem is not None:
            problems.append(Problem(f"sprites layer: images = {spec.images!r} {problem}", ("images",)))
        if spec.labels is not None:
            problems += label_problems("sprites", self.fields["labels"], spec.labels, spec.points, self.n, spec.names)
        if problems:
            raise SpecError(problems)
        labels = self.fields.get("labels")
        self.labels = np.asarray(labels.data).astype(np.int64) if labels is not None else None
        self.index = stratified(self.labels, self.n, spec.sample)

    def extent(self, frame_steps: np.ndarray) -> Extent:
        """The drawn points at every shown step (tweened positions lie between two of them)."""
        points = np.asarray(self.fields["points"].over(frame_steps), dtype=float)[..., self.index, :]
        return Extent(points[..., 0], points[..., 1])

    def thumbnails(self) -> np.ndarray:
        """The drawn points' images as straight RGBA in [0, 1]: coloured by the colormap, or the class colour."""
        images = np.asarray(self.fields["images"].data)[self.index]
        if images.dtype.kind in "iu":
            images = images / 255.0
        images = np.asarray(images, dtype=float)
        classes = self.classes()
        if images.ndim == 3:
            if classes is not None and self.labels is not None and self.spec.mark == "ink":
                ink = classes.colors[self.labels[self.index]][:, None, None, :3]
                rgba = np.concatenate([1 - images[..., None] * (1 - ink), np.ones((*images.shape, 1))], axis=-1)
            else:
                rgba = matplotlib.colormaps[self.style("cmap")](images, bytes=True) / 255.0
            if not self.spec.opaque:
                rgba[..., 3] = images
        elif images.shape[-1] == 3:
            rgba = np.concatenate([images, np.ones((*images.shape[:-1], 1))], axis=-1)
        else:
            rgba = images.copy()
        return rgba

    def classes(self) -> Classes | None:
        if self.labels is None:
            return None
        return Classes.of(self.labels, self.style("palette"), self.spec.names)

    def build(self, ctx: BuildContext, frame: Frame) -> None:
        classes = self.classes()
        borders = None
        if classes is not None and self.labels is not None and self.spec.mark == "border":
            borders = classes.colors[self.labels[self.index]]
        kwargs = self.common_kwargs(label=False)
        thumbnails, size = self.thumbnails(), self.style("size")
        self.sheet = Stamps(lambda dpi: scaled(thumbnails, size, dpi, borders), **kwargs)
        ctx.ax.add_artist(self.sheet)
        self.artists = [self.sheet]
        self.update(frame)

    def update(self, frame: Frame) -> None:
        positions = np.asarray(self.value_at("points", frame), dtype=float)[self.index]
        self.sheet.set_points(positions, np.arange(len(self.index)))

    def legend_handles(self) -> list[Artist]:
        classes = self.classes()
        if classes is None or not self.spec.legend:
            return []
        return list(classes.legend_handles("s", 7.0, alpha=self.style("alpha")))


def image_problem(images: np.ndarray, n: int) -> str | None:
    """Why `images` are not one thumbnail per point (grey, RGB or RGBA in [0, 1], or 0..255), or None."""
    if images.dtype.kind not in "biuf":
        return f"holds {images.dtype} values; expected numbers"
    shape = images.shape
    if not (images.ndim == 3 or (images.ndim == 4 and shape[-1] in (3, 4))):
        return f"has shape {shape}; expected (n, h, w) grey, (n, h, w, 3) RGB or (n, h, w, 4) RGBA images"
    if shape[0] != n:
        return f"has {shape[0]} images; expected one per point: {n}"
    if 0 in shape:
        return f"has shape {shape}; an image needs at least one pixel"
    if images.dtype.kind == "f":
        if not np.all(np.isfinite(images)):
            return "holds values that are not finite; expected values in [0, 1]"
        lo, hi = float(images.min()), float(images.max())
        if lo < 0 or hi > 1:
            return f"holds values from {lo:g} to {hi:g}; expected values in [0, 1] (e.g. digits divided by 16)"
    elif images.size and (images.min() < 0 or images.max() > 255):
        return "holds whole numbers outside 0..255; expected 0..255 or values in [0, 1]"
    return None
