"""The artist graph: the figure, its panels, and each layer's painter with its place and role."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field

import matplotlib.style
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from scenespec.layers.base import Painter
from scenespec.validate.scene import PanelSpec


@contextmanager
def style_context(style: str) -> Iterator[None]:
    """A matplotlib style on top of the defaults, whatever the caller's rcParams are.

    Both building and drawing read rcParams, so both happen inside this.
    """
    with matplotlib.style.context(["default", style]):
        yield


@dataclass
class PanelNode:
    """One panel: its spec, its axes and, if a layer asked for it, a twin y axis."""

    spec: PanelSpec
    ax: Axes
    twin_ax: Axes | None = None


@dataclass
class LayerNode:
    """One layer: its painter, the panel it draws on, and whether it changes per frame."""

    painter: Painter
    panel: int
    twin: bool
    dynamic: bool


@dataclass
class ArtistGraph:
    """Everything needed to draw any frame: call `show(step)` then draw the figure."""

    figure: Figure
    panels: list[PanelNode]
    layers: list[LayerNode]
    style: str = "default"
    dynamic_layers: list[LayerNode] = field(init=False)

    def __post_init__(self) -> None:
        self.dynamic_layers = [node for node in self.layers if node.dynamic]

    def show(self, step: int) -> None:
        """Update every dynamic layer's artists to `step`; static ones are left alone."""
        for node in self.dynamic_layers:
            node.painter.update(step)

    def styled(self) -> AbstractContextManager[None]:
        """The scene's style, to draw frames in."""
        return style_context(self.style)

    @property
    def pixel_size(self) -> tuple[int, int]:
        width, height = self.figure.canvas.get_width_height(physical=True)
        return int(width), int(height)
