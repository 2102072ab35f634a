"""Layer `path`: trajectories that grow step by step, e.g. optimizers descending a loss surface.

Each column of the bound fields is one trajectory (one optimizer of an `optimizer`
source), with its own colour and legend entry. With `z` bound the path is drawn in
3D, lifted onto the surface; it is drawn above the surface so it never disappears
behind it (article 004's figure 6-9 loses it).

Marks tell the reader where things are: a hollow circle at each start (`start`), a star at the `goal`,
and the heads, which are lifted above every line of the panel (`Painter.marks`), so that one optimizer's
head is never hidden under another's line. `head_label` writes each path's name and current value next to
its head, as a legend that stays where the eye is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import matplotlib
import numpy as np
from matplotlib.artist import Artist
from matplotlib.lines import Line2D
from matplotlib.text import Text
from mpl_toolkits.mplot3d.art3d import Line3D
from pydantic import Field, NonNegativeFloat, PositiveFloat, PositiveInt, field_validator, model_validator

from scenespec.errors import Problem, SpecError
from scenespec.frame import Frame
from scenespec.layers._head_labels import HeadLabels
from scenespec.layers._numbers import fill, parse_template
from scenespec.layers._tween import between_recorded, field_history, is_count
from scenespec.layers.base import BuildContext, ColorChecked, Extent, Painter, as_3d, register_layer
from scenespec.layers.channels import CYCLE, Channel, constant, theme
from scenespec.layers.text import format_problem
from scenespec.resolve.trace import TraceField
from scenespec.validate.base import Binding
from scenespec.validate.drawable import Label, check_marker
from scenespec.validate.limits import FieldSize

HEAD_LABEL_NAMES = ("name", "value", "step")
"""The fields a `head_label` template may use."""

HEAD_LABEL_SAMPLES: dict[str, tuple[object, ...]] = {"name": ("a",), "value": (1.5, 2), "step": (1,)}


class PathLayer(ColorChecked):
    """The trajectory up to the current frame's step, with markers and a head at the current position."""

    kind: Literal["path"]
    x: Binding = Field(description="x per step, one column per path, e.g. `race.x`.")
    y: Binding = Field(description="y per step, e.g. `race.y`.")
    z: Binding | None = Field(None, description="Height per step, e.g. `race.loss`: draws the path in 3D.")
    names: Binding | None = Field(None, description="One legend label per path, e.g. `race.names`.")
    label: Label | None = Field(None, description="Legend entry of a single path (several paths: use `names`).")
    color: str | list[str] | None = Field(
        None,
        description="One colour for all paths, or a list with one per path; default: each optimizer's colour in "
        "the theme (paths of an `optimizer` source), else the colour cycle.",
    )
    marker: str | None = Field(None, description='Marker at every step (`""` for none), e.g. article 004\'s `o`.')
    markersize: NonNegativeFloat | None = Field(None, description="Marker size in points.")
    linewidth: PositiveFloat | None = Field(None, description="Line width in points.")
    head: bool = Field(True, description="A larger marker at the current position.")
    tail: PositiveInt | None = Field(None, description="Show only the last `tail` steps (default: the whole path).")
    alpha: float | None = Field(None, ge=0, le=1, description="Opacity, 0 to 1.")
    start: bool = Field(False, description="A hollow circle at each path's first point.")
    goal: list[float] | None = Field(
        None, min_length=2, max_length=3,
        description="A star at the target the paths head for: [x, y], or [x, y, z] on a 3D panel, e.g. `[1, 1]`.",
    )  # fmt: skip
    goal_label: Label | None = Field(None, description="Text beside the goal star, e.g. `minimum (1, 1)`.")
    head_label: str | None = Field(
        None,
        description="A label beside each path's head, e.g. `{name} {value:.3g}`: `{name}` (from `names` or "
        "`label`), `{value}` (the path's `head_value` at this frame) and `{step}`; a number without a format "
        "spec has 4 significant digits. Labels that would overlap are pushed apart. An alternative to a legend.",
    )
    head_value: Binding | None = Field(
        None, description="The value `{value}` writes in `head_label`, one per path per step, e.g. `race.loss`."
    )

    channels = (
        Channel("x", "columns", "stepped", required=True),
        Channel("y", "matched:x", "stepped", required=True),
        Channel("z", "matched:x", "stepped"),
        Channel("names", timing="static"),
        Channel("head_value", "matched:x", "stepped"),
        constant("color", CYCLE),  # path i takes its optimizer's theme colour, else the cycle's colour i
        constant("marker", "o"),
        constant("markersize", theme("lines.markersize", scale=2 / 3)),  # 4 points at the default; themes scale it
        constant("linewidth", theme("lines.linewidth")),
    )
    example = 'layers = [{ kind = "path", x = "race.x", y = "race.y", names = "race.names" }]'

    @field_validator("marker")
    @classmethod
    def _valid_marker(cls, value: str | None) -> str | None:
        return check_marker(value)

    @field_validator("head_label")
    @classmethod
    def _valid_head_label(cls, value: str | None) -> str | None:
        if value is not None:
            parse_template(value, HEAD_LABEL_NAMES, HEAD_LABEL_SAMPLES)
        return value

    def fixed_texts(self) -> dict[str, str]:
        if self.head_label is None:
            return {}
        parts = parse_template(self.head_label, HEAD_LABEL_NAMES, HEAD_LABEL_SAMPLES)
        return {"head_label": "".join(literal for literal, _, _ in parts)}

    @model_validator(mode="after")
    def _goal_fits_the_panel(self) -> PathLayer:
        three_d = self.z is not None
        if self.goal is not None and len(self.goal) != (3 if three_d else 2):
            where = "a 3D path (z is bound): give [x, y, z]" if three_d else "a 2D path: give [x, y]"
            raise ValueError(f"goal has {len(self.goal)} numbers; {where}")
        if self.goal_label is not None and self.goal is None:
            raise ValueError("goal_label labels the goal: set `goal` too")
        if self.head_value is not None and self.head_label is None:
            raise ValueError("head_value is written by head_label: set `head_label` too, e.g. '{name} {value}'")
        writes_value = self.head_label is not None and any(
            name == "value" for _, name, _ in parse_template(self.head_label, HEAD_LABEL_NAMES, HEAD_LABEL_SAMPLES)
        )
        if writes_value and self.head_value is None:
            raise ValueError("head_label writes {value}: bind `head_value`, e.g. head_value = 'race.loss'")
        return self

    def projections(self) -> tuple[str, ...]:
        return ("3d",) if self.z is not None else ("2d",)

    def drawn_points(self, sizes: Mapping[str, FieldSize]) -> int:
        """Every step up to the last (or the last `tail`) of every path."""
        size = sizes.get("x")
        if size is None:
            return 0
        steps = size.steps or 1
        return size.per_step * (min(steps, self.tail) if self.tail is not None else steps)


