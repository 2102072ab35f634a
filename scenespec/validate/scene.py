"""The spec language: pydantic models of a whole scene. The JSON Schema comes from these.

Layer, source and transform unions, and the output formats, are built from the registries, so a
new kind or format appears here by registering itself.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from functools import cache
from itertools import pairwise
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias, TypeGuard, Union

from pydantic import (
    AfterValidator,
    Field,
    NonNegativeFloat,
    PositiveFloat,
    PrivateAttr,
    field_validator,
    model_validator,
)

from scenespec.easing import EaseName
from scenespec.errors import did_you_mean
from scenespec.layers.base import LAYERS, LayerSpec
from scenespec.render.sinks.base import output_formats
from scenespec.sources.base import SOURCES, SourceSpec
from scenespec.themes.loading import Theme
from scenespec.transform.base import TRANSFORMS, TransformSpec
from scenespec.validate.base import SOURCE_NAME_RE, TRANSFORMS_SOURCE, Pair, SpecModel
from scenespec.validate.colors import style_names
from scenespec.validate.drawable import Label
from scenespec.validate.limits import Limits
from scenespec.validate.mpl_names import LEGEND_LOCATIONS

if TYPE_CHECKING:
    from matplotlib.typing import LegendLocType


MIN_INCHES = 0.1
"""The smallest side of the figure: at the smallest dpi (10), one pixel; less makes an empty image."""
MAX_INCHES = 10_000.0
"""A hard bound on each side of the figure, so no absurd size reaches matplotlib (the pixels a frame may have
are bounded separately, by size × dpi)."""


def is_legend_location(value: object) -> TypeGuard[LegendLocType]:
    """Whether `Axes.legend(loc=value)` takes this name (`upper center`, `best`, …)."""
    return value in LEGEND_LOCATIONS


PANEL_NAME_RE = re.compile(r"[A-Za-z0-9_-]+")
EMPTY_CELL = "."
"""A layout cell that no panel fills."""


def _panel_name(value: str) -> str:
    if not PANEL_NAME_RE.fullmatch(value):
        raise ValueError(f"panel name {value!r} must be letters, digits, _ or - (it is used in `scene.layout`)")
    return value


def _layout_row(value: str) -> str:
    cells = value.split()
    if not cells:
        raise ValueError("empty layout row: list panel names (or `.` for an empty cell) separated by spaces")
    for cell in cells:
        if cell != EMPTY_CELL and not PANEL_NAME_RE.fullmatch(cell):
            raise ValueError(
                f"{cell!r} in layout row {value!r} is not a panel name (letters, digits, _ or -) "
                "nor `.` (an empty cell); separate cells with spaces"
            )
    return value


if TYPE_CHECKING:
    # Filled in by `scene_model` from the registries (discriminated unions of every kind, the sinks' format
    # names); to a type checker, any layer, source or transform, and a format name.
    LayerUnion: TypeAlias = LayerSpec
    SourceUnion: TypeAlias = SourceSpec
    TransformUnion: TypeAlias = TransformSpec
    OutputFormat: TypeAlias = str

FontFamily = Annotated[str, Field(min_length=1, max_length=200, pattern=r"\S")]
"""A font family name: what matplotlib's `font.family` takes (an installed family, or a generic one)."""
MAX_FONTS = 20
"""Families in `scene.font`: a fallback list, not a font catalogue."""

LayoutRow = Annotated[str, AfterValidator(_layout_row)]
PanelName = Annotated[str, AfterValidator(_panel_name)]


