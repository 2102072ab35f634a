"""Layer `embedding`: a projected embedding's points coloured by class, as TensorBoard's projector shows them.

Points come from a projection (`transforms.NAME`, (n, 2) or (n, 3) per checkpoint) and move between checkpoints
through the frame's position, so a tweened frame shows them part way. Each label takes a palette colour and a
legend entry. A highlight (article 003's search for "3") draws the chosen points in full colour above the others,
which are dimmed; label mode writes each point's class at its place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import matplotlib.colors as mcolors
import numpy as np
from matplotlib.artist import Artist
from matplotlib.collections import PathCollection
from mpl_toolkits.mplot3d import Axes3D
from mpl_toolkits.mplot3d.art3d import Path3DCollection
from pydantic import Field, NonNegativeInt, PositiveFloat, PositiveInt, ValidationInfo, field_validator, model_validator

from scenespec.errors import Problem, SpecError
from scenespec.frame import Frame
from scenespec.layers._classes import DEFAULT_PALETTE, Classes, check_palette, label_problems, stratified
from scenespec.layers._stamps import Stamps, text_stamps
from scenespec.layers.base import BuildContext, Extent, LayerSpec, Painter, check_color, register_layer
from scenespec.layers.channels import Channel, constant
from scenespec.resolve.trace import TraceField
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


LAYERED = 1e-7
"""zorder steps between the parts of a highlighted layer: less than the compiler's step between layers."""


