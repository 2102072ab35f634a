"""Layer `embedding`: a projected embedding's points coloured by class, as TensorBoard's projector shows them.

Points come from a projection (`transforms.NAME`, (n, 2) or (n, 3) per checkpoint) and move between checkpoints
through the frame's position, so a tweened frame shows them part way. Each label takes a palette colour and a
legend entry. A highlight (article 003's search for "3") draws the chosen points in full colour above the others,
which are dimmed; label mode writes each point's class at its place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field, NonNegativeInt, PositiveFloat, PositiveInt, ValidationInfo, field_validator, model_validator

from scenespec.layers._palette import DEFAULT_PALETTE, check_palette
from scenespec.layers.base import LayerSpec, check_color, register_layer
from scenespec.layers.channels import Channel, constant
from scenespec.validate.base import Binding, SpecModel
from scenespec.validate.drawable import Label
from scenespec.validate.limits import FieldSize


class Highlight(SpecModel):
    """Which points stand out: every point of the given labels, and the given point indices."""

    labels: list[int] | None = Field(None, description="Label values whose points are highlighted, e.g. `[3]`.")
    indices: list[NonNegativeInt] | None = Field(None, description="Point indices (0-based) highlighted.")

    @model_validator(mode="after")
    def _something(self) -> Highlight:
        if not self.labels and not self.indices:
            raise ValueError("give `labels` (e.g. [3]) or `indices` (e.g. [0, 5]) to highlight")
        return self


class EmbeddingLayer(LayerSpec):
    """Points coloured by their label, with a legend entry per class; optionally highlighted or labelled."""

    kind: Literal["embedding"]
    points: Binding = Field(
        description="Point positions per step, (n, 2), or (n, 3) with `dims = 3`: a projection's output, "
        "e.g. `transforms.pca`."
    )
    labels: Binding | None = Field(
        None, description="Class of each point, (n,) whole numbers 0, 1, …, static or per step, e.g. `net.labels`."
    )
    dims: Literal[2, 3] = Field(2, description="Coordinates per point: 3 draws the points on a 3D panel.")
    palette: str | list[str] | None = Field(
        None,
        description="Colours of the labels: a matplotlib colormap (label v takes a qualitative map's colour v, "
        "e.g. `tab10`, `tab20`, `Set1`; a continuous map is sampled evenly) or a list of colours, one per label.",
    )
    names: list[Label] | None = Field(
        None, description='Legend and text name of each label 0, 1, …, e.g. `["zero", "one"]`; default: the value.'
    )
    legend: bool = Field(True, description="A legend entry per class present (with `labels` bound).")
    size: PositiveFloat | None = Field(None, description="Marker area in points².")
    alpha: float | None = Field(None, ge=0, le=1, description="Opacity of the (highlighted) points, 0 to 1.")
    highlight: Highlight | None = Field(
        None,
        description="Points drawn in full colour above the rest, which are dimmed: `{ labels = [3] }` (article "
        '003\'s search for "3") or `{ indices = [0, 17] }`.',
    )
    dim_alpha: float | None = Field(None, ge=0, le=1, description="Opacity of the points a highlight leaves out.")
    dim_color: str | None = Field(
        None, description="Colour of the points a highlight leaves out; default: their class colour."
    )
    text: bool | PositiveInt = Field(
        False,
        description="Write points as their label (its name), centred at the point in its class colour, instead of "
        "a marker (TensorBoard's label mode): `true` for every point, a number for at most that many, the same "
        "ones in every frame, every class represented.",
    )
    text_size: PositiveFloat | None = Field(None, le=1000, description="Font size of the label texts in points.")

    channels = (
        Channel("points", "grid", required=True),
        Channel("labels", "vector"),
        constant("palette", DEFAULT_PALETTE),
        constant("size", 16.0),
        constant("dim_alpha", 0.12),
        constant("dim_color", None),
        constant("text_size", 7.0),
    )
    example = 'layers = [{ kind = "embedding", points = "transforms.pca", labels = "net.labels", highlight = { labels = [3] } }]'  # noqa: E501
    axes = ("2d", "3d")

    def projections(self) -> tuple[str, ...]:
        return ("3d",) if self.dims == 3 else ("2d",)

    def drawn_points(self, sizes: Mapping[str, FieldSize]) -> int:
        """Every point, and a text per labelled point."""
        size = sizes.get("points")
        n = size.per_step // self.dims if size is not None else 0
        texts = 0 if self.text is False else n if self.text is True else min(n, self.text)
        return n + texts

    @field_validator("palette")
    @classmethod
    def _valid_palette(cls, value: str | list[str] | None) -> str | list[str] | None:
        return check_palette(value)

    @field_validator("dim_color")
    @classmethod
    def _valid_dim_color(cls, value: str | None) -> str | None:
        return check_color(value)

    @field_validator("names", "highlight", "text")
    @classmethod
    def _needs_labels(cls, value: Any, info: ValidationInfo) -> Any:
        uses = value is not None and value is not False
        if isinstance(value, Highlight):
            uses = bool(value.labels)
        if uses and info.data.get("labels") is None:
            what = {"names": "names", "highlight": "highlight.labels", "text": "text"}[info.field_name or ""]
            raise ValueError(f'{what} needs the points\' labels: bind `labels`, e.g. labels = "net.labels"')
        return value


register_layer(EmbeddingLayer, "scenespec.paint.embedding:EmbeddingPainter")
