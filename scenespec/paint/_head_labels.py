"""Direct labels at the heads of paths: each label stands next to its moving head, ahead of it (where its line
has not been) unless another path's head or an earlier label is there, then on the nearest free side; labels
that would still overlap are pushed apart vertically.

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

CLEARANCE_POINTS = 2.0
"""Space kept between a head's marker (its rings included) and a label, in points."""

POINT_WEIGHT = 9.0
"""What a point taken along a path (its own or another's, every `SAMPLE_PIXELS`) under a label counts for, in
square pixels of overlap: a path crossing a label costs about its length in pixels times 3."""

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

COMPASS = ((1, 0), (1, 1), (0, 1), (-1, 1), (-1, 0), (-1, -1), (0, -1), (1, -1))
"""The compass directions of `ALIGN`, anticlockwise from east."""


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
    return COMPASS[k]


def sides(direction: tuple[int, int]) -> list[tuple[int, int]]:
    """Every compass direction, `direction` first, then turning ever further from it: left before right."""
    k = COMPASS.index(direction)
    order = [0] + [turn for step in (1, 2, 3) for turn in (step, -step)] + [4]
    return [COMPASS[(k + turn) % 8] for turn in order]


def box_at(anchor: np.ndarray, width: float, height: float, ha: HAlign, va: VAlign) -> Bbox:
    """The box of a `width` × `height` text aligned `ha`, `va` at `anchor` (display pixels)."""
    x0 = anchor[0] - {"left": 0.0, "center": width / 2, "right": width}[ha]
    y0 = anchor[1] - {"bottom": 0.0, "center": height / 2, "top": height}[va]
    return Bbox.from_bounds(x0, y0, width, height)


def overlap(a: Bbox, b: Bbox) -> float:
    """The area two boxes share (0 when they only touch or not at all)."""
    width = min(a.x1, b.x1) - max(a.x0, b.x0)
    height = min(a.y1, b.y1) - max(a.y0, b.y0)
    return max(width, 0.0) * max(height, 0.0)


def disc_overlap(box: Bbox, centre: np.ndarray, radius: float) -> float:
    """How far a disc reaches into a box, squared (square pixels; 0 when they do not meet)."""
    nearest = np.clip(centre, [box.x0, box.y0], [box.x1, box.y1])
    depth = radius - float(np.hypot(*(centre - nearest)))
    return max(depth, 0.0) ** 2


Disc = tuple[np.ndarray, float]
"""A head marker in display pixels: its centre and radius (its clearance included)."""


SAMPLE_PIXELS = 3.0
"""Spacing of the points taken along a path's segments when judging what a label would cover."""


def along(points: np.ndarray, centre: np.ndarray, within: float) -> np.ndarray:
    """Points every `SAMPLE_PIXELS` along the segments of the path `points` (display pixels) that come within
    `within` pixels of `centre`, its head's marker left out (heads are judged as markers)."""
    if len(points) < 2:
        return np.empty((0, 2))
    starts, ends = points[:-1], points[1:]
    legs = ends - starts
    lengths = np.hypot(*legs.T)
    # each segment's point nearest to `centre`
    t = np.clip(np.einsum("ij,ij->i", centre - starts, legs) / np.maximum(lengths**2, 1e-12), 0.0, 1.0)
    close = np.hypot(*(starts + legs * t[:, None] - centre).T) <= within
    samples = [np.empty((0, 2))]
    for start, end, length in zip(starts[close], ends[close], lengths[close], strict=True):
        count = max(int(length / SAMPLE_PIXELS), 1)
        fractions = np.arange(count) / count  # the segment's end is the next segment's start (or the head)
        samples.append(start + (end - start) * fractions[:, None])
    found = np.concatenate(samples)
    return found[np.hypot(*(found - points[-1]).T) > 0]


def best_side(
    head: np.ndarray,
    direction: tuple[int, int],
    size: tuple[float, float],
    offset: float,
    obstacles: tuple[list[Disc], list[Bbox]],
    trail: np.ndarray,
) -> tuple[int, int]:
    """The side of its head a label takes: the first of `sides(direction)` whose box covers the least of the
    `obstacles` (other heads' markers, earlier labels' boxes) and of the paths' points `trail` (display pixels)."""
    discs, boxes = obstacles
    best, least = direction, np.inf
    for side in sides(direction):
        unit = np.array(side, dtype=float) / np.hypot(*side)
        box = box_at(head + unit * offset, *size, *ALIGN[side])
        covered = sum(disc_overlap(box, centre, radius) for centre, radius in discs)
        covered += sum(overlap(box, other) for other in boxes)
        inside = (trail[:, 0] > box.x0) & (trail[:, 0] < box.x1) & (trail[:, 1] > box.y0) & (trail[:, 1] < box.y1)
        covered += POINT_WEIGHT * int(inside.sum())
        if covered < least - 1e-9:
            best, least = side, covered
        if least == 0:
            break
    return best


