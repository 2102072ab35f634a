"""Painter of layer `path` (its model: `scenespec/layers/path.py`): the matplotlib side, imported by a render."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import matplotlib
import matplotlib.colors as mcolors
import numpy as np
from matplotlib.artist import Artist
from matplotlib.collections import Collection, LineCollection
from matplotlib.lines import Line2D
from matplotlib.text import Text
from mpl_toolkits.mplot3d.art3d import Line3D, Line3DCollection, Path3DCollection

from scenespec.frame import Frame
from scenespec.layers._numbers import fill, parse_template
from scenespec.layers._trail import Trail, TrailStyle, trail
from scenespec.layers.path import HEAD_LABEL_NAMES, HEAD_LABEL_SAMPLES, PathLayer
from scenespec.paint._depth import HeightGrid, eye_of, height_grid, hidden, subdivided
from scenespec.paint._head_labels import BOX_PAD, HeadLabels
from scenespec.paint._tween import between_recorded, field_history, is_count
from scenespec.paint.base import BuildContext, Extent, Painter, as_3d, check_format_specs
from scenespec.resolve.trace import TraceField


def as_columns(values: np.ndarray) -> np.ndarray:
    """Rows are steps, columns are paths: a 1-D field is a single path."""
    values = np.asarray(values, dtype=float)
    return values[:, None] if values.ndim == 1 else values.reshape(len(values), -1)


SHADOW_COLOR = "0.5"


SHADOW_ALPHA = 0.6


SHADOW_ZORDER = 0.6
"""A shadow is neutral grey, under the surface (zorder 1) and above the floor's contours."""


DOTS_ABOVE = 1e-7
"""A trail's markers lie just above its line (less than the compiler's step between layers)."""


HIDDEN_DASHES = (0, (2.0, 2.0))
"""Dashes of a hidden stretch, in line widths: short, so that even a short stretch shows a gap."""


DEPTH_TOLERANCE = 2e-3
"""How far (a fraction of the z range) a ray may pass below or above the surface without crossing it: the path
lies on its surface, and the surface drawn is a mesh of flat faces."""


DEPTH_PIECE = 1 / 120
"""Longest piece (a fraction of the box) a 3D path is cut into for its depth test."""


NEST_WIDENING = 0.75
"""How much wider than the last-drawn path the first one is drawn (`nested`), as a fraction of the last's width."""

RING_POINTS = 1.6
"""With `nested`, how much larger in radius (points) each path's head and start circle is than the next drawn's:
more than the white edge of a head (`NESTED_HEAD_EDGE`) and a start circle's own edge, so that marks on one
point show as distinct concentric rings."""

NESTED_HEAD_EDGE = 0.6
"""The white edge of nested heads, in points (1.2 otherwise): thin enough to leave each ring its colour."""


GOAL_COLOR = "gold"
"""The goal star's fill: bright on light and dark themes alike; its edge is the theme's text colour."""


