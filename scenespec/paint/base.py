"""What every painter provides: it draws one layer from the layer's spec model (`scenespec/layers/`).

The painter's base class checks the bound data against the kind's channel table when the painter is made,
resolves style defaults from the scene's style when it builds, and passes zorder, alpha and label to the
artists. A painter builds its matplotlib artists once and then only updates them per frame
(`set_data`, `set_offsets`, `set_text`); it never clears or redraws its axes. Painters live apart from
the models so that checking a spec never imports matplotlib: a render imports the painters of the kinds it
draws (`LayerKind.painter`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.collections import Collection, PathCollection
from matplotlib.lines import Line2D
from matplotlib.text import Text
from mpl_toolkits.mplot3d import Axes3D

from scenespec.errors import Problem, SpecError
from scenespec.frame import Frame
from scenespec.layers.base import LayerSpec
from scenespec.layers.channels import (
    Bound,
    resolve_default,
    shape_problems,
)
from scenespec.layers.text import format_problem
from scenespec.resolve.trace import TraceField
from scenespec.themes.active import series_colors


def check_format_specs(
    parts: Sequence[tuple[str, str, str]], field_of: Callable[[str], TraceField | None], where: str, key: str
) -> None:
    """Each `{name:spec}` of a text template must format the values of the field `field_of(name)` (None: no field
    stands behind that name): `{value:d}` fits integers, not a float field. Judged on the field's first value;
    the problem names `where` (e.g. `counter layer`) and the spec's `key`."""
    for _, name, spec in parts:
        field = field_of(name) if spec else None
        values = np.asarray(field.data).ravel() if field is not None else np.empty(0)
        problem = format_problem(spec, (values[0].item(),)) if values.size else None
        if problem is not None:
            raise SpecError([Problem(f"{where}: {{{name}:{spec}}}: {problem}", (key,))])


def as_3d(ax: Axes) -> Axes3D:
    """The 3D axes of a panel that a layer needs 3D for (it was made with `projection="3d"`)."""
    if not isinstance(ax, Axes3D):
        raise TypeError(f"a 3D panel was expected, not {type(ax).__name__}")
    return ax


def add_colorbar(ax: Axes, mappable: ScalarMappable, setting: bool | str) -> None:
    """The colorbar a `colorbar = true | "label"` setting asks for, beside `ax`."""
    if setting is False:
        return
    shrink = 0.6 if ax.name == "3d" else 1.0
    bar = ax.figure.colorbar(mappable, ax=ax, shrink=shrink, pad=0.1 if ax.name == "3d" else 0.05)
    if isinstance(setting, str):
        bar.set_label(setting)


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
    panel: Sequence[Painter[Any]] = ()
    """The painters of every layer of the panel, in spec order: a layer that draws in relation to others asks
    them (a 3D path is depth-tested against the panel's surfaces through `Painter.occluder`)."""


S = TypeVar("S", bound=LayerSpec)


def _step_shape(field: TraceField) -> tuple[int, ...]:
    """The shape of one step's value (of the whole value, for a static field)."""
    return tuple(field.data.shape[1:] if field.stepped else field.data.shape)


COMMON_KWARGS = ("zorder", "alpha", "label")
"""Settings passed to a layer's artists under their own names, for every kind whose model has them."""