class SceneMeta(SpecModel):
    """The figure as a whole."""

    title: Label | None = Field(None, description="Figure title, shown above the panels.")
    description: str | None = Field(None, description="What the scene shows (for galleries and docs).")
    size: Pair[Annotated[float, Field(ge=MIN_INCHES, le=MAX_INCHES)]] = Field(
        (6.4, 4.8), description="Figure size [width, height] in inches."
    )
    dpi: int = Field(100, ge=10, le=1000, description="Dots per inch: pixels = size × dpi.")
    style: str = Field("default", description="A matplotlib style name, e.g. `default`, `ggplot`, `seaborn-v0_8`.")
    theme: str = Field(
        "light",
        min_length=1,
        description=(
            "The look the scene is drawn in, on top of `style`: a built-in theme (`light`, `dark`, `paper`, "
            "`talk`) or a theme file relative to the spec, e.g. `themes/lab.toml`; it sets fonts, colours, line "
            "widths and a fixed colour per optimizer; see docs/themes.md."
        ),
    )
    font: FontFamily | Annotated[list[FontFamily], Field(min_length=1, max_length=MAX_FONTS)] | None = Field(
        None,
        description="Font family, or a list of families each drawing the characters the ones before it lack, e.g. "
        '`["Noto Sans CJK JP", "DejaVu Sans"]`; `sans-serif`, `serif` and `monospace` name matplotlib\'s generic '
        "families. A family that is not installed is a warning, and the rest of the list applies. Characters no "
        "family given has are drawn with an installed font that has them (see docs/fonts.md). Default: the style's.",
    )
    layout: list[LayoutRow] | None = Field(
        None,
        min_length=1,
        description=(
            "Where the panels go, as rows of a grid: each row is a string of panel `name`s separated by spaces, "
            "`.` for an empty cell; a name repeated over a rectangle of cells spans it, e.g. "
            '`["main loss", "main batch"]` (a big `main` panel on the left, two small ones stacked on the right). '
            "Every row has as many cells, and every panel has a name that appears in the layout. "
            "Default: the panels stacked top to bottom in the order they are listed."
        ),
    )
    width_ratios: list[PositiveFloat] | None = Field(
        None,
        min_length=1,
        description="Relative widths of the layout's columns, one per column, e.g. `[2, 1]`. Default: equal.",
    )
    height_ratios: list[PositiveFloat] | None = Field(
        None,
        min_length=1,
        description="Relative heights of the layout's rows, one per row, e.g. `[1, 1]`. Default: equal.",
    )

    _theme: Theme | None = PrivateAttr(None)

    @property
    def resolved_theme(self) -> Theme | None:
        """The theme as validation read it (its file and bases), or None if the scene was not validated from a spec."""
        return self._theme

    def set_theme(self, theme: Theme) -> None:
        """Keep the theme validation read, so drawing (in any process) does not look for its files again."""
        self._theme = theme

    @property
    def layout_cells(self) -> list[list[str]] | None:
        """The layout as a grid of cells (rows of names, `.` for empty), or None for the vertical stack."""
        return None if self.layout is None else [row.split() for row in self.layout]

    @field_validator("style")
    @classmethod
    def _known_style(cls, value: str) -> str:
        available = style_names(value)
        if value not in available:
            raise ValueError(f"unknown matplotlib style {value!r}{did_you_mean(value, available)}")
        return value


class StepRule(SpecModel):
    """Steps shown as frames: the first `first` steps, then every `every`-th step (article 001)."""

    first: int = Field(0, ge=0, description="Show each of the first `first` steps.")
    every: int = Field(1, ge=1, description="Then show steps that are multiples of `every`.")
    start: int | None = Field(None, description="Skip steps before this one.")
    stop: int | None = Field(None, description="Skip steps after this one.")
    last: bool = Field(True, description="Always show the final step, so the animation ends on the trained model.")

    @model_validator(mode="after")
    def _start_before_stop(self) -> StepRule:
        if self.start is not None and self.stop is not None and self.start > self.stop:
            raise ValueError(f"start = {self.start} is after stop = {self.stop}: no step is shown")
        return self


MAX_TWEEN = 1000
"""In-between frames per pair of shown steps; the frame budget (`max_frames`) bounds the whole animation."""


class TweenSpec(SpecModel):
    """Frames in between the shown steps, whose data moves from one step's values to the next one's."""

    between: int = Field(
        ge=1, le=MAX_TWEEN, description="In-between frames after each shown step but the last (e.g. 4)."
    )
    ease: EaseName = Field(
        "linear",
        description="How the in-between frames move: `linear`, or `quad`, `cubic`, `sine`, `expo` with `-in` "
        "(start slowly), `-out` (end slowly) or `-in-out` (both), e.g. `cubic-in-out`.",
    )

    def frame_count(self, shown: int) -> int:
        """Frames for `shown` steps: each step, and `between` frames between each two in a row."""
        return shown + max(shown - 1, 0) * self.between


