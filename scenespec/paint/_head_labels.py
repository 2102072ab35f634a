"""Direct labels at the heads of paths: each label stands next to its moving head, ahead of it (where its line
has not been), and labels that would overlap are pushed apart vertically.

Where a label goes depends on the display: on the panel's limits and, in 3D, on the camera. So the labels are
placed when they are drawn, by one artist (`HeadLabels`) holding a text per path, from the heads' data
coordinates the painter gives it per frame; the same frame is therefore placed the same way by every worker.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.text import Text
from matplotlib.transforms import Bbox, IdentityTransform
from mpl_toolkits.mplot3d import proj3d

OFFSET_POINTS = 7.0
"""Distance from a head's centre to its label, in points: clear of the head marker."""

ARRIVAL_POINTS = 20.0
"""A path's direction at its head is taken from the last point at least this far behind it (in points), so that
a head jittering in place (a converged optimizer) keeps its label where it was."""

BOX_PAD = 0.15
"""Padding of a label's box around its text, as a fraction of its font size (matplotlib's `pad` of a boxstyle)."""

LABEL_GAP_POINTS = 2.0
"""Space between the boxes of two stacked labels, in points."""

HAlign = Literal["left", "center", "right"]
VAlign = Literal["top", "center", "bottom"]

# Compass direction (dx, dy sign) -> the text alignment that puts the label on that side of its anchor.
ALIGN: dict[tuple[int, int], tuple[HAlign, VAlign]] = {
    (1, 0): ("left", "center"),
    (1, 1): ("left", "bottom"),
    (0, 1): ("center", "bottom"),
    (-1, 1): ("right", "bottom"),
    (-1, 0): ("right", "center"),
    (-1, -1): ("right", "top"),
    (0, -1): ("center", "top"),
    (1, -1): ("left", "top"),
}


def ahead(points: np.ndarray, reach: float) -> tuple[int, int]:
    """The compass direction (of `ALIGN`) in which a path whose display points are `points` (rows, last = head)
    moves at its head, judged over `reach` pixels; up and to the right when it has not moved that far."""
    head = points[-1]
    far = np.flatnonzero(np.hypot(*(points - head).T) >= reach) if len(points) > 1 else np.array([], dtype=int)
    if not far.size:
        return (1, 1)
    dx, dy = head - points[far[-1]]
    angle = np.arctan2(dy, dx)
    k = int(np.round(angle / (np.pi / 4))) % 8
    return ((1, 0), (1, 1), (0, 1), (-1, 1), (-1, 0), (-1, -1), (0, -1), (1, -1))[k]


def repel(boxes: list[Bbox], anchors: list[float], gap: float) -> list[float]:
    """Vertical shifts (pixels) that stack overlapping boxes with `gap` between them: from the highest anchor (a
    label's heads's height) down, the earlier path's first at the same height, each box goes below the boxes
    above it that it overlaps sideways; then each stack is moved back up by its mean shift, to stay centred
    where its labels were."""
    order = sorted(range(len(boxes)), key=lambda i: (-round(anchors[i], 3), i))
    shifts = [0.0] * len(boxes)
    group = list(range(len(boxes)))  # the stack each box belongs to (union-find by the box that started it)

    def root(i: int) -> int:
        while group[i] != i:
            i = group[i]
        return i

    for rank, i in enumerate(order):
        box = boxes[i]
        for j in order[:rank]:
            above = boxes[j].translated(0, shifts[j])
            if above.x1 <= box.x0 or box.x1 <= above.x0:
                continue
            limit = above.y0 - gap - box.y1  # the shift that puts box just below `above`
            if shifts[i] > limit:
                shifts[i] = limit
                group[root(i)] = root(j)
    stacks: dict[int, list[int]] = {}
    for i in range(len(boxes)):
        stacks.setdefault(root(i), []).append(i)
    for members in stacks.values():
        if len(members) > 1:
            mean = sum(shifts[i] for i in members) / len(members)
            for i in members:
                shifts[i] -= mean
    return shifts


class HeadLabels(Artist):
    """One label per path, placed at draw time next to its head (see the module's docstring)."""

    def __init__(self, ax: Axes, texts: list[Text]) -> None:
        super().__init__()
        self.set_zorder(3)  # a text's zorder, above lines and markers
        self.ax = ax
        self.texts = texts
        self.paths: list[np.ndarray] = [np.empty((0, 2)) for _ in texts]
        self.set_in_layout(False)  # labels follow the data: the layout must not make room for them
        for text in texts:
            text.set_transform(IdentityTransform())
            text.set_clip_on(False)

    def set_figure(self, fig: Any) -> None:
        super().set_figure(fig)
        for text in self.texts:
            text.set_figure(fig)

    def set_paths(self, paths: list[np.ndarray], labels: list[str]) -> None:
        """Each path's points in data coordinates (rows; 2 or 3 columns), its head last, and its label."""
        self.paths = paths
        for text, label in zip(self.texts, labels, strict=True):
            text.set_text(label)
        self.stale = True

    def display(self, points: np.ndarray) -> np.ndarray:
        """Data points (rows) in display pixels; projected with the camera of the current draw in 3D."""
        if points.shape[1] == 3:
            xs, ys, _ = proj3d.proj_transform(*points.T, self.ax.M)  # type: ignore[attr-defined]
            points = np.column_stack([xs, ys])
        return np.asarray(self.ax.transData.transform(points))

    def place(self, renderer: Any) -> None:
        """Put each text ahead of its head, then push overlapping ones apart."""
        dpi_scale = renderer.points_to_pixels(1.0)
        offset, reach = OFFSET_POINTS * dpi_scale, ARRIVAL_POINTS * dpi_scale
        shown, anchors = [], []
        for text, path in zip(self.texts, self.paths, strict=True):
            finite = path[np.all(np.isfinite(path), axis=1)] if len(path) else path
            text.set_visible(bool(len(finite)) and bool(text.get_text()))
            if not text.get_visible():
                continue
            points = self.display(finite)
            direction = ahead(points, reach)
            ha, va = ALIGN[direction]
            unit = np.array(direction, dtype=float) / np.hypot(*direction)
            text.set_position(tuple(points[-1] + unit * offset))
            text.set_horizontalalignment(ha)
            text.set_verticalalignment(va)
            shown.append(text)
            anchors.append(float(points[-1][1]))
        boxes = [text.get_window_extent(renderer) for text in shown]  # the text's, without its box's padding
        pad = max((BOX_PAD * float(text.get_fontsize()) * dpi_scale for text in shown), default=0.0)
        gap = 2 * pad + LABEL_GAP_POINTS * dpi_scale  # so that the boxes, not only the texts, stand apart
        for text, shift in zip(shown, repel(boxes, anchors, gap=gap), strict=True):
            x, y = text.get_position()
            text.set_position((x, y + shift))

    def draw(self, renderer: Any) -> None:
        if not self.get_visible():
            return
        self.place(renderer)
        for text in self.texts:
            if text.get_visible():
                text.draw(renderer)
        self.stale = False
