"""The artist graph: the figure, its panels, and each layer's painter with its place and role."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from scenespec.compile.camera import look, view_at
from scenespec.compile.legend import PanelLegend
from scenespec.compile.limits import data_range, widened
from scenespec.compile.style import Styling, style_context
from scenespec.compile.ticks3d import declutter_view
from scenespec.frame import Frame
from scenespec.paint.base import Painter, as_3d
from scenespec.validate.scene import PanelSpec

GrowingAxis = tuple[
    Callable[[], tuple[float, float]],
    Callable[[float, float], object],
    list[np.ndarray | None],
    bool,
    tuple[float, float] | None,
]
"""An axis that `PanelNode.grow` widens: its limits' getter and setter, the data it shows, whether it is
logarithmic, and its fixed limits (None: it grows)."""


@dataclass
class PanelNode:
    """One panel: its spec, its axes and, if a layer asked for it, a twin y axis."""

    spec: PanelSpec
    ax: Axes
    twin_ax: Axes | None = None
    grows: bool = False
    """Limits widen when data leaves the view (`limits = "grow"`, or a live render)."""
    painters: list[Painter[Any]] = field(default_factory=list)
    peers: list[PanelNode] = field(default_factory=list)
    """The panels sharing this one's limits (`share`), itself included; empty: itself alone."""
    legend: PanelLegend | None = None
    """The panel's legend, listing the layers that have drawn something (None: the panel has none)."""
    decluttered_for: tuple[object, ...] | None = None
    """The camera view and limits a moving camera's tick labels were last decluttered for: a view held between
    keys, or frames shown again, need no new measuring (a draw of the panel's axes)."""

    def grow(self, frame: Frame) -> None:
        """Widen each axis whose data at `frame` leaves its limits (the frame engine then redraws its background)."""
        painters = [p for peer in self.peers for p in peer.painters] if self.peers else self.painters
        moving = [p for p in painters if p.dynamic]  # static data is inside the limits from the start
        main = [p.frame_extent(frame) for p in moving if not p.spec.twin]
        twin = [p.frame_extent(frame) for p in moving if p.spec.twin]
        spec, ax = self.spec, self.ax
        axes: list[GrowingAxis] = [
            (ax.get_xlim, ax.set_xlim, [e.x for e in main + twin if e], spec.xscale == "log", spec.xlim),
            (ax.get_ylim, ax.set_ylim, [e.y for e in main if e], spec.yscale == "log", spec.ylim),
        ]
        if ax.name == "3d":
            ax3d = as_3d(ax)
            axes.append((ax3d.get_zlim, ax3d.set_zlim, [e.z for e in main if e], False, spec.zlim))
        if self.twin_ax is not None:
            t = self.twin_ax
            axes.append((t.get_ylim, t.set_ylim, [e.y for e in twin if e], spec.twin_yscale == "log", spec.twin_ylim))
        for get, set_, arrays, log, fixed in axes:
            if fixed is None:
                new = widened(get(), data_range(arrays, log), log)
                if new is not None:
                    set_(*new)


@dataclass
class LayerNode:
    """One layer: its painter, the panel it draws on, and whether it changes per frame."""

    painter: Painter[Any]
    panel: int
    twin: bool
    dynamic: bool


@dataclass
class ArtistGraph:
    """Everything needed to draw any frame: call `show(step)` then draw the figure."""

    figure: Figure
    panels: list[PanelNode]
    layers: list[LayerNode]
    styling: Styling = field(default_factory=Styling)
    frame_count: int = 1
    dynamic_layers: list[LayerNode] = field(init=False)
    rotating_panels: list[PanelNode] = field(init=False)
    """3D panels whose camera moves over the animation (`rotate`, `keys`): every pixel of them changes per frame."""
    growing_panels: list[PanelNode] = field(init=False)
    legends: list[PanelLegend] = field(init=False)

    def __post_init__(self) -> None:
        self.dynamic_layers = [node for node in self.layers if node.dynamic]
        self.growing_panels = [p for p in self.panels if p.grows]
        self.legends = [p.legend for p in self.panels if p.legend is not None]
        self.rotating_panels = [p for p in self.panels if p.spec.projection == "3d" and p.spec.camera.moves]

    def show(self, frame: Frame) -> None:
        """Update every dynamic layer's artists to the frame, list in each legend the layers now drawing
        something, and move cameras to their view at its progress."""
        for node in self.dynamic_layers:
            node.painter.update(frame)
        changed = [legend for legend in self.legends if legend.changed]
        if changed:
            with self.styled():  # a legend takes its fonts and colours from the scene's style when it is made
                for legend in changed:
                    legend.rebuild()
        for panel in self.growing_panels:
            panel.grow(frame)
        for panel in self.rotating_panels:
            ax = as_3d(panel.ax)
            view = view_at(panel.spec.camera, frame.progress)
            look(ax, view)
            canvas = self.figure.canvas
            seen_as = (view.values, tuple(ax.get_w_lims()))
            # frames are drawn on Agg; where not, labels stay as they are
            if isinstance(canvas, FigureCanvasAgg) and seen_as != panel.decluttered_for:
                declutter_view(ax, canvas.get_renderer())
                panel.decluttered_for = seen_as

    def styled(self) -> AbstractContextManager[None]:
        """The scene's style, to draw frames in."""
        return style_context(self.styling)

    @property
    def pixel_size(self) -> tuple[int, int]:
        width, height = self.figure.canvas.get_width_height(physical=True)
        return int(width), int(height)
