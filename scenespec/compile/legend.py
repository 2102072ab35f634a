"""A panel's legend lists only the layers that have drawn something at the frame shown.

A legend that names a "Cost line" before any cost is drawn promises something the frame does not
show. Each frame, the legend asks its layers whether they draw anything (`Painter.draws_something`);
when that set changes (rare: a line that starts growing, a curve revealed at the end), the legend is
built anew with the entries in the layers' order. The answer depends on the frame alone, so frames
drawn out of order or by other processes agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.legend import Legend
from matplotlib.typing import LegendLocType

from scenespec.paint.base import Painter


@dataclass
class PanelLegend:
    """One panel's legend: where it is drawn, and each layer with its entries (in legend order)."""

    host: Axes
    loc: LegendLocType
    entries: Sequence[tuple[Painter[Any], list[Artist]]]
    shown: tuple[int, ...] | None = field(default=None, init=False)
    """Indices of the entries the legend lists now (None: not built yet)."""

    def listed(self) -> tuple[int, ...]:
        """The entries whose layer draws something at the frame its painter shows."""
        return tuple(i for i, (painter, _) in enumerate(self.entries) if painter.draws_something())

    @property
    def changed(self) -> bool:
        """Whether the layers drawing something are not those the legend lists."""
        return self.listed() != self.shown

    def rebuild(self) -> Legend | None:
        """Draw the legend anew with the entries listed now; no legend when none is."""
        self.shown = self.listed()
        old = self.host.get_legend()
        if old is not None:
            old.remove()
        handles = [handle for i in self.shown for handle in self.entries[i][1]]
        if not handles:
            return None
        return self.host.legend(handles=handles, loc=self.loc)
