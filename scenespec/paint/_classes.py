"""Points by class, shared by the `embedding` and `sprites` layers: palettes, class colours, label checks and the
stratified sample that keeps every class in a subset of the points.

Labels are class numbers 0, 1, 2, …: label v takes the palette's colour v and the name `names[v]` (digit 3 is
`tab10`'s colour 3 whichever other digits a sample holds), so one class keeps one colour in every spec and frame.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib
import matplotlib.colors as mcolors
import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.lines import Line2D

from scenespec.errors import Problem
from scenespec.layers._palette import DEFAULT_PALETTE as DEFAULT_PALETTE
from scenespec.resolve.trace import TraceField


def palette_colors(palette: str | list[str], count: int) -> np.ndarray:
    """(count, 4) RGBA colours, row v for label v: a listed colormap's (tab10, Set1, …) or a list's colours in
    order, repeated when there are more labels than colours; a continuous colormap sampled evenly."""
    if isinstance(palette, list):
        return np.array([mcolors.to_rgba(palette[i % len(palette)]) for i in range(count)])
    cmap = matplotlib.colormaps[palette]
    if isinstance(cmap, ListedColormap) and cmap.N < 64:  # a qualitative table (tab10 has 10, viridis 256)
        return np.asarray(cmap(np.arange(count) % cmap.N), dtype=float)
    return np.asarray(cmap(np.linspace(0, 1, count) if count > 1 else [0.0]), dtype=float)


def whole_labels(values: np.ndarray) -> str | None:
    """Why `values` are not class labels (whole numbers), or None."""
    values = np.asarray(values)
    if values.dtype.kind not in "iubf":
        return f"holds {values.dtype} values; expected whole numbers (class labels)"
    if not np.all(np.isfinite(values)) or np.any(values != np.round(values)):
        return "holds numbers that are not whole; expected whole numbers (class labels)"
    if values.size and values.min() < 0:
        return f"holds {values.min():g}; expected class numbers 0, 1, 2, … (a label picks its palette colour)"
    return None


def evenly(n: int, count: int) -> np.ndarray:
    """`count` evenly spaced indices out of `n`, first and last included (as scatter's `max_points`)."""
    if count >= n:
        return np.arange(n)
    if count == 1:
        return np.array([0])
    return np.unique(np.linspace(0, n - 1, count).round().astype(np.int64))


def stratified(labels: np.ndarray | None, n: int, count: int | None) -> np.ndarray:
    """Indices of at most `count` of `n` points, ascending; all of them when `count` is None or at least n.

    With labels, every class keeps its share (largest remainders, ties to the smaller class value, and each
    class at least one point while the count allows), taken evenly spaced within the class; without, evenly
    spaced indices. Deterministic: the same points in every frame and every run."""
    if count is None or count >= n:
        return np.arange(n)
    if labels is None:
        return evenly(n, count)
    labels = np.asarray(labels).astype(np.int64)
    classes, sizes = np.unique(labels, return_counts=True)
    quota = np.floor(sizes * count / n).astype(np.int64)
    if count >= len(classes):
        quota = np.maximum(quota, 1)
    remainders = sizes * count / n - np.floor(sizes * count / n)
    for c in np.argsort(-remainders, kind="stable"):
        if quota.sum() >= count:
            break
        if quota[c] < sizes[c]:
            quota[c] += 1
    while quota.sum() > count:  # the minimum of one per class overshot: take from the largest shares
        quota[int(np.argmax(quota))] -= 1
    chosen = [np.flatnonzero(labels == value)[evenly(int(size), int(q))] for value, size, q in zip(
        classes, sizes, quota, strict=True) if q > 0]  # fmt: skip
    return np.sort(np.concatenate(chosen)) if chosen else np.arange(0)


@dataclass(frozen=True)
class Classes:
    """The classes a layer shows: the label values present (ascending), a colour and a name per label value."""

    values: np.ndarray
    colors: np.ndarray
    """(max label + 1, 4) RGBA: row v is label v's colour."""
    names: tuple[str, ...]

    @classmethod
    def of(cls, labels: np.ndarray, palette: str | list[str], names: Sequence[str] | None) -> Classes:
        """The classes of every recorded step's labels, coloured from `palette`, named by `names` or their value."""
        values = np.unique(np.asarray(labels).astype(np.int64))
        count = int(values.max()) + 1 if values.size else 1
        shown = tuple(names) if names is not None else tuple(str(v) for v in range(count))
        return cls(values, palette_colors(palette, count), shown)

    def index(self, labels: np.ndarray) -> np.ndarray:
        """Label values as row numbers of `colors` and `names`."""
        return np.asarray(labels).astype(np.int64)

    def legend_handles(self, marker: str, markersize: float, dimmed: Sequence[int] = (), dim_alpha: float = 1.0,
                       alpha: float | None = None) -> list[Line2D]:  # fmt: skip
        """One legend entry per class present, in label order: a marker of its colour (a class in `dimmed` as
        faint as its points)."""
        handles = []
        for value in self.values.tolist():
            faint = value in dimmed
            handles.append(Line2D(
                [], [], ls="none", marker=marker, markersize=markersize, markeredgewidth=0,
                markerfacecolor=self.colors[value], label=self.names[value],
                alpha=dim_alpha if faint else alpha,
            ))  # fmt: skip
        return handles


def label_problems(
    kind: str, labels: TraceField, binding: str, points: str, n: int, names: Sequence[str] | None
) -> list[Problem]:
    """Problems of a `labels` field bound beside `points` with n points: whole class numbers, one per point; and
    of `names`, which must name every label value."""
    data = np.asarray(labels.data)
    problem = whole_labels(data)
    if problem is not None:
        return [Problem(f"{kind} layer: labels = {binding!r} {problem}", ("labels",))]
    count = data.shape[-1] if data.ndim else 1
    if count != n:
        per_step = " per step" if labels.stepped else ""
        return [Problem(f"{kind} layer: labels = {binding!r} has {count} values{per_step}; expected one per point of "
                        f"points = {points!r}: {n}", ("labels",))]  # fmt: skip
    top = int(data.max()) if data.size else 0
    if names is not None and len(names) <= top:
        message = f"{kind} layer: {len(names)} names for labels up to {top}: give one name per label 0..{top}"
        return [Problem(message, ("names",))]
    return []
