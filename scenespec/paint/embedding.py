"""Painter of layer `embedding` (its model: `scenespec/layers/embedding.py`): the matplotlib side, for a render."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib.colors as mcolors
import numpy as np
from matplotlib.artist import Artist
from matplotlib.collections import PathCollection
from mpl_toolkits.mplot3d import Axes3D
from mpl_toolkits.mplot3d.art3d import Path3DCollection

from scenespec.errors import Problem, SpecError
from scenespec.frame import Frame
from scenespec.layers.embedding import EmbeddingLayer
from scenespec.paint._classes import Classes, label_problems, stratified
from scenespec.paint._stamps import Stamps, text_stamps
from scenespec.paint.base import BuildContext, Extent, Painter
from scenespec.resolve.trace import TraceField

LAYERED = 1e-7
"""zorder steps between the parts of a highlighted layer: less than the compiler's step between layers."""


class EmbeddingPainter(Painter[EmbeddingLayer]):
    def __init__(self, spec: EmbeddingLayer, fields: Mapping[str, TraceField]) -> None:
        super().__init__(spec, fields)
        points = self.fields["points"]
        self.n, dims = (points.data.shape[1:] if points.stepped else points.data.shape)[:2]
        problems = []
        if dims != spec.dims:
            per_step = " per step" if points.stepped else ""
            hint = "set dims = 3 to draw 3-D points on a 3D panel" if dims == 3 else "a projection gives 2 or 3"
            problems.append(Problem(
                f"embedding layer: points = {spec.points!r} has shape {(self.n, dims)}{per_step}; expected "
                f"({self.n}, {spec.dims}): {spec.dims} coordinates per point (dims = {spec.dims}; {hint})",
                ("points",),
            ))  # fmt: skip
        if spec.labels is not None:
            problems += label_problems("embedding", self.fields["labels"], spec.labels, spec.points, self.n, spec.names)
        if problems:
            raise SpecError(problems)
        labels = self.fields.get("labels")
        self.classes = Classes.of(labels.data if labels is not None else np.zeros(1), self.style("palette"), spec.names)
        self.check_highlight()

    def check_highlight(self) -> None:
        """Highlighted labels must be among the points' labels, and indices among the points."""
        highlight = self.spec.highlight
        if highlight is None:
            return
        problems = []
        missing = sorted(set(highlight.labels or ()) - set(self.classes.values.tolist()))
        if missing:
            present = ", ".join(str(v) for v in self.classes.values.tolist())
            problems.append(Problem(
                f"embedding layer: no point has label {', '.join(map(str, missing))} (labels present: {present})",
                ("highlight", "labels"),
            ))  # fmt: skip
        beyond = sorted(i for i in highlight.indices or () if i >= self.n)
        if beyond:
            problems.append(Problem(
                f"embedding layer: index {', '.join(map(str, beyond))} is past the last point ({self.n} points: "
                f"indices 0..{self.n - 1})",
                ("highlight", "indices"),
            ))  # fmt: skip
        if problems:
            raise SpecError(problems)

    # --- what a frame shows -----------------------------------------------------------------------------------

    def labels_at(self, frame: Frame) -> np.ndarray:
        """Each point's label at the frame's step (labels are never interpolated); 0 without labels."""
        if "labels" not in self.fields:
            return np.zeros(self.n, dtype=np.int64)
        return self.classes.index(self.value("labels", frame.step))

    def focus(self, labels: np.ndarray) -> np.ndarray | None:
        """Which points the highlight picks (None: no highlight)."""
        highlight = self.spec.highlight
        if highlight is None:
            return None
        mask = np.isin(labels, highlight.labels or [])
        mask[list(highlight.indices or [])] = True
        return mask

    def extent(self, frame_steps: np.ndarray) -> Extent:
        """Every point at every shown step: tweened positions lie between two of them, so inside too."""
        points = np.asarray(self.fields["points"].over(frame_steps), dtype=float)
        return Extent(points[..., 0], points[..., 1], points[..., 2] if self.spec.dims == 3 else None)

    # --- artists ------------------------------------------------------------------------------------------------

    def build(self, ctx: BuildContext, frame: Frame) -> None:
        self.ax = ctx.ax
        labels = self.labels_at(frame)
        focus = self.focus(labels)
        self.zorder = self.style("zorder") if self.style("zorder") is not None else PathCollection.zorder
        empty = np.zeros((0, self.spec.dims))
        self.dots = self._scatter(empty)
        self.top = self._scatter(empty) if focus is not None else None
        self.text_index = np.arange(0)
        self.texts: list[Stamps] = []
        if self.spec.text is not False:
            count = None if self.spec.text is True else self.spec.text
            self.text_index = stratified(labels, self.n, count)
            self.texts = [Stamps(self.text_stamps, zorder=self.zorder) for _ in range(1 if focus is None else 2)]
            for text in self.texts:
                ctx.ax.add_artist(text)
        self.marked = np.ones(self.n, dtype=bool)  # a point written as its label has no marker
        self.marked[self.text_index] = False
        # drawn in this order: (dimmed) markers, dimmed texts, highlighted markers, their texts
        artists = [self.dots, *self.texts[1:], *([self.top] if self.top is not None else []), *self.texts[:1]]
        for place, artist in enumerate(artists):
            artist.set_zorder(self.zorder + place * LAYERED)
        self.artists = artists
        self.show(frame)

    def text_stamps(self, dpi: float) -> np.ndarray:
        """A stamp of each label's name in its colour, then (with a highlight) each as a dimmed point shows it."""
        colors = self.classes.colors
        count = len(colors)
        alpha, dim_alpha, dim_color = self.style("alpha"), self.style("dim_alpha"), self.style("dim_color")
        texts = [(self.classes.names[v], tuple(colors[v]), 1.0 if alpha is None else alpha) for v in range(count)]
        if self.top is not None:
            faded = [tuple(mcolors.to_rgba(dim_color)) if dim_color is not None else tuple(c) for c in colors]
            texts += [(self.classes.names[v], faded[v], dim_alpha) for v in range(count)]
        return text_stamps(texts, self.style("text_size"), dpi)

    def _scatter(self, xyz: np.ndarray) -> PathCollection:
        kwargs: dict[str, Any] = {"s": self.style("size"), "marker": "o", "linewidths": 0, "zorder": self.zorder}
        if isinstance(self.ax, Axes3D):
            kwargs["depthshade"] = False  # the class colours as they are, whatever the depth
        return self.ax.scatter(*xyz.T, **kwargs)

    def update(self, frame: Frame) -> None:
        self.show(frame)

    def show(self, frame: Frame) -> None:
        """Move the points and texts to the frame's (interpolated) positions, coloured by the step's labels."""
        positions = np.asarray(self.value_at("points", frame), dtype=float)
        labels = self.labels_at(frame)
        colors = self.classes.colors[labels]
        focus = self.focus(labels)
        alpha, dim_alpha, dim_color = self.style("alpha"), self.style("dim_alpha"), self.style("dim_color")
        marked = self.marked
        if focus is None:
            _place(self.dots, positions[marked], colors[marked], alpha)
        else:
            assert self.top is not None
            rest = np.broadcast_to(mcolors.to_rgba(dim_color), colors.shape) if dim_color is not None else colors
            _place(self.dots, positions[marked & ~focus], rest[marked & ~focus], dim_alpha)
            _place(self.top, positions[marked & focus], colors[marked & focus], alpha)
        if self.texts:
            written = self.text_index
            chosen = np.ones(len(written), dtype=bool) if focus is None else focus[written]
            self.texts[0].set_points(positions[written[chosen]], labels[written[chosen]])
            if focus is not None:  # the dimmed stamps follow the bright ones in the bank
                faded = written[~chosen]
                self.texts[1].set_points(positions[faded], len(self.classes.colors) + labels[faded])

    def legend_handles(self) -> list[Artist]:
        if not self.spec.legend or self.spec.labels is None:
            return []
        highlight = self.spec.highlight
        dimmed = [] if highlight is None or not highlight.labels else [
            v for v in self.classes.values.tolist() if v not in highlight.labels]  # fmt: skip
        size = max(float(np.sqrt(self.style("size"))), 6.0)
        return list(self.classes.legend_handles("o", size, dimmed, self.style("dim_alpha"), self.style("alpha")))


def _place(dots: PathCollection, positions: np.ndarray, colors: np.ndarray, alpha: float | None) -> None:
    """Put a scatter's markers at `positions` ((k, 2), or (k, 3) in 3D) with one colour each."""
    dots.set_offsets(positions[:, :2])
    dots.set_facecolor(colors.tolist())  # RGBA rows (the stubs take sequences, not arrays)
    dots.set_alpha(alpha)
    if isinstance(dots, Path3DCollection):
        dots.set_3d_properties(positions[:, 2], "z")