def as_columns(values: np.ndarray) -> np.ndarray:
    """Rows are steps, columns are paths: a 1-D field is a single path."""
    values = np.asarray(values, dtype=float)
    return values[:, None] if values.ndim == 1 else values.reshape(len(values), -1)


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
        if "head_value" not in self.fields:
            return
        values = np.asarray(self.fields["head_value"].data).ravel()
        for _, name, spec in self.label_parts:
            if spec and name == "value" and values.size:
                problem = format_problem(spec, (values[0].item(),))
                if problem is not None:
                    raise SpecError([Problem(f"path layer: {{value:{spec}}}: {problem}", ("head_label",))])

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
        coords = self._coords(frame)
        count = coords[0].shape[1]
        marker, size, width = self.style("marker"), self.style("markersize"), self.style("linewidth")
        kwargs = self.common_kwargs(label=False)  # each path's label comes from `names` or `label`
        colors, labels = self.colors(count), self.labels(count)
        head_size = max(2.2 * size, 7.0)
        self.lines: list[Line2D] = []
        self.heads: list[Line2D] = []
        self.starts: list[Line2D] = []
        self.goal: list[Artist] = []
        for i, (color, label) in enumerate(zip(colors, labels, strict=True)):
            column = [c[:, i] for c in coords]
            (line,) = ctx.ax.plot(*column, color=color, marker=marker or None, ms=size, lw=width, label=label, **kwargs)
            self.lines.append(line)
        if self.spec.start:  # the first recorded point, even when a tail no longer shows it
            first = [as_columns(self.fields[k].data)[:1] for k in ("x", "y", "z") if k in self.fields]
            for i, color in enumerate(colors):
                (start,) = ctx.ax.plot(
                    *[c[:, i] for c in first], marker="o", ms=head_size, mfc="none", mec=color, mew=1.5, ls="none",
                    **kwargs,
                )  # fmt: skip
                self.starts.append(start)
        if self.spec.goal is not None:
            self.goal = self._build_goal(ctx, head_size, kwargs)
        if self.spec.head:  # after every line, so that no path's line covers another's head
            for i, color in enumerate(colors):
                (head,) = ctx.ax.plot(
                    *[c[-1:, i] for c in coords], color=color, marker="o", ms=head_size, mec="white", mew=1.2,
                    ls="none", **kwargs,
                )  # fmt: skip
                self.heads.append(head)
        self.head_labels: HeadLabels | None = None
        if self.label_parts:
            self.names = [label or "" for label in labels]
            face = ctx.ax.get_facecolor()
            texts = [
                Text(0, 0, "", color=color, alpha=kwargs.get("alpha"),
                     bbox={"boxstyle": "round,pad=0.15", "facecolor": face, "edgecolor": "none", "alpha": 0.7})
                for color in colors
            ]  # fmt: skip
            self.head_labels = HeadLabels(ctx.ax, texts)
            if "zorder" in kwargs:
                self.head_labels.set_zorder(kwargs["zorder"])
            ctx.ax.add_artist(self.head_labels)
            self._label_heads(frame, coords)
        self.artists = [*self.lines, *self.starts, *self.goal, *self.heads]
        if self.head_labels is not None:
            self.artists.append(self.head_labels)

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
            text.set_bbox({"boxstyle": "round,pad=0.15", "facecolor": ctx.ax.get_facecolor(), "edgecolor": "none",
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
        return self.artists[len(self.lines) :]

    def update(self, frame: Frame) -> None:
        coords = self._coords(frame)
        for i, line in enumerate(self.lines):
            column = [c[:, i] for c in coords]
            _set(line, column)
            if self.heads:
                _set(self.heads[i], [c[-1:] for c in column])
        if self.head_labels is not None:
            self._label_heads(frame, coords)

    def legend_handles(self) -> list[Artist]:
        return [line for line in self.lines if _shown_label(line.get_label())]


def _shown_label(label: object) -> bool:
    """Whether a legend lists an artist with this label (matplotlib hides labels starting with `_`)."""
    return isinstance(label, str) and bool(label) and not label.startswith("_")


def _set(line: Line2D, column: list[np.ndarray]) -> None:
    if len(column) == 3:
        assert isinstance(line, Line3D)  # z is drawn on a 3D panel, whose `plot` makes 3D lines
        line.set_data_3d(*column)
    else:
        line.set_data(*column)


register_layer(PathLayer, PathPainter)