class Painter(Generic[S]):
    """Draws one layer. `fields` maps the layer's binding field names to trace fields.

    Making a painter checks every bound field against the kind's channel table: a field of the wrong
    timing or shape raises SpecError, each Problem's path being the layer key (`("z",)`); the compiler
    places it in the spec (`panels[i].layers[j].z`).
    """

    series_optimizers: list[str] | None = None
    """The optimizer each series of this layer plots (one per column of its data), when its source records them
    (an `optimizer` source's `optimizers` field); the compiler sets it, and `optimizer_colors` reads it."""

    def __init__(self, spec: S, fields: Mapping[str, TraceField]) -> None:
        self.spec = spec
        self.fields = dict(fields)
        self.artists: list[Artist] = []
        self._styles: dict[str, Any] = {}
        self.check_channels()

    def optimizer_colors(self, count: int) -> list[str] | None:
        """The theme's colour for the optimizer of each of `count` series, so an optimizer looks the same in every
        spec; None when the spec gives a `color` (it wins), or the series' optimizers are not known."""
        if getattr(self.spec, "color", None) is not None:
            return None
        colors = series_colors(self.series_optimizers, count)
        return None if colors is None else [c for c in colors if c is not None]

    def check_channels(self) -> None:
        """Raise SpecError if a bound field does not have the timing and shape its channel declares."""
        channels = type(self.spec).channels
        bound = {
            c.name: Bound(
                getattr(self.spec, c.name),
                _step_shape(self.fields[c.name]),
                self.fields[c.name].stepped,
                np.asarray(self.fields[c.name].data).dtype.kind in "biuf",
            )
            for c in channels
            if c.name in self.fields
        }
        problems = shape_problems(self.spec.kind, channels, bound)
        if problems:
            raise SpecError([Problem(message, (key,)) for key, message in problems])

    def style(self, name: str) -> Any:
        """The setting `name` in effect: the spec's value, else its channel's default (the kind's, or the theme's:
        rcParams of the scene's style, read the first time it is asked for, which is while the layer is built).
        None: matplotlib's own default (e.g. the property cycle's next colour)."""
        value = getattr(self.spec, name, None)
        if value is not None:
            return value
        if name not in self._styles:
            channel = type(self.spec).channel(name)
            self._styles[name] = resolve_default(channel.default, self.spec) if channel is not None else None
        return self._styles[name]

    def common_kwargs(self, *, label: bool = True) -> dict[str, Any]:
        """zorder, alpha and (unless `label=False`) label for the artists: those the kind has and that are set."""
        names = COMMON_KWARGS if label else tuple(n for n in COMMON_KWARGS if n != "label")
        has = type(self.spec).model_fields
        values = {name: self.style(name) for name in names if name in has}
        return {name: value for name, value in values.items() if value is not None}

    def artist_kwargs(self, *, label: bool = True, **names: str) -> dict[str, Any]:
        """`common_kwargs` plus matplotlib keyword -> setting name (`lw="linewidth"`), each as `style` gives it;
        settings in effect as None are left out."""
        kwargs = self.common_kwargs(label=label)
        for keyword, name in names.items():
            value = self.style(name)
            if value is not None:
                kwargs[keyword] = value
        return kwargs

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
        """The bound field `name` at the frame's continuous position, interpolated between recorded steps; an
        in-between frame of `frames.tween` blends the values of the shown steps on either side (`Frame.toward`).
        At a shown step, the value shown there (`value`: the last recorded at or before it, so that a source
        recorded more sparsely than the timeline shows what the axis limits cover)."""
        if frame.toward is not None:
            return self.fields[name].blend(frame.step, frame.toward, frame.position)
        if frame.position == frame.step:
            return self.value(name, frame.step)
        return self.fields[name].interpolate(frame.position)

    def build(self, ctx: BuildContext, frame: Frame) -> None:
        """Create the artists, showing `frame`; store them in `self.artists`."""
        raise NotImplementedError

    def update(self, frame: Frame) -> None:
        """Show `frame` (its step, position, index, progress) by changing the artists' data (only when dynamic)."""

    def occluder(self, step: int) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """The grids (x, y, z) of an opaque surface this layer draws at `step`, which can hide other layers'
        lines from a 3D camera; None: it hides nothing."""
        return None

    def marks(self) -> list[Artist]:
        """Artists marking points (a path's heads, its start and goal) that the compiler lifts above every line
        and collection of the panel, whatever layer drew it, so that no line hides them."""
        return []

    def draws_something(self) -> bool:
        """Whether the frame shown puts anything of this layer on screen: a panel's legend lists the layer only
        then (a cost line is not named before it is drawn). By default, whether any of its artists shows."""
        return any(shows_something(artist) for artist in self.artists)

    def legend_handles(self) -> list[Artist]:
        """Artists that should appear in the panel's legend."""
        label = getattr(self.spec, "label", None)
        return self.artists[:1] if label else []


NO_MARKERS = (None, "", " ", "None", "none")


def shows_something(artist: Artist) -> bool:
    """Whether a visible artist puts anything on screen: a line of two points (or one with a marker), a
    collection with points or a non-empty outline, a non-empty text; any other kind of artist is taken to."""
    if not artist.get_visible():
        return False
    if isinstance(artist, Line2D):
        points = int(np.size(artist.get_xdata()))
        return points >= 2 or (points == 1 and artist.get_marker() not in NO_MARKERS)
    if isinstance(artist, PathCollection):
        return int(np.shape(artist.get_offsets())[0]) > 0
    if isinstance(artist, Collection):
        return any(np.size(path.vertices) > 0 for path in artist.get_paths())
    if isinstance(artist, Text):
        return bool(artist.get_text())
    return True


def redrawn(old: Artist, new: list[Artist]) -> None:
    """Artists drawn anew to replace `old` (their first one replacing it) keep its place in the drawing order:
    they are shifted by the zorder `old` had above its default, which the compiler set to keep the layers'
    order (`keep_layer_order`)."""
    shift = old.get_zorder() - new[0].get_zorder()
    for artist in new:
        artist.set_zorder(artist.get_zorder() + shift)