MAX_SLOW = 100.0
"""The largest slow-motion factor: with `tween`, a move slowed by it has 100 times the frames."""


class SlowRange(SpecModel):
    """A stretch of the timeline played slower (or faster): every move between two shown steps that passes
    through `start`..`stop`."""

    start: int = Field(ge=0, description="First step of the stretch (in the timeline's units, see `frames.key`).")
    stop: int = Field(ge=0, description="Last step of the stretch.")
    factor: PositiveFloat = Field(
        le=MAX_SLOW,
        description="How many times slower the moves through the stretch play, e.g. 3 (below 1: faster). With "
        "`tween`, a move gets about `factor` times the frames (smooth); without, its frame stays `factor` times "
        "as long.",
    )

    @model_validator(mode="after")
    def _start_before_stop(self) -> SlowRange:
        if self.start >= self.stop:
            raise ValueError(
                f"start = {self.start} must be before stop = {self.stop}: the animation moves slowly from start to stop"
            )
        return self

    def slows(self, before: int, after: int) -> bool:
        """Whether the move from shown step `before` to shown step `after` passes through this stretch."""
        return before < self.stop and after > self.start


class FramesSpec(SpecModel):
    """Which steps become frames, and how fast they play."""

    source: str | None = Field(
        None, description="Source whose steps are the timeline (default: the first source that records steps)."
    )
    key: str = Field(
        "step",
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        description=(
            "What the timeline counts: `step` (each source's recorded steps), or a counter every step records, "
            "e.g. `epoch`: sources that record that field are read by it (a per-batch source shows the end of "
            "each epoch), the others by their own steps, so sources recorded on different grids line up in "
            "one frame. `steps`, `{step}` in text and frame positions are then in that counter's units."
        ),
    )
    steps: Literal["all"] | StepRule | Annotated[list[Annotated[int, Field(ge=0)]], Field(min_length=1)] = Field(
        "all", description="`all`, a rule `{ first = 10, every = 40 }`, or an explicit list of step numbers."
    )
    fps: PositiveFloat = Field(10.0, le=100, description="Frames per second.")
    start_pause: NonNegativeFloat = Field(
        0.0, le=3600, description="Seconds the first frame stays before the animation moves (added to its frame)."
    )
    end_pause: NonNegativeFloat = Field(
        0.0, description="Seconds the last frame stays before the animation ends or loops."
    )
    loop: bool = Field(True, description="Loop forever (true) or play once (false).")
    tween: TweenSpec | None = Field(
        None,
        description='In-between frames: `{ between = 4, ease = "cubic-in-out" }` draws 4 frames between each two '
        "shown steps, at positions eased from one step to the next; every layer whose data changes per step moves "
        "there (points, lines and bands blend the two steps; paths and metric curves grow along the recorded steps; "
        "a count, like the step, stays whole). Default: none.",
    )
    slow: list[SlowRange] = Field(
        [],
        description="Slow motion over chosen steps: `[{ start = 0, stop = 20, factor = 3 }]` plays every move "
        "between two shown steps that passes through steps 0..20 three times slower: with `tween`, with three "
        "times the in-between frames (as smooth, at the same fps); without, each of its frames shown three "
        "times as long. Stretches may touch but not overlap.",
    )

    @field_validator("slow")
    @classmethod
    def _stretches_apart(cls, value: list[SlowRange]) -> list[SlowRange]:
        ordered = sorted(range(len(value)), key=lambda i: value[i].start)
        for a, b in itertools.pairwise(ordered):
            if value[b].start < value[a].stop:
                first, second = value[a], value[b]
                raise ValueError(
                    f"slow[{a}] (steps {first.start}..{first.stop}) and slow[{b}] (steps {second.start}.."
                    f"{second.stop}) overlap: give each step one factor (stretches may touch, e.g. 0..20 and 20..40)"
                )
        return value

    def factor(self, before: int, after: int) -> float:
        """How many times slower the move from shown step `before` to `after` plays: the slowest stretch it
        passes through (two, when it spans where they touch), else 1."""
        return max((r.factor for r in self.slow if r.slows(before, after)), default=1.0)

    def in_between(self, before: int, after: int) -> int:
        """In-between frames of the move from shown step `before` to `after`: `tween.between`, times its slow-motion
        factor in frames per move (`between + 1` frames make a move; a slowed move has `factor` times as many)."""
        if self.tween is None:
            return 0
        return max(round((self.tween.between + 1) * self.factor(before, after)) - 1, 0)

    def frame_count(self, shown: int | Sequence[int]) -> int | None:
        """How many frames the chosen steps make: `shown` is their count, or the steps themselves (with `slow`,
        only the steps tell; None if only their count is given)."""
        if isinstance(shown, int):
            if self.slow and self.tween is not None:
                return None
            return shown if self.tween is None else self.tween.frame_count(shown)
        steps = [int(step) for step in shown]
        return len(steps) + sum(self.in_between(a, b) for a, b in itertools.pairwise(steps))


