"""What every layer kind provides: a spec model and a painter, side by side in one module.

A painter builds its matplotlib artists once and then only updates them per frame
(`set_data`, `set_offsets`, `set_text`); it never clears or redraws its axes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

import matplotlib
import matplotlib.colors as mcolors
import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from pydantic import Field, field_validator

from scenespec.errors import did_you_mean
from scenespec.frame import Frame
from scenespec.registry import Registry, kind_of
from scenespec.resolve.trace import TraceField
from scenespec.validate.base import Binding, SpecModel


class LayerSpec(SpecModel):
    """Fields every layer has."""

    axes: ClassVar[tuple[str, ...]] = ("2d",)
    """Panel projections this kind can draw on; see `projections()` for per-spec answers."""

    kind: str
    zorder: float | None = Field(
        None, description="Drawing order within the panel: higher is on top (matplotlib's default if unset)."
    )
    twin: bool = Field(False, description="Draw on the panel's twin y axis (right side) instead of the main one.")

    example: ClassVar[str] = ""
    """A TOML snippet for the reference docs."""
    binding_fields: ClassVar[tuple[str, ...]] = ()
    """Names of this model's fields that hold `source.field` bindings."""
    stepped_bindings: ClassVar[tuple[str, ...]] = ()
    """Binding fields that must name a field recorded per step."""

    def bindings(self) -> dict[str, str]:
        """Spec field name -> binding, for every binding this layer uses."""
        return {name: getattr(self, name) for name in self.binding_fields if getattr(self, name) is not None}

    def projections(self) -> tuple[str, ...]:
        """Panel projections this layer can be drawn on: `2d`, `3d` or both."""
        return self.axes


def check_color(value: str | None) -> str | None:
    """Reject colours matplotlib would not understand, at validation time."""
    if value is not None and not mcolors.is_color_like(value):
        raise ValueError(f"{value!r} is not a matplotlib colour (a name like 'red', 'C0', or '#1f77b4')")
    return value


class ColorChecked(LayerSpec):
    """Mixin base: every field named `color`/`edgecolor` is checked as a colour."""

    @field_validator("color", "edgecolor", check_fields=False)
    @classmethod
    def _valid_color(cls, value: str | list[str] | None) -> str | list[str] | None:
        if isinstance(value, list):  # one colour per series (path)
            if not value:
                raise ValueError("give at least one colour")
            for item in value:
                check_color(item)
            return value
        return check_color(value)


def check_cmap(value: str | None) -> str | None:
    """Reject colormap names matplotlib does not have, at validation time."""
    if value is not None and value not in matplotlib.colormaps:
        raise ValueError(f"unknown colormap {value!r}{did_you_mean(value, sorted(matplotlib.colormaps))}")
    return value


class ColormapLayer(ColorChecked):
    """Fields of layers coloured through a colormap (contour, surface, quiver), with an optional colorbar."""

    cmap: str | None = Field(None, description="Matplotlib colormap, e.g. `viridis`, `bwr` (article 004).")
    colorbar: bool | str = Field(
        False, description="Draw a colorbar beside the panel for this layer; a string is the colorbar's label."
    )

    @field_validator("cmap")
    @classmethod
    def _valid_cmap(cls, value: str | None) -> str | None:
        return check_cmap(value)


def add_colorbar(ax: Axes, mappable: ScalarMappable, setting: bool | str) -> None:
    """The colorbar a `colorbar = true | "label"` setting asks for, beside `ax`."""
    if setting is False:
        return
    shrink = 0.6 if ax.name == "3d" else 1.0
    bar = ax.figure.colorbar(mappable, ax=ax, shrink=shrink, pad=0.1 if ax.name == "3d" else 0.05)
    if isinstance(setting, str):
        bar.set_label(setting)


