"""Painter of layer `text` (its model: `scenespec/layers/text.py`): the matplotlib side, imported by a render."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

import numpy as np
from matplotlib.artist import Artist
from matplotlib.text import Text
from mpl_toolkits.mplot3d import Axes3D

from scenespec.frame import Frame
from scenespec.layers.base import LayerSpec
from scenespec.layers.text import BUILTIN_NAMES, TextLayer, template_fields
from scenespec.paint._glyphs import cached_glyphs
from scenespec.paint._tween import number_at
from scenespec.paint.base import BuildContext, Painter, check_format_specs
from scenespec.resolve.trace import TraceField

FAR_OFF = 1e5
"""Pixels beyond the figure's edges past which a text is neither drawn nor laid out."""


class PlacedText(Text):
    """A text that is skipped when its position is far outside the figure (`at = [1e30, -2]`, or data far from
    the view): nothing there could be seen, and FreeType cannot place glyphs millions of pixels away.

    Drawn from cached glyph bitmaps (`_glyphs.py`): it is redrawn on every frame with new digits."""

    def on_canvas(self) -> bool:
        figure = self.get_figure(root=True)
        if figure is None:
            return True  # not on a figure yet: nothing decides where it is
        x, y = self.get_transform().transform(self.get_unitless_position())
        box = figure.bbox
        return bool(-FAR_OFF <= x <= box.width + FAR_OFF and -FAR_OFF <= y <= box.height + FAR_OFF)

    def draw(self, renderer: Any) -> None:
        if self.on_canvas():
            with cached_glyphs(renderer):
                super().draw(renderer)

    def get_tightbbox(self, renderer: Any = None) -> Any:
        return super().get_tightbbox(renderer) if self.on_canvas() else None


S = TypeVar("S", bound=LayerSpec)


class FilledTextPainter(Painter[S]):
    """A painter of one text whose template is filled in anew for each frame (`text`, `counter`): it adds no axis
    limits and no legend entry, and an update only sets the text."""

    text: PlacedText

    def render_text(self, frame: Frame) -> str:
        """The text shown at `frame`."""
        raise NotImplementedError

    def extent(self, frame_steps: np.ndarray) -> None:
        return None

    def add_text(self, ctx: BuildContext, frame: Frame, x: float, y: float, **kwargs: Any) -> PlacedText:
        """The text at (x, y), showing `frame`, added to the panel as this layer's one artist; like `Axes.text`
        makes it, it may stand outside its panel (not clipped)."""
        self.text = PlacedText(x, y, self.render_text(frame), **kwargs)
        self.text.set_clip_on(False)
        ctx.ax.add_artist(self.text)
        self.artists = [self.text]
        return self.text

    def update(self, frame: Frame) -> None:
        self.text.set_text(self.render_text(frame))

    def legend_handles(self) -> list[Artist]:
        return []


class TextPainter(FilledTextPainter[TextLayer]):
    def __init__(self, spec: TextLayer, fields: Mapping[str, TraceField]) -> None:
        super().__init__(spec, fields)
        self.parts = template_fields(spec.text)
        self.check_formats()

    def check_formats(self) -> None:
        """Each format spec must format its field's values: `{net.epoch:d}` fits integers, not a float field."""
        check_format_specs(self.parts, self.fields.get, "text layer", "text")

    @property
    def dynamic(self) -> bool:
        return any(name in BUILTIN_NAMES for _, name, _ in self.parts) or super().dynamic

    def render_text(self, frame: Frame) -> str:
        """The template filled in for `frame`: `{step}` and `{frame}` come from the frame context; a bound number
        blends between the shown steps on an in-between frame of `frames.tween` unless it counts (whole numbers)."""
        step = frame.step
        out = []
        for literal, name, spec in self.parts:
            out.append(literal)
            if name == "step":
                out.append(format(step, spec))
            elif name == "frame":
                out.append(format(frame.index, spec))
            elif name:  # on an in-between frame, a measurement blends and a count stays (`_tween.number_at`)
                value = np.asarray(number_at(self.fields[name], frame))
                if value.size == 1:
                    out.append(format(value.item(), spec))
                else:  # one value per column (e.g. per optimizer): each formatted, as a list
                    out.append("[" + ", ".join(format(v, spec) for v in value.ravel().tolist()) + "]")
        return "".join(out)

    def build(self, ctx: BuildContext, frame: Frame) -> None:
        s = self.spec
        kwargs = self.artist_kwargs(color="color", fontsize="size")
        # a 3D panel has no 2D data coordinates: the text is placed on the panel
        on_panel = s.coords == "axes" or isinstance(ctx.ax, Axes3D)
        transform = ctx.ax.transAxes if on_panel else ctx.ax.transData
        self.add_text(ctx, frame, *s.at, transform=transform, ha=s.ha, va=s.va, **kwargs)