MAX_ZOOM = 10.0
"""How much larger than its usual size a 3D panel's box may be drawn: more fills the panel with one corner."""


class CameraKey(SpecModel):
    """A keyframe of a 3D camera: where it is at a point of the animation; the values it leaves out hold."""

    at: float = Field(
        ge=0.0,
        le=1.0,
        description="When the camera reaches this view, as a fraction of the animation: 0 is the first frame, "
        "1 the last (a live render does not know its last frame: every frame it draws is the last so far).",
    )
    elev: float | None = Field(None, description="Elevation at this key, in degrees; default: as before it.")
    azim: float | None = Field(
        None,
        description="Azimuth at this key, in degrees; default: as before it. The camera turns through the "
        "difference, so `-60` to `300` is a whole turn.",
    )
    roll: float | None = Field(None, description="Roll at this key, in degrees; default: as before it.")
    zoom: float | None = Field(
        None, gt=0.0, le=MAX_ZOOM, description="Zoom at this key (1: the panel's usual size); default: as before it."
    )
    ease: EaseName = Field(
        "cubic-in-out",
        description="How the camera moves from the key before (or the starting view) into this one: `linear`, or "
        "`quad`, `cubic`, `sine`, `expo` with `-in`, `-out` or `-in-out`; the default starts and stops gently.",
    )

    @model_validator(mode="after")
    def _sets_something(self) -> CameraKey:
        if all(getattr(self, name) is None for name in ("elev", "azim", "roll", "zoom")):
            raise ValueError(f"the key at {self.at:g} sets none of elev, azim, roll, zoom: give at least one")
        return self


class CameraSpec(SpecModel):
    """Where a 3D panel is seen from, and how the view moves over the animation (`keys`, or `rotate`)."""

    elev: float = Field(30.0, description="Elevation above the x-y plane, in degrees, at the first frame.")
    azim: float = Field(-60.0, description="Azimuth around the z axis, in degrees, at the first frame.")
    roll: float = Field(0.0, description="Roll about the viewing axis, in degrees, at the first frame.")
    zoom: float = Field(
        1.0,
        gt=0.0,
        le=MAX_ZOOM,
        description="How large the 3D box is drawn at the first frame: 1 is the panel's usual size, 1.2 is "
        "20% larger (corners may then leave the panel).",
    )
    rotate: float = Field(
        0.0,
        description="Degrees of azimuth the camera turns, at an even pace, from the first frame to the last (e.g. "
        '360): a shorthand for `keys = [{ at = 1, azim = azim + rotate, ease = "linear" }]`.',
    )
    keys: list[CameraKey] = Field(
        default_factory=list,
        description="Camera moves over the animation: keys in increasing `at`, each setting any of "
        "elev/azim/roll/zoom, reached with its `ease`, e.g. "
        '`[{ at = 0.5, azim = -20, ease = "cubic-in-out" }, { at = 1, elev = 20, zoom = 1.2 }]`. Before the '
        "first key the camera moves from the view above; after the last it holds. See docs/animation.md.",
    )

    @model_validator(mode="after")
    def _one_way_to_move(self) -> CameraSpec:
        if self.rotate != 0 and self.keys:
            raise ValueError(
                f"rotate = {self.rotate:g} and keys both move the camera: rotate is a shorthand for "
                f'keys = [{{ at = 1, azim = {self.azim + self.rotate:g}, ease = "linear" }}]; give one or the other'
            )
        times = [key.at for key in self.keys]
        for before, after in pairwise(times):
            if after <= before:
                what = "two keys" if after == before else "keys out of order"
                raise ValueError(f"{what}: at = {before:g} then at = {after:g}; list keys in strictly increasing `at`")
        return self

    @property
    def moves(self) -> bool:
        """Whether the view changes over the animation (then its panel is redrawn in full every frame)."""
        return self.rotate != 0 or bool(self.keys)