def repel(boxes: list[Bbox], anchors: list[float], gap: float) -> list[float]:
    """Vertical shifts (pixels) that stack overlapping boxes with `gap` between them: from the highest anchor (a
    label's heads's height) down, the earlier path's first at the same height, each box goes below the boxes
    above it that it overlaps (sideways, and less than `gap` apart up or down); then each stack is moved back up
    by its mean shift, to stay centred where its labels were."""
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
            if box.y0 + shifts[i] >= above.y1 + gap or box.y1 + shifts[i] <= above.y0 - gap:
                continue  # already apart: on different sides of their heads
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

    def __init__(self, ax: Axes, texts: list[Text], head_sizes: list[float] | None = None) -> None:
        """`head_sizes`: the diameter of each path's head marker in points (rings included; 0 without heads),
        which its label keeps clear of and the other labels avoid."""
        super().__init__()
        self.head_sizes = head_sizes if head_sizes is not None else [0.0] * len(texts)
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
        """Put each text beside its head, ahead of it where that side is free (`best_side`), then push
        overlapping ones apart."""
        dpi_scale = renderer.points_to_pixels(1.0)
        reach, clearance = ARRIVAL_POINTS * dpi_scale, CLEARANCE_POINTS * dpi_scale
        tracks = []  # (text, display points, head radius in pixels) of each path with a label to show
        lines: list[np.ndarray] = []  # every path's display points: lines labels would rather not cover
        heads = []  # every path's head and its marker's radius: what labels keep clear of
        for text, path, size in zip(self.texts, self.paths, self.head_sizes, strict=True):
            finite = path[np.all(np.isfinite(path), axis=1)] if len(path) else path
            text.set_visible(bool(len(finite)) and bool(text.get_text()))
            if not len(finite):
                continue
            points, radius = self.display(finite), size / 2 * dpi_scale
            lines.append(points)
            heads.append((points[-1], radius))
            if text.get_visible():
                tracks.append((text, points, radius))
        pad = max((BOX_PAD * float(text.get_fontsize()) * dpi_scale for text, _, _ in tracks), default=0.0)
        gap = 2 * pad + LABEL_GAP_POINTS * dpi_scale  # so that the boxes, not only the texts, stand apart
        shown: list[Text] = []
        anchors: list[float] = []
        placed: list[tuple[np.ndarray, Bbox]] = []  # each label's head and its box, with the gap around it
        for text, points, radius in tracks:
            head = points[-1]
            # clear of every head marker that covers this head (its own; heads on the same spot ring each other)
            distance = [float(np.hypot(*(centre - head))) for centre, _ in heads]
            covering = [d + r + clearance for d, (_, r) in zip(distance, heads, strict=True) if d < r + clearance]
            offset = max(OFFSET_POINTS * dpi_scale, radius + clearance, *covering)
            extent = text.get_window_extent(renderer)
            discs = [(c, r + clearance) for d, (c, r) in zip(distance, heads, strict=True) if d >= r + clearance]
            within = offset + float(np.hypot(extent.width, extent.height))
            near = np.concatenate([along(track, head, within) for track in lines])
            # labels of heads close together are stacked by `repel` below; those of heads apart avoid each other
            apart = [box for other, box in placed if np.hypot(*(other - head)) > offset]
            side = best_side(head, ahead(points, reach), (extent.width, extent.height), offset, (discs, apart), near)
            ha, va = ALIGN[side]
            unit = np.array(side, dtype=float) / np.hypot(*side)
            text.set_position(tuple(head + unit * offset))
            text.set_horizontalalignment(ha)
            text.set_verticalalignment(va)
            # an earlier label is avoided with the gap stacked labels keep, not only where the texts would touch
            placed.append((head, box_at(head + unit * offset, extent.width, extent.height, ha, va).padded(gap)))
            shown.append(text)
            anchors.append(float(head[1]))
        boxes = [text.get_window_extent(renderer) for text in shown]  # the text's, without its box's padding
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