class XYLayer(ColorChecked):
    """Fields of layers drawn through (x, y) points: scatter, line."""

    x: Binding = Field(description="x values, e.g. `fit.x`.")
    y: Binding = Field(description="y values, e.g. `fit.y` or `fit.pred`.")
    color: str | None = Field(None, description="Colour (a matplotlib colour).")
    alpha: float | None = Field(None, ge=0, le=1, description="Opacity, 0 to 1.")
    label: str | None = Field(None, description="Legend entry.")

    binding_fields = ("x", "y")


@dataclass(frozen=True)
class Extent:
    """Data a layer shows over all frames, for axis limits (None: the layer adds no limits).

    `tight`: the data fills the panel (a grid), so limits get no margin around it.
    """

    x: np.ndarray | None
    y: np.ndarray | None
    z: np.ndarray | None = None
    tight: bool = False


@dataclass(frozen=True)
class BuildContext:
    """What a painter may need to know about its panel and the animation when it builds its artists."""

    ax: Axes
    frame_steps: np.ndarray
    x_data_range: tuple[float, float] | None
    frames: tuple[Frame, ...] = ()


S = TypeVar("S", bound=LayerSpec)


class Painter(Generic[S]):
    """Draws one layer. `fields` maps the layer's binding field names to trace fields."""

    def __init__(self, spec: S, fields: Mapping[str, TraceField]) -> None:
        self.spec = spec
        self.fields = dict(fields)
        self.artists: list[Artist] = []

    @property
    def dynamic(self) -> bool:
        """Whether anything this layer draws changes from frame to frame."""
        return any(f.stepped for f in self.fields.values())

    def extent(self, frame_steps: np.ndarray) -> Extent | None:
        """The x and y data shown over all frames; by default the `x` and `y` bindings."""
        if "x" in self.fields and "y" in self.fields:
            return Extent(self.fields["x"].over(frame_steps), self.fields["y"].over(frame_steps))
        return None

    def frame_extent(self, frame: Frame) -> Extent | None:
        """The data this layer shows at `frame`, for limits that grow with the data."""
        return self.extent(np.array([frame.step], dtype=np.int64))

    def refresh(self, fields: Mapping[str, TraceField], frames: Sequence[Frame]) -> None:
        """New data for a live render: the trace grew and `frames` are the frames so far. Painters that
        precompute from their fields (smoothing, fits) redo it here."""
        self.fields = dict(fields)

    def value(self, name: str, step: int) -> np.ndarray:
        """The bound field `name` as recorded at `step` (the last recorded step at or before it)."""
        return self.fields[name].at(step)

    def value_at(self, name: str, frame: Frame) -> np.ndarray:
        """The bound field `name` at the frame's continuous position, interpolated between recorded steps."""
        return self.fields[name].interpolate(frame.position)

    def build(self, ctx: BuildContext, frame: Frame) -> None:
        """Create the artists, showing `frame`; store them in `self.artists`."""
        raise NotImplementedError

    def update(self, frame: Frame) -> None:
        """Show `frame` (its step, position, index, progress) by changing the artists' data (only when dynamic)."""

    def legend_handles(self) -> list[Artist]:
        """Artists that should appear in the panel's legend."""
        label = getattr(self.spec, "label", None)
        return self.artists[:1] if label else []

    def style_kwargs(self, **names: str) -> dict[str, Any]:
        """Spec fields mapped to matplotlib keyword arguments, leaving out unset ones."""
        out = {mpl: getattr(self.spec, field) for mpl, field in names.items()}
        return {k: v for k, v in out.items() if v is not None}


@dataclass(frozen=True)
class LayerKind:
    model: type[LayerSpec]
    painter: type[Painter[Any]]


LAYERS: Registry[LayerKind] = Registry("layer", "scenespec.layers")


def register_layer(model: type[LayerSpec], painter: type[Painter[Any]]) -> None:
    """Make a layer kind part of the spec language."""
    LAYERS.register(kind_of(model), LayerKind(model, painter))
