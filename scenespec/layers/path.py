"""Layer `path`: trajectories that grow step by step, e.g. optimizers descending a loss surface.

Each column of the bound fields is one trajectory (one optimizer of an `optimizer`
source), with its own colour and legend entry. With `z` bound the path is drawn in
3D, lifted onto the surface, and honest about depth: the stretches a surface of its panel
hides from the current camera are found by a depth test (`_depth.py`) and drawn dashed
(`hidden`), so the path neither disappears behind the surface (article 004's figure 6-9)
nor reads as painted on the near wall. `shadow` draws its shadow on the floor of the box.
`fade` lets older steps fade out (`_trail.py`), in 2D and 3D.

Marks tell the reader where things are: a hollow circle at each start (`start`), a star at the `goal`,
and the heads, which are lifted above every line of the panel (`Painter.marks`), so that one optimizer's
head is never hidden under another's line. `head_label` writes each path's name and current value next to
its head, as a legend that stays where the eye is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import (
    Field,
    NonNegativeFloat,
    PositiveFloat,
    PositiveInt,
    ValidationInfo,
    field_validator,
    model_validator,
)

from scenespec.layers._numbers import parse_template
from scenespec.layers._trail import HiddenStyle
from scenespec.layers.base import ColorChecked, register_layer
from scenespec.layers.channels import CYCLE, Channel, constant, theme
from scenespec.validate.base import Binding
from scenespec.validate.drawable import Label, check_marker
from scenespec.validate.limits import FieldSize

HEAD_LABEL_NAMES = ("name", "value", "step")
"""The fields a `head_label` template may use."""

THREE_D_ONLY = {"shadow": "a shadow falls on the floor of a 3D panel"}
"""Why a depth setting needs `z`, by setting (the others: what a surface hides)."""

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
    nested: bool = Field(
        True,
        description="Several paths: each is drawn wider than the ones drawn after it (line and head), so that where "
        "paths run together or end on one point, the earlier ones show as a rim around the later ones instead of "
        "vanishing under them.",
    )
    goal: list[float] | None = Field(
        None, min_length=2, max_length=3,
        description="A star at the target the paths head for: [x, y], or [x, y, z] on a 3D panel, e.g. `[1, 1]`.",
    )  # fmt: skip
    goal_label: Label | None = Field(None, description="Text beside the goal star, e.g. `minimum (1, 1)`.")
    head_label: str | None = Field(
        None,
        description="A label beside each path's head, e.g. `{name} {value:.3g}`: `{name}` (from `names` or "
        "`label`), `{value}` (the path's `head_value` at this frame) and `{step}`; a number without a format "
        "spec has 4 significant digits. A label stands ahead of its head, else on the nearest side clear of other "
        "heads, labels and lines; labels of heads close together are stacked apart. An alternative to a legend.",
    )
    head_value: Binding | None = Field(
        None, description="The value `{value}` writes in `head_label`, one per path per step, e.g. `race.loss`."
    )
    hidden: HiddenStyle = Field(
        "dashed",
        description="3D path: how the stretches a `surface` layer of the panel hides from the camera are drawn "
        "(found by a depth test against the surface grid, anew whenever the camera turns): `dashed` (at "
        "`hidden_alpha`), `faded` (solid at `hidden_alpha`), `none` (not drawn), or `solid` (as if seen: the "
        "path painted over the surface).",
    )
    hidden_alpha: float = Field(
        0.45, ge=0, le=1, description="Opacity factor of hidden stretches, their markers and a hidden head."
    )
    fade: PositiveInt | None = Field(
        None,
        description="Older steps fade out: the newest segment is opaque, one `fade` steps old or older is drawn at "
        "`fade_min`, linearly in between (markers too). Works with `tail`.",
    )
    fade_min: float = Field(0.15, ge=0, le=1, description="Opacity factor of the oldest steps of a fading trail.")
    shadow: bool = Field(
        False, description="3D path: its shadow on the floor of the box (the lower z limit), in a neutral grey."
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

    @field_validator("shadow", "hidden", "hidden_alpha")
    @classmethod
    def _three_d_only(cls, value: object, info: ValidationInfo) -> object:
        """Depth settings given to a 2D path are a mistake worth naming (a field set in the spec is checked)."""
        if info.data.get("z") is None and "x" in info.data:
            what = THREE_D_ONLY.get(info.field_name or "", "only a 3D path has stretches a surface hides")
            raise ValueError(f"{what}: bind `z` too, or leave `{info.field_name}` out")
        return value

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


register_layer(PathLayer, "scenespec.paint.path:PathPainter")
