"""Layer `path`: trajectories that grow step by step, e.g. optimizers descending a loss surface.

Each column of the bound fields is one trajectory (one optimizer of an `optimizer`
source), with its own colour and legend entry. With `z` bound the path is drawn in
3D, lifted onto the surface; it is drawn above the surface so it never disappears
behind it (article 004's figure 6-9 loses it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import numpy as np
from matplotlib.artist import Artist
from matplotlib.lines import Line2D
from mpl_toolkits.mplot3d.art3d import Line3D
from pydantic import Field, NonNegativeFloat, PositiveFloat, PositiveInt, field_validator

from scenespec.frame import Frame
from scenespec.layers.base import BuildContext, ColorChecked, Extent, Painter, register_layer
from scenespec.layers.channels import CYCLE, Channel, constant, theme
from scenespec.validate.base import Binding
from scenespec.validate.drawable import Label, check_marker
from scenespec.validate.limits import FieldSize


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

    channels = (
        Channel("x", "columns", "stepped", required=True),
        Channel("y", "matched:x", "stepped", required=True),
        Channel("z", "matched:x", "stepped"),
        Channel("names", timing="static"),
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


class PathPainter(Painter[PathLayer]):
    def _coords(self, step: int) -> list[np.ndarray]:
        """x, y (and z) of every step up to `step`, limited to the tail, as (rows, paths) arrays."""
        keys = ("x", "y", "z") if self.spec.z is not None else ("x", "y")
        coords = [as_columns(self.fields[k].upto(step)[1]) for k in keys]
        if self.spec.tail is not None:
            coords = [c[-self.spec.tail :] for c in coords]
        return coords

    def extent(self, frame_steps: np.ndarray) -> Extent:
        last = int(frame_steps.max())
        full = [as_columns(self.fields[k].upto(last)[1]) for k in ("x", "y", "z") if k in self.fields]
        return Extent(full[0], full[1], full[2] if self.spec.z is not None else None)

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
        coords = self._coords(frame.step)
        count = coords[0].shape[1]
        marker, size, width = self.style("marker"), self.style("markersize"), self.style("linewidth")
        kwargs = self.common_kwargs(label=False)  # each path's label comes from `names` or `label`
        self.lines: list[Line2D] = []
        self.heads: list[Line2D] = []
        for i, (color, label) in enumerate(zip(self.colors(count), self.labels(count), strict=True)):
            column = [c[:, i] for c in coords]
            (line,) = ctx.ax.plot(*column, color=color, marker=marker or None, ms=size, lw=width, label=label, **kwargs)
            self.lines.append(line)
            if self.spec.head:
                (head,) = ctx.ax.plot(
                    *[c[-1:] for c in column], color=color, marker="o", ms=max(2.2 * size, 7.0),
                    mec="white", mew=1.2, ls="none", **kwargs,
                )  # fmt: skip
                self.heads.append(head)
        self.artists = [*self.lines, *self.heads]

    def update(self, frame: Frame) -> None:
        coords = self._coords(frame.step)
        for i, line in enumerate(self.lines):
            column = [c[:, i] for c in coords]
            _set(line, column)
            if self.heads:
                _set(self.heads[i], [c[-1:] for c in column])

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
