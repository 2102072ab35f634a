"""Painter of layer `counter` (its model: `scenespec/layers/counter.py`): the matplotlib side, imported by a render."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from scenespec.frame import Frame
from scenespec.layers._numbers import fill, parse_template
from scenespec.layers.counter import NAMES, PLACES, SAMPLES, CounterLayer
from scenespec.paint._tween import number_at
from scenespec.paint.base import BuildContext, check_format_specs
from scenespec.paint.text import FilledTextPainter
from scenespec.resolve.trace import TraceField
from scenespec.validate.base import split_binding

COUNTER_ZORDER = 4.0
"""Above lines (2), markers and texts (3), below a legend (5): the counter is read over the data."""


class CounterPainter(FilledTextPainter[CounterLayer]):
    def __init__(self, spec: CounterLayer, fields: Mapping[str, TraceField]) -> None:
        super().__init__(spec, fields)
        self.parts = parse_template(spec.format, NAMES, SAMPLES)
        self.name = split_binding(spec.value)[1] if spec.value is not None else "step"
        self.last: object = 0
        self.check_formats()

    def check_formats(self) -> None:
        """`{value:d}` and `{last:d}` must fit the bound field's values (integers, not floats)."""
        check_format_specs(
            self.parts, lambda name: self.fields.get("value") if name in ("value", "last") else None,
            "counter layer", "format",
        )  # fmt: skip

    @property
    def dynamic(self) -> bool:
        return True  # the frame's step, or a field recorded per step

    def count(self, step: int) -> object:
        """The count shown at `step`: the step itself, or the bound field's value recorded there."""
        if "value" not in self.fields:
            return step
        return np.asarray(self.value("value", step)).ravel()[0].item()

    def count_at(self, frame: Frame) -> object:
        """The count shown at `frame`. On an in-between frame of `frames.tween` a measurement (a loss) blends
        between the two shown steps, as the data it describes moves; the step, and a field of whole numbers (an
        epoch), stay what the shown step recorded (`_tween.number_at`)."""
        if "value" not in self.fields:
            return frame.step
        return np.asarray(number_at(self.fields["value"], frame)).ravel()[0].item()

    def value_step(self, step: int) -> int:
        """The step the value shown at `step` was recorded at: the last recorded step up to `step` (a source that
        ran fewer steps than the animation holds its last value, and this its last step)."""
        field = self.fields.get("value")
        if field is None or field.steps is None:
            return step
        return int(field.steps[field.index_of(step)])

    def render_text(self, frame: Frame) -> str:
        values = {
            "value": self.count_at(frame),
            "last": self.last,
            "name": self.name,
            "step": frame.step,
            "value_step": self.value_step(frame.step),
        }
        return fill(self.parts, values)

    def build(self, ctx: BuildContext, frame: Frame) -> None:
        s = self.spec
        self.last = self.count(int(ctx.frame_steps[-1])) if len(ctx.frame_steps) else self.count(frame.step)
        x, y, ha, va = PLACES[s.at] if isinstance(s.at, str) else (*s.at, "left", "bottom")
        kwargs = self.artist_kwargs(color="color", fontsize="size")
        kwargs.setdefault("zorder", COUNTER_ZORDER)
        text = self.add_text(ctx, frame, x, y, transform=ctx.ax.transAxes, ha=ha, va=va, **kwargs)
        if s.box:
            face = ctx.ax.get_facecolor()
            text.set_bbox({"boxstyle": "round,pad=0.3", "facecolor": face, "edgecolor": "none", "alpha": 0.8})
