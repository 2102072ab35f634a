"""The artist graph: the figure, its panels, and each layer's painter with its place and role."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field

import matplotlib.style
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from scenespec.layers.base import Painter
from scenespec.schedule.frames import Frame
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
    frame_count: int = 1
    dynamic_layers: list[LayerNode] = field(init=False)
    rotating_panels: list[PanelNode] = field(init=False)
    """3D panels whose camera turns over the animation: every pixel of them changes per frame."""

    def __post_init__(self) -> None:
        self.dynamic_layers = [node for node in self.layers if node.dynamic]
        self.rotating_panels = [p for p in self.panels if p.spec.projection == "3d" and p.spec.camera.rotate != 0]

    def show(self, frame: Frame) -> None:
        """Update every dynamic layer's artists to the frame, and turn rotating cameras."""
        for node in self.dynamic_layers:
            node.painter.update(frame)
        for panel in self.rotating_panels:
            camera = panel.spec.camera
            turned = camera.rotate * frame.index / max(self.frame_count - 1, 1)
            panel.ax.view_init(elev=camera.elev, azim=camera.azim + turned, roll=camera.roll)

    def styled(self) -> AbstractContextManager[None]:
        """The scene's style, to draw frames in."""
        return style_context(self.style)

    @property
    def pixel_size(self) -> tuple[int, int]:
        width, height = self.figure.canvas.get_width_height(physical=True)
        return int(width), int(height)