class PanelSpec(SpecModel):
    """One axes of the figure and the layers drawn on it; it is 3D when a layer needs it (surface, 3D path)."""

    name: PanelName | None = Field(
        None,
        description=(
            "Identifier of the panel in `scene.layout` (letters, digits, _ or -; unique among panels). "
            "Needed only when the scene has a layout."
        ),
    )
    title: Label | None = Field(None, description="Panel title.")
    xlabel: Label | None = Field(None, description="x axis label.")
    ylabel: Label | None = Field(None, description="y axis label.")
    zlabel: Label | None = Field(None, description="z axis label (3D panels).")
    twin_ylabel: Label | None = Field(None, description="Label of the twin (right) y axis.")
    xlim: Pair[float] | None = Field(None, description="Fixed x limits; default: all frames' data.")
    ylim: Pair[float] | None = Field(None, description="Fixed y limits; default: all frames' data.")
    zlim: Pair[float] | None = Field(None, description="Fixed z limits (3D panels).")
    twin_ylim: Pair[float] | None = Field(None, description="Fixed limits of the twin y axis.")
    xticks: list[float] | None = Field(None, description="Explicit x tick positions.")
    yticks: list[float] | None = Field(None, description="Explicit y tick positions.")
    zticks: list[float] | None = Field(None, description="Explicit z tick positions (3D panels).")
    xscale: Literal["linear", "log"] = Field("linear", description="x axis scale.")
    yscale: Literal["linear", "log"] = Field("linear", description="y axis scale.")
    twin_yscale: Literal["linear", "log"] = Field("linear", description="Twin y axis scale.")
    grid: bool = Field(False, description="Draw grid lines.")
    aspect: Literal["auto", "equal"] = Field(
        "auto", description="`equal`: one unit is as long on x as on y (circles stay round; 2D panels)."
    )
    limits: Literal["final", "grow", "fixed"] = Field(
        "final",
        description=(
            "How axis limits are chosen: `final` covers every frame's data from the start (axes never move); "
            "`grow` starts from the first frame's data and widens by a margin when data leaves the view "
            "(what a live render of a growing trace does for `final` panels too); `fixed` uses only "
            "`xlim`/`ylim` (and `zlim`, `twin_ylim` where they apply), which it then requires."
        ),
    )
    camera: CameraSpec = Field(default_factory=CameraSpec, description="View of a 3D panel.")
    share: str | None = Field(
        None,
        min_length=1,
        description="A group name: panels with the same `share` have the same axis limits (the union of their "
        'data with `limits = "final"`; grown together with `grow`). A sweep puts each panel\'s copies in one group.',
    )
    legend: str | bool = Field(
        True, description="Legend location (e.g. `upper center`), true for `best`, false for none."
    )
    layers: list[LayerUnion] = Field(default_factory=list, description="What is drawn, bottom to top.")

    @property
    def projection(self) -> str:
        """`3d` when a layer can only be drawn in 3D (a surface, a path with z), else `2d`."""
        return "3d" if any("2d" not in layer.projections() for layer in self.layers) else "2d"

    @field_validator("xlim", "ylim", "zlim", "twin_ylim")
    @classmethod
    def _limits_span_a_range(cls, value: tuple[float, float] | None) -> tuple[float, float] | None:
        if value is not None and value[0] == value[1]:
            low = value[0]
            raise ValueError(f"both limits are {low:g}: an axis needs a range, e.g. [{low:g}, {low + 1:g}]")
        return value

    @model_validator(mode="after")
    def _fixed_limits_are_given(self) -> PanelSpec:
        if self.limits != "fixed":
            return self
        needed = ["xlim", "ylim"] + (["zlim"] if self.projection == "3d" else [])
        needed += ["twin_ylim"] if any(layer.twin for layer in self.layers) else []
        missing = [key for key in needed if getattr(self, key) is None]
        if missing:
            raise ValueError(f"limits = 'fixed' needs {', '.join(missing)} (fixed limits come from the spec)")
        return self

    @field_validator("legend")
    @classmethod
    def _known_location(cls, value: str | bool) -> str | bool:
        if isinstance(value, str) and not is_legend_location(value):
            raise ValueError(f"unknown legend location {value!r}{did_you_mean(value, LEGEND_LOCATIONS)}")
        return value