class PathPainter(Painter[PathLayer]):
    def __init__(self, spec: PathLayer, fields: Mapping[str, TraceField]) -> None:
        super().__init__(spec, fields)
        self.label_parts = (
            parse_template(spec.head_label, HEAD_LABEL_NAMES, HEAD_LABEL_SAMPLES) if spec.head_label else []
        )
        self.check_formats()

    def check_formats(self) -> None:
        """`{value:d}` in a head label must fit the bound field's values (integers, not floats)."""
        check_format_specs(
            self.label_parts, lambda name: self.fields.get("head_value") if name == "value" else None,
            "path layer", "head_label",
        )  # fmt: skip

    def _coords(self, frame: Frame) -> list[np.ndarray]:
        """x, y (and z) of every step up to the frame's, limited to the tail, as (rows, paths) arrays. On an
        in-between frame of `frames.tween`, the steps recorded up to its position and a last point interpolated
        there, where the head is (`_tween.history`): the line grows along the recorded path, never cuts across it."""
        keys = ("x", "y", "z") if self.spec.z is not None else ("x", "y")
        coords = [as_columns(field_history(self.fields[k], frame)) for k in keys]
        if self.spec.tail is not None:
            coords = [c[-self.spec.tail :] for c in coords]
        return coords

    def extent(self, frame_steps: np.ndarray) -> Extent:
        last = int(frame_steps.max())
        full = [as_columns(self.fields[k].upto(last)[1]) for k in ("x", "y", "z") if k in self.fields]
        if self.spec.goal is not None:  # the goal is inside the view, even where no path reaches it
            full = [np.append(c.ravel(), g) for c, g in zip(full, self.spec.goal, strict=False)]
        return Extent(full[0], full[1], full[2] if self.spec.z is not None else None)

    def frame_extent(self, frame: Frame) -> Extent:
        """What the frame draws, the head between two steps included, for limits that grow with the data."""
        shown = [c.ravel() for c in self._coords(frame)]
        if self.spec.goal is not None:
            shown = [np.append(c, g) for c, g in zip(shown, self.spec.goal, strict=False)]
        return Extent(shown[0], shown[1], shown[2] if self.spec.z is not None else None)

    def colors(self, count: int) -> list[str]:
        """The spec's colour(s), else each optimizer's colour in the theme, else the colour cycle's, in turn."""
        themed = self.optimizer_colors(count)
        if themed is not None:
            return themed
        color = self.style("color")
        if isinstance(color, list):
            return [color[i % len(color)] for i in range(count)]
        return [color or f"C{i % 10}" for i in range(count)]

    def labels(self, count: int) -> list[str | None]:
        if "names" in self.fields:
            names = [str(n) for n in np.atleast_1d(self.fields["names"].data)]
            return [names[i] if i < len(names) else None for i in range(count)]
        return [self.spec.label if count == 1 else None] + [None] * (count - 1)

    def build(self, ctx: BuildContext, frame: Frame) -> None:
        self.frame_step = frame.step
        coords = self._coords(frame)
        count = coords[0].shape[1]
        marker, size, base_width = self.style("marker"), self.style("markersize"), self.style("linewidth")
        kwargs = self.common_kwargs(label=False)  # each path's label comes from `names` or `label`
        colors, labels = self.colors(count), self.labels(count)
        head_size = max(2.2 * size, 7.0)
        self.ax = ctx.ax
        self.lines: list[Line2D] = []
        self.heads: list[Line2D] = []
        self.starts: list[Line2D] = []
        self.goal: list[Artist] = []
        self.trails: list[LineCollection] = []
        self.dots: list[Collection] = []
        self.shadows: list[Line2D] = []
        self.occluders = [p for p in ctx.panel if p is not self] if self.spec.z is not None else []
        self.styled = self.spec.fade is not None or (
            self.spec.hidden != "solid" and any(p.occluder(frame.step) is not None for p in self.occluders)
        )
        self.rgba = [mcolors.to_rgba(color) for color in colors]
        self.base_alpha = kwargs.get("alpha", 1.0)
        self.handles: list[Line2D] = []
        order = self.drawing_order(count)
        factors = dict(zip(order, self.nesting(count), strict=True))  # path -> its line width factor
        nested = self.spec.nested and count > 1
        mark_sizes = {i: head_size + 2 * RING_POINTS * (count - 1 - rank) * nested for rank, i in enumerate(order)}
        for i in order:  # the paths that travel furthest first, widest (`nested`)
            color, label, width = colors[i], labels[i], base_width * factors[i]
            column = [c[:, i] for c in coords]
            (line,) = ctx.ax.plot(*column, color=color, marker=marker or None, ms=size, lw=width, label=label, **kwargs)
            self.lines.append(line)
            if self.styled:  # the line keeps the data; a collection draws it, segment by segment
                line.set_visible(False)
                self.handles.append(
                    Line2D([], [], color=color, marker=marker or None, ms=size, lw=width, label=label, **kwargs)
                )
                self.trails.append(self._build_trail(ctx, width, kwargs))
                if marker:
                    self.dots.append(self._build_dots(ctx, column, marker, size, kwargs))
            if self.spec.shadow:
                (shade,) = ctx.ax.plot(*column, color=SHADOW_COLOR, alpha=SHADOW_ALPHA, lw=0.8 * width)
                shade.set_zorder(SHADOW_ZORDER)
                self.shadows.append(shade)
        if self.spec.start:  # the first recorded point, even when a tail no longer shows it
            first = [as_columns(self.fields[k].data)[:1] for k in ("x", "y", "z") if k in self.fields]
            for i in order:
                (start,) = ctx.ax.plot(
                    *[c[:, i] for c in first], marker="o", ms=mark_sizes[i], mfc="none", mec=colors[i],
                    mew=1.2 if nested else 1.5, ls="none", **kwargs,
                )  # fmt: skip
                self.starts.append(start)
        if self.spec.goal is not None:
            self.goal = self._build_goal(ctx, head_size, kwargs)
        if self.spec.head:  # after every line, so that no path's line covers another's head
            for i in order:
                (head,) = ctx.ax.plot(
                    *[c[-1:, i] for c in coords], color=colors[i], marker="o", ms=mark_sizes[i],
                    mec="white", mew=NESTED_HEAD_EDGE if nested else 1.2, ls="none", **kwargs,
                )  # fmt: skip
                self.heads.append(head)
        # built in drawing order; kept in path order, as the data's columns and the legend are
        self.lines, self.handles = _in_path_order(self.lines, order), _in_path_order(self.handles, order)
        self.starts, self.heads = _in_path_order(self.starts, order), _in_path_order(self.heads, order)
        self.shadows, self.trails = _in_path_order(self.shadows, order), _in_path_order(self.trails, order)
        self.dots = _in_path_order(self.dots, order)
        self.head_labels: HeadLabels | None = None
        if self.label_parts:
            self.names = [label or "" for label in labels]
            face = ctx.ax.get_facecolor()
            texts = [
                Text(0, 0, "", color=color, alpha=kwargs.get("alpha"),
                     bbox={"boxstyle": f"round,pad={BOX_PAD}", "facecolor": face, "edgecolor": "none", "alpha": 0.7})
                for color in colors
            ]  # fmt: skip
            # what each label keeps clear of: its head marker (rings included), else the line's own marker
            ends = [mark_sizes[i] if self.spec.head else (size if marker else 0.0) for i in range(count)]
            self.head_labels = HeadLabels(ctx.ax, texts, head_sizes=ends)
            if "zorder" in kwargs:
                self.head_labels.set_zorder(kwargs["zorder"])
            ctx.ax.add_artist(self.head_labels)
            self._label_heads(frame, coords)
        drawn_in_order = [
            *(self.starts[i] for i in order if self.starts), *self.goal, *(self.heads[i] for i in order if self.heads)
        ]  # fmt: skip
        self.mark_artists: list[Artist] = drawn_in_order  # lifted in this order: the narrowest head on top
        if self.head_labels is not None:
            self.mark_artists.append(self.head_labels)
        self.artists = [*self.lines, *self.trails, *self.dots, *self.shadows, *self.mark_artists]
        self.shown = 0
        self.styled_for: tuple[int, bytes] | None = None
        self.drawn: list[Trail | None] = [None] * count
        """What the trail collections show, per path, in data coordinates (on a 3D panel: as last drawn)."""
        self._show(coords)

    def drawing_order(self, count: int) -> list[int]:
        """The paths in the order they are drawn: with `nested`, the one that travels furthest over the whole
        recording first (at the bottom), so that a short path is never buried under a long one that passes over it
        (Adam's long run over SGD's crawl); otherwise in column order. Fixed for the animation."""
        if not self.spec.nested or count < 2:
            return list(range(count))
        keys = ("x", "y", "z") if self.spec.z is not None else ("x", "y")
        points = np.stack([as_columns(self.fields[k].data) for k in keys], axis=-1)  # (steps, paths, dims)
        lengths = np.nansum(np.linalg.norm(np.diff(points, axis=0), axis=-1), axis=0)
        return [int(i) for i in np.argsort(-lengths, kind="stable")]

    def nesting(self, count: int) -> list[float]:
        """Line width factors in drawing order: the first widest (1 + `NEST_WIDENING`), falling evenly to 1 for
        the last, so that paths on one stretch show as rims around each other; all 1 without `nested`. (Heads
        and start circles grow by `RING_POINTS` a path instead.)"""
        if not self.spec.nested or count < 2:
            return [1.0] * count
        return [1.0 + NEST_WIDENING * (count - 1 - i) / (count - 1) for i in range(count)]

    def _build_trail(self, ctx: BuildContext, width: float, kwargs: dict[str, Any]) -> LineCollection:
        """An empty line collection (3D on a 3D panel) that `restyle` fills with the path's runs."""
        options: dict[str, Any] = {"linewidths": width, "capstyle": "round", "joinstyle": "round"}
        if "zorder" in kwargs:
            options["zorder"] = kwargs["zorder"]
        if self.spec.z is not None:
            collection: LineCollection = DepthLines(self.restyle, **options)
            as_3d(ctx.ax).add_collection3d(collection, autolim=False)
        else:
            collection = LineCollection([], **options)
            ctx.ax.add_collection(collection, autolim=False)
        return collection

    def _build_dots(
        self, ctx: BuildContext, column: list[np.ndarray], marker: str, size: float, kwargs: dict[str, Any]
    ) -> Collection:
        """The markers of the recorded points, each with its own opacity (fading, hidden)."""
        options: dict[str, Any] = {
            "s": size**2,
            "marker": marker,
            "linewidths": matplotlib.rcParams["lines.markeredgewidth"],
        }
        if "zorder" in kwargs:
            options["zorder"] = kwargs["zorder"]
        if self.spec.z is not None:
            dots: Collection = as_3d(ctx.ax).scatter(*column, depthshade=False, **options)
        else:
            dots = ctx.ax.scatter(*column, **options)
        dots.set_zorder(self.trails[-1].get_zorder() + DOTS_ABOVE)  # drawn, and projected in 3D, after the trail
        return dots

    def _show(self, coords: list[np.ndarray]) -> None:
        """Keep the frame's coordinates for the trail, and lay the shadows on the floor. A 2D trail is styled now;
        a 3D one when it is drawn (`DepthLines`), from the camera it is drawn with."""
        self.coords = coords
        self.shown += 1
        if self.shadows:
            floor = as_3d(self.ax).get_zlim()[0]
            for i, shadow in enumerate(self.shadows):
                x, y = coords[0][:, i], coords[1][:, i]
                _set(shadow, [x, y, np.full(len(x), floor)])
        if self.styled and self.spec.z is None:
            self.restyle()

    def restyle(self) -> None:
        """Styled runs (fading, hidden stretches), dots, and hidden heads and starts, for the shown coordinates
        and, on a 3D panel, the current camera; done again only when either changed."""
        camera = as_3d(self.ax).get_proj().tobytes() if self.spec.z is not None else b""
        if not self.styled or self.styled_for == (self.shown, camera):
            return
        self.styled_for = (self.shown, camera)
        coords = self.coords
        grid = self._grid()
        eye = eye_of(as_3d(self.ax).get_proj()) if grid is not None else None
        tolerance = DEPTH_TOLERANCE * float(np.ptp(as_3d(self.ax).get_zlim())) if grid is not None else 0.0
        style = TrailStyle(self.spec.fade, self.spec.fade_min, self.spec.hidden, self.spec.hidden_alpha)
        for i in range(coords[0].shape[1]):
            points = np.column_stack([c[:, i] for c in coords])
            fine, owner, segment_hidden, point_hidden = self._depth(points, grid, eye, tolerance)
            drawn = trail(fine, owner, segment_hidden, point_hidden, style)
            self.drawn[i] = drawn
            colors = self._faded(i, drawn.alphas)
            self.trails[i].set_segments(drawn.runs)
            self.trails[i].set_color(colors if colors else [self.rgba[i]])
            self.trails[i].set_linestyle([HIDDEN_DASHES if d else "-" for d in drawn.dashed] or ["-"])
            if self.dots:
                _set_dots(self.dots[i], points, self._faded(i, drawn.point_alphas))
            if self.heads:
                head_alpha = style.hidden_factor() if point_hidden[-1] else 1.0
                self.heads[i].set_alpha(self.base_alpha * head_alpha)
            if self.starts and grid is not None and eye is not None:  # the first recorded point, even past a tail
                start = np.array([[as_columns(self.fields[k].data)[0, i] for k in ("x", "y", "z")]])
                start_hidden = hidden(start, grid, eye, tolerance)[0]
                self.starts[i].set_alpha(self.base_alpha * (style.hidden_factor() if start_hidden else 1.0))

    def _faded(self, path: int, factors: np.ndarray) -> list[Any]:
        """RGBA colours of path `path` at each of the opacity `factors` (times the layer's alpha)."""
        rgba = np.tile(np.asarray(self.rgba[path], dtype=float), (len(factors), 1))
        rgba[:, 3] *= self.base_alpha * np.asarray(factors, dtype=float)
        return rgba.tolist()

    def _grid(self) -> HeightGrid | None:
        """The first surface of the panel that can hide the path, as a height grid (None: nothing hides it)."""
        if self.spec.z is None or self.spec.hidden == "solid":
            return None
        step = self.frame_step
        for painter in self.occluders:
            surface = painter.occluder(step)
            if surface is not None:
                grid = height_grid(*surface)
                if grid is not None:
                    return grid
        return None

    def _depth(
        self, points: np.ndarray, grid: HeightGrid | None, eye: Any, tolerance: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The path cut into short pieces (in the box's proportions), and which pieces and points are hidden."""
        if grid is None or eye is None:
            owner = np.arange(max(len(points) - 1, 0))
            return points, owner, np.zeros(len(owner), dtype=bool), np.zeros(len(points), dtype=bool)
        ax = as_3d(self.ax)
        low = np.array([ax.get_xlim()[0], ax.get_ylim()[0], ax.get_zlim()[0]])
        span = np.array([np.ptp(ax.get_xlim()), np.ptp(ax.get_ylim()), np.ptp(ax.get_zlim())])
        fine, owner = subdivided((points - low) / span, DEPTH_PIECE)
        fine = fine * span + low
        middles = (fine[:-1] + fine[1:]) / 2
        segment_hidden = hidden(middles, grid, eye, tolerance)
        point_hidden = hidden(points, grid, eye, tolerance)
        return fine, owner, segment_hidden, point_hidden

    def _build_goal(self, ctx: BuildContext, head_size: float, kwargs: dict[str, Any]) -> list[Artist]:
        """The goal's star and, if asked for, its label beside it."""
        goal = self.spec.goal
        assert goal is not None
        edge = matplotlib.rcParams["text.color"]
        (star,) = ctx.ax.plot(
            *[[v] for v in goal], marker="*", ms=1.8 * head_size, mfc=GOAL_COLOR, mec=edge, mew=0.8, ls="none", **kwargs
        )
        artists: list[Artist] = [star]
        if self.spec.goal_label:
            offset = {"xytext": (0.9 * head_size, 0.9 * head_size), "textcoords": "offset points"}
            if len(goal) == 3:
                text = as_3d(ctx.ax).text(goal[0], goal[1], goal[2], "  " + self.spec.goal_label, va="bottom", **kwargs)
            else:
                text = ctx.ax.annotate(self.spec.goal_label, tuple(goal), **offset, **kwargs)  # type: ignore[arg-type]
            text.set_bbox({"boxstyle": f"round,pad={BOX_PAD}", "facecolor": ctx.ax.get_facecolor(), "edgecolor": "none",
                           "alpha": 0.7})  # fmt: skip
            artists.append(text)
        return artists

    def _label_heads(self, frame: Frame, coords: list[np.ndarray]) -> None:
        assert self.head_labels is not None
        count = coords[0].shape[1]
        values = self._head_values(frame) if "head_value" in self.fields else np.full(count, np.nan)
        labels = [
            fill(self.label_parts, {"name": self.names[i], "value": values[i].item(), "step": frame.step})
            for i in range(count)
        ]
        self.head_labels.set_paths([np.column_stack([c[:, i] for c in coords]) for i in range(count)], labels)

    def _head_values(self, frame: Frame) -> np.ndarray:
        """`head_value` where the heads are: interpolated along the recorded steps like them on an in-between
        frame, unless it counts (whole numbers), which shows the value recorded at the shown step."""
        field = self.fields["head_value"]
        if between_recorded(frame) and not is_count(field):
            return as_columns(field_history(field, frame))[-1]
        return np.asarray(self.value("head_value", frame.step), dtype=float).ravel()

    def marks(self) -> list[Artist]:
        """Starts, goal, heads and head labels: drawn above every line of the panel."""
        return self.mark_artists

    def update(self, frame: Frame) -> None:
        self.frame_step = frame.step
        coords = self._coords(frame)
        for i, line in enumerate(self.lines):
            column = [c[:, i] for c in coords]
            _set(line, column)
            if self.heads:
                _set(self.heads[i], [c[-1:] for c in column])
        if self.head_labels is not None:
            self._label_heads(frame, coords)
        self._show(coords)

    def legend_handles(self) -> list[Artist]:
        """Each labelled path's line, or, when a collection draws it, a plain line of its colour."""
        return [line for line in self.handles or self.lines if _shown_label(line.get_label())]


T = TypeVar("T")


def _in_path_order(parts: list[T], order: list[int]) -> list[T]:
    """Artists made one per path in drawing `order`, listed by path (empty: none were made)."""
    return [parts[order.index(i)] for i in range(len(order))] if parts else parts


def _shown_label(label: object) -> bool:
    """Whether a legend lists an artist with this label (matplotlib hides labels starting with `_`)."""
    return isinstance(label, str) and bool(label) and not label.startswith("_")


class DepthLines(Line3DCollection):
    """A 3D path's trail that is styled anew when matplotlib projects it for drawing: the depth test then sees
    the camera the frame is drawn with, whoever turned it (a camera move, a window's mouse)."""

    def __init__(self, restyle: Callable[[], None], **kwargs: Any) -> None:
        super().__init__([], **kwargs)
        self.restyle = restyle

    def do_3d_projection(self) -> float:
        self.restyle()
        return super().do_3d_projection()


def _set_dots(dots: Collection, points: np.ndarray, colors: list[Any]) -> None:
    """Move a scatter's markers to `points` (2 or 3 columns) with one colour each."""
    dots.set_offsets(points[:, :2])
    dots.set_facecolor(colors)
    dots.set_edgecolor(colors)
    if isinstance(dots, Path3DCollection):
        dots.set_3d_properties(points[:, 2], "z")


def _set(line: Line2D, column: list[np.ndarray]) -> None:
    if len(column) == 3:
        assert isinstance(line, Line3D)  # z is drawn on a 3D panel, whose `plot` makes 3D lines
        line.set_data_3d(*column)
    else:
        line.set_data(*column)