class EmbeddingPainter(Painter[EmbeddingLayer]):
    def __init__(self, spec: EmbeddingLayer, fields: Mapping[str, TraceField]) -> None:
        super().__init__(spec, fields)
        points = self.fields["points"]
        self.n, dims = (points.data.shape[1:] if points.stepped else points.data.shape)[:2]
        problems = []
        if dims != spec.dims:
            per_step = " per step" if points.stepped else ""
            hint = "set dims = 3 to draw 3-D points on a 3D panel" if dims == 3 else "a projection gives 2 or 3"
            problems.append(Problem(
                f"embedding layer: points = {spec.points!r} has shape {(self.n, dims)}{per_step}; expected "
                f"({self.n}, {spec.dims}): {spec.dims} coordinates per point (dims = {spec.dims}; {hint})",
                ("points",),
            ))  # fmt: skip
        if spec.labels is not None:
            problems += label_problems("embedding", self.fields["labels"], spec.labels, spec.points, self.n, spec.names)
        if problems:
            raise SpecError(problems)
        labels = self.fields.get("labels")
        self.classes = Classes.of(labels.data if labels is not None else np.zeros(1), self.style("palette"), spec.names)
        self.check_highlight()

    def check_highlight(self) -> None:
        """Highlighted labels must be among the points' labels, and indices among the points."""
        highlight = self.spec.highlight
        if highlight is None:
            return
        problems = []
        missing = sorted(set(highlight.labels or ()) - set(self.classes.values.tolist()))
        if missing:
            present = ", ".join(str(v) for v in self.classes.values.tolist())
            problems.append(Problem(
                f"embedding layer: no point has label {', '.join(map(str, missing))} (labels present: {present})",
                ("highlight", "labels"),
            ))  # fmt: skip
        beyond = sorted(i for i in highlight.indices or () if i >= self.n)
        if beyond:
            problems.append(Problem(
                f"embedding layer: index {', '.join(map(str, beyond))} is past the last point ({self.n} points: "
                f"indices 0..{self.n - 1})",
                ("highlight", "indices"),
            ))  # fmt: skip
        if problems:
            raise SpecError(problems)

    # --- what a frame shows -----------------------------------------------------------------------------------

    def labels_at(self, frame: Frame) -> np.ndarray:
        """Each point's label at the frame's step (labels are never interpolated); 0 without labels."""
        if "labels" not in self.fields:
            return np.zeros(self.n, dtype=np.int64)
        return self.classes.index(self.value("labels", frame.step))

    def focus(self, labels: np.ndarray) -> np.ndarray | None:
        """Which points the highlight picks (None: no highlight)."""
        highlight = self.spec.highlight
        if highlight is None:
            return None
        mask = np.isin(labels, highlight.labels or [])
        mask[list(highlight.indices or [])] = True
        return mask

    def extent(self, frame_steps: np.ndarray) -> Extent:
        """Every point at every shown step: tweened positions lie between two of them, so inside too."""
        points = np.asarray(self.fields["points"].over(frame_steps), dtype=float)
        return Extent(points[..., 0], points[..., 1], points[..., 2] if self.spec.dims == 3 else None)

    # --- artists ------------------------------------------------------------------------------------------------

    def build(self, ctx: BuildContext, frame: Frame) -> None:
        self.ax = ctx.ax
        labels = self.labels_at(frame)
        focus = self.focus(labels)
        self.zorder = self.style("zorder") if self.style("zorder") is not None else PathCollection.zorder
        empty = np.zeros((0, self.spec.dims))
        self.dots = self._scatter(empty)
        self.top = self._scatter(empty) if focus is not None else None
        self.text_index = np.arange(0)
        self.texts: list[Stamps] = []
        if self.spec.text is not False:
            count = None if self.spec.text is True else self.spec.text
            self.text_index = stratified(labels, self.n, count)
            self.texts = [Stamps(self.text_stamps, zorder=self.zorder) for _ in range(1 if focus is None else 2)]
            for text in self.texts:
                ctx.ax.add_artist(text)
        self.marked = np.ones(self.n, dtype=bool)  # a point written as its label has no marker
        self.marked[self.text_index] = False
        # drawn in this order: (dimmed) markers, dimmed texts, highlighted markers, their texts
        artists = [self.dots, *self.texts[1:], *([self.top] if self.top is not None else []), *self.texts[:1]]
        for place, artist in enumerate(artists):
            artist.set_zorder(self.zorder + place * LAYERED)
        self.artists = artists
        self.show(frame)

    def text_stamps(self, dpi: float) -> np.ndarray:
        """A stamp of each label's name in its colour, then (with a highlight) each as a dimmed point shows it."""
        colors = self.classes.colors
        count = len(colors)
        alpha, dim_alpha, dim_color = self.style("alpha"), self.style("dim_alpha"), self.style("dim_color")
        texts = [(self.classes.names[v], tuple(colors[v]), 1.0 if alpha is None else alpha) for v in range(count)]
        if self.top is not None:
            faded = [tuple(mcolors.to_rgba(dim_color)) if dim_color is not None else tuple(c) for c in colors]
            texts += [(self.classes.names[v], faded[v], dim_alpha) for v in range(count)]
        return text_stamps(texts, self.style("text_size"), dpi)

    def _scatter(self, xyz: np.ndarray) -> PathCollection:
        kwargs: dict[str, Any] = {"s": self.style("size"), "marker": "o", "linewidths": 0, "zorder": self.zorder}
        if isinstance(self.ax, Axes3D):
            kwargs["depthshade"] = False  # the class colours as they are, whatever the depth
        return self.ax.scatter(*xyz.T, **kwargs)

    def update(self, frame: Frame) -> None:
        self.show(frame)

    def show(self, frame: Frame) -> None:
        """Move the points and texts to the frame's (interpolated) positions, coloured by the step's labels."""
        positions = np.asarray(self.value_at("points", frame), dtype=float)
        labels = self.labels_at(frame)
        colors = self.classes.colors[labels]
        focus = self.focus(labels)
        alpha, dim_alpha, dim_color = self.style("alpha"), self.style("dim_alpha"), self.style("dim_color")
        marked = self.marked
        if focus is None:
            _place(self.dots, positions[marked], colors[marked], alpha)
        else:
            assert self.top is not None
            rest = np.broadcast_to(mcolors.to_rgba(dim_color), colors.shape) if dim_color is not None else colors
            _place(self.dots, positions[marked & ~focus], rest[marked & ~focus], dim_alpha)
            _place(self.top, positions[marked & focus], colors[marked & focus], alpha)
        if self.texts:
            written = self.text_index
            chosen = np.ones(len(written), dtype=bool) if focus is None else focus[written]
            self.texts[0].set_points(positions[written[chosen]], labels[written[chosen]])
            if focus is not None:  # the dimmed stamps follow the bright ones in the bank
                faded = written[~chosen]
                self.texts[1].set_points(positions[faded], len(self.classes.colors) + labels[faded])

    def legend_handles(self) -> list[Artist]:
        if not self.spec.legend or self.spec.labels is None:
            return []
        highlight = self.spec.highlight
        dimmed = [] if highlight is None or not highlight.labels else [
            v for v in self.classes.values.tolist() if v not in highlight.labels]  # fmt: skip
        size = max(float(np.sqrt(self.style("size"))), 6.0)
        return list(self.classes.legend_handles("o", size, dimmed, self.style("dim_alpha"), self.style("alpha")))


def _place(dots: PathCollection, positions: np.ndarray, colors: np.ndarray, alpha: float | None) -> None:
    """Put a scatter's markers at `positions` ((k, 2), or (k, 3) in 3D) with one colour each."""
    dots.set_offsets(positions[:, :2])
    dots.set_facecolor(colors.tolist())  # RGBA rows (the stubs take sequences, not arrays)
    dots.set_alpha(alpha)
    if isinstance(dots, Path3DCollection):
        dots.set_3d_properties(positions[:, 2], "z")


register_layer(EmbeddingLayer, EmbeddingPainter)
