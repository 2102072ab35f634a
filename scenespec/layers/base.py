"""What every layer kind provides: a spec model with its channel table; its painter is in `scenespec/paint/`.

The model's `channels` (`scenespec/layers/channels.py`) declare what the kind draws from: the bindable
fields with the timing and shape their data must have, and the style settings with their defaults.
Nothing here imports matplotlib: a spec is checked against the models alone (`scenespec validate` starts in a
fraction of the time), and the registry imports a kind's painter only when a render draws the kind.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import ConfigDict, Field, field_validator

from scenespec.layers.channels import (
    ByField,
    Channel,
    Cycle,
    Theme,
    check_table,
)
from scenespec.registry import Registry, kind_of
from scenespec.validate.base import Binding, SpecModel
from scenespec.validate.colors import check_color, is_colormap, unknown_colormap
from scenespec.validate.drawable import Label
from scenespec.validate.limits import FieldSize, Usage


def _schema_defaults(schema: dict[str, Any], model: type[LayerSpec]) -> None:
    """In the JSON Schema, a style setting shows its kind's default; a theme's depends on the scene: none."""
    properties = schema.get("properties", {})
    for channel in model.channels:
        if not channel.bindable and channel.name in properties:
            properties[channel.name].pop("default", None)
            if not isinstance(channel.default, Theme | Cycle | ByField) and channel.default is not None:
                properties[channel.name]["default"] = channel.default


class LayerSpec(SpecModel):
    """Fields every layer has."""

    model_config = ConfigDict(json_schema_extra=_schema_defaults)

    axes: ClassVar[tuple[str, ...]] = ("2d",)
    """Panel projections this kind can draw on; see `projections()` for per-spec answers."""

    kind: str
    zorder: float | None = Field(
        None, description="Drawing order within the panel: higher is on top (matplotlib's default if unset)."
    )
    twin: bool = Field(False, description="Draw on the panel's twin y axis (right side) instead of the main one.")

    example: ClassVar[str] = ""
    """A TOML snippet for the reference docs."""
    channels: ClassVar[tuple[Channel, ...]] = ()
    """The kind's channel table: its bindable fields (timing, shape) and style settings (defaults)."""
    binding_fields: ClassVar[tuple[str, ...]] = ()
    """Names of this model's fields that hold `source.field` bindings (derived from `channels`)."""
    stepped_bindings: ClassVar[tuple[str, ...]] = ()
    """Binding fields that must name a field recorded per step (derived from `channels`)."""

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        cls.binding_fields = tuple(c.name for c in cls.channels if c.bindable)
        cls.stepped_bindings = tuple(c.name for c in cls.channels if c.bindable and c.timing == "stepped")

    @classmethod
    def channel(cls, name: str) -> Channel | None:
        """The channel `name` of this kind's table, or None."""
        return next((c for c in cls.channels if c.name == name), None)

    def bindings(self) -> dict[str, str]:
        """Spec field name -> binding, for every binding this layer uses."""
        return {name: getattr(self, name) for name in self.binding_fields if getattr(self, name) is not None}

    def projections(self) -> tuple[str, ...]:
        """Panel projections this layer can be drawn on: `2d`, `3d` or both."""
        return self.axes

    def drawn_points(self, sizes: Mapping[str, FieldSize]) -> int:
        """Points (segments, grid cells) drawn in one frame, from the size of each bound field (by binding key).

        The budgets hold the sum over all layers against `limits.max_points_per_frame`. By default one step's
        value of the largest field; kinds that draw a history (a path, a metric curve) count every step.
        """
        return max((size.per_step for size in sizes.values()), default=0)

    def fixed_texts(self) -> dict[str, str]:
        """Key -> the literal part of a template this layer fills in per frame (a counter's `format`), so that the
        fonts chosen before drawing cover its characters too."""
        return {}

    def usages(self) -> tuple[Usage, ...]:
        """Other budgets this layer's own settings draw on (a spline's `samples`), keys relative to the layer."""
        return ()


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
    if value is not None and not is_colormap(value):
        raise ValueError(unknown_colormap(value))
    return value


class ColormapLayer(ColorChecked):
    """Fields of layers coloured through a colormap (contour, surface, quiver), with an optional colorbar."""

    cmap: str | None = Field(None, description="Matplotlib colormap, e.g. `viridis`, `bwr` (article 004).")
    colorbar: bool | Label = Field(
        False, description="Draw a colorbar beside the panel for this layer; a string is the colorbar's label."
    )

    @field_validator("cmap")
    @classmethod
    def _valid_cmap(cls, value: str | None) -> str | None:
        return check_cmap(value)


class XYLayer(ColorChecked):
    """Fields of layers drawn through (x, y) points: scatter, line, band."""

    x: Binding = Field(description="x values, e.g. `fit.x`.")
    y: Binding = Field(description="y values, e.g. `fit.y` or `fit.pred`.")
    color: str | None = Field(None, description="Colour (a matplotlib colour).")
    alpha: float | None = Field(None, ge=0, le=1, description="Opacity, 0 to 1.")
    label: Label | None = Field(None, description="Legend entry.")


PainterClass = type
"""A painter class (`scenespec.paint.base.Painter`'s subclass). Models never import painters, so it is typed as
a class here; the compiler, which imports painters, knows it as `type[Painter]`."""


class LayerKind:
    """A kind's model, known eagerly (the spec language, the schema), and its painter, imported on first use."""

    def __init__(self, model: type[LayerSpec], painter: PainterClass | str) -> None:
        if isinstance(painter, str) and painter.count(":") != 1:
            raise ValueError(f"a painter is a class or 'module:Class', not {painter!r}")
        self.model = model
        self._painter = painter

    @property
    def painter(self) -> PainterClass:
        """The painter class, imported from its module the first time a render asks for it."""
        if isinstance(self._painter, str):
            module, name = self._painter.split(":")
            painter: PainterClass = getattr(importlib.import_module(module), name)
            self._painter = painter
            return painter
        return self._painter


LAYERS: Registry[LayerKind] = Registry("layer", "scenespec.layers")


def register_layer(model: type[LayerSpec], painter: PainterClass | str) -> None:
    """Make a layer kind part of the spec language (its channel table must agree with its fields).

    `painter` is the painter class or, so that checking a spec need not import matplotlib, its place as
    `"package.module:ClassName"` (scenespec's own kinds name `scenespec.paint.<kind>`)."""
    check_table(model)
    LAYERS.register(kind_of(model), LayerKind(model, painter))