class OutputSpec(SpecModel):
    """Where `scenespec render` writes when the command line does not say."""

    path: str | None = Field(
        None, description="Output path, relative to the spec file. Default: `<spec name>.gif` in the current directory."
    )
    format: OutputFormat | None = Field(
        None,
        description="Default: the format of the path's extension (`.gif`, `.mp4`, …: see the outputs table of "
        "docs/reference.md); a path without an extension is a png-sequence folder.",
    )
    dither: bool = Field(
        False,
        description="GIF only: Floyd–Steinberg dithering when the animation has more than 255 colours "
        "(smooth 3D surfaces); flat plots look cleaner and stay smaller without it.",
    )


class Scene(SpecModel):
    """A whole spec file."""

    scene: SceneMeta = Field(
        default_factory=SceneMeta, description="The figure: title, size, dpi, style, panel layout."
    )
    sources: dict[str, SourceUnion] = Field(description="Named data sources; layers bind to `name.field`.")
    transforms: dict[str, TransformUnion] = Field(
        default_factory=dict,
        description="Named derived series (smoothed, running, cumulative, projected) computed once from a source's "
        f"field or another transform; layers bind to `{TRANSFORMS_SOURCE}.NAME`; see docs/transforms.md.",
    )
    frames: FramesSpec = Field(default_factory=FramesSpec, description="Which steps become frames, and timing.")
    panels: list[PanelSpec] = Field(
        min_length=1, description="The panels (axes) of the figure, top to bottom unless `scene.layout` places them."
    )
    output: OutputSpec = Field(default_factory=OutputSpec, description="Default output path and format.")
    sweep: dict[str, Annotated[list[Any], Field(min_length=1)]] | None = Field(
        None,
        description="Key paths (the `--set` syntax) to lists of values, e.g. "
        '`"sources.fit.optimizer.lr" = [1e-4, 3e-4, 1e-3]`; several keys give their product (the first varies '
        "slowest). Rendered as small multiples, a panel group per point, or one output per point with `--split`; "
        "see docs/sweeps.md.",
    )
    limits: Limits = Field(
        default_factory=Limits,
        description="Budgets checked before any heavy work (pixels, frames, points, trace memory, …); raise one "
        "if you mean it, e.g. `max_pixels_per_frame = 1e8`; see docs/errors.md.",
    )

    @field_validator("sources")
    @classmethod
    def _source_names(cls, value: dict[str, Any]) -> dict[str, Any]:
        if not value:
            raise ValueError("at least one source is needed")
        for name in value:
            if not SOURCE_NAME_RE.fullmatch(name):
                raise ValueError(
                    f"source name {name!r} must be letters, digits, _ or - and start with a letter or _ "
                    "(so that bindings `name.field` can refer to it)"
                )
        return value


def _union(models: list[Any]) -> Any:
    """Discriminated union on `kind` (a single model needs no discriminator); a member may be a union itself
    (its models share a `kind`), which pydantic nests."""
    if len(models) == 1:
        return models[0]
    return Annotated[Union[tuple(models)], Field(discriminator="kind")]  # noqa: UP007


@cache
def scene_model() -> type[Scene]:
    """Scene with its layer, source and transform unions and its output formats filled in from the registries."""
    layer_models = [kind.model for kind in LAYERS.load().values()]
    source_models = [kind.spec_annotation() for kind in SOURCES.load().values()]
    transform_models = list(TRANSFORMS.load().values())
    namespace = {
        "LayerUnion": _union(layer_models),
        "SourceUnion": _union(source_models),
        "TransformUnion": _union(transform_models),
        "OutputFormat": Literal[output_formats()],  # validated, and listed as an enum in the JSON Schema
    }
    PanelSpec.model_rebuild(_types_namespace=namespace)
    OutputSpec.model_rebuild(_types_namespace=namespace)
    Scene.model_rebuild(_types_namespace=namespace)
    return Scene
