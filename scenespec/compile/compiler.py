"""Compile stage: Scene + Traces -> ArtistGraph (figure, panels, painters, limits, legends)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import Collection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.typing import HashableList
from mpl_toolkits.mplot3d import Axes3D

from scenespec.compile.camera import look, view_at
from scenespec.compile.graph import ArtistGraph, LayerNode, PanelNode
from scenespec.compile.legend import PanelLegend
from scenespec.compile.limits import axis_limits, data_range
from scenespec.compile.log_labels import space_log_labels
from scenespec.compile.style import styling_of
from scenespec.compile.ticks3d import declutter_tick_labels
from scenespec.errors import KeyPath, Problem, SpecError
from scenespec.frame import Frame
from scenespec.layers.base import LAYERS, LayerSpec
from scenespec.paint.base import BuildContext, Extent, Painter, as_3d
from scenespec.resolve.trace import TraceField, TraceLike
from scenespec.validate.base import TRANSFORMS_SOURCE, split_binding
from scenespec.validate.references import Locate
from scenespec.validate.scene import EMPTY_CELL, PanelSpec, Scene, is_legend_location


def unlocated(message: str, path: KeyPath = ()) -> Problem:
    """A Problem with its key path but no file: for scenes compiled without their spec text."""
    return Problem(message, path)


@contextmanager
def located(where: KeyPath, locate: Locate) -> Iterator[None]:
    """Re-raise a painter's SpecError with each unplaced problem placed under `where` (a layer's key path)."""
    try:
        yield
    except SpecError as error:
        problems = [p if p.file else locate(p.message, where + p.path) for p in error.problems]
        raise SpecError(problems) from None


def layer_fields(layer: LayerSpec, traces: Mapping[str, TraceLike]) -> dict[str, TraceField]:
    """The trace fields a layer's bindings name, by binding key."""
    fields = {}
    for key, binding in layer.bindings().items():
        source, name = split_binding(binding)
        fields[key] = traces[source].field(name)
    return fields


def make_painter(
    layer: LayerSpec, traces: Mapping[str, TraceLike], where: KeyPath = (), locate: Locate = unlocated
) -> Painter[Any]:
    """The layer's painter, given the trace fields its bindings name; the painter checks their shapes against
    the kind's channel table. `where` is the layer's key path (`("panels", p, "layers", i)`) for errors."""
    fields = layer_fields(layer, traces)
    with located(where, locate):
        painter_class: type[Painter[Any]] = LAYERS.load()[layer.kind].painter
        painter = painter_class(layer, fields)
    painter.series_optimizers = series_optimizers(layer, traces)
    return painter


OPTIMIZERS_FIELD = "optimizers"
"""The static field in which a source records the optimizer (by name: `sgd`, `adam`, …) of each of its series."""


def series_optimizers(layer: LayerSpec, traces: Mapping[str, TraceLike]) -> list[str] | None:
    """The optimizer of each series a layer draws, from the source of its `y` (else `x`) binding, when that source
    records them (an `optimizer` source: one column per optimizer); else None."""
    bindings = layer.bindings()
    binding = bindings.get("y") or bindings.get("x")
    if binding is None:
        return None
    source, _ = split_binding(binding)
    trace = traces.get(source)
    if trace is None or source == TRANSFORMS_SOURCE or OPTIMIZERS_FIELD not in trace.names:
        return None
    field = trace.field(OPTIMIZERS_FIELD)
    return None if field.stepped else [str(name) for name in np.atleast_1d(field.data)]


def check_channels(scene: Scene, traces: Mapping[str, TraceLike], locate: Locate = unlocated) -> None:
    """Raise SpecError listing every bound field, in every layer, whose timing or shape does not fit its channel.

    Makes each painter without drawing anything (cheap: shapes only), so a scene is rejected before any
    figure or worker process exists."""
    problems: list[Problem] = []
    for p, panel in enumerate(scene.panels):
        for i, layer in enumerate(panel.layers):
            try:
                make_painter(layer, traces, ("panels", p, "layers", i), locate)
            except SpecError as error:
                problems += error.problems
    if problems:
        raise SpecError(problems)


def new_figure(scene: Scene) -> Figure:
    """An off-screen figure: Agg canvas, no pyplot, so nothing needs a display."""
    figure = Figure(figsize=scene.scene.size, dpi=scene.scene.dpi)
    FigureCanvasAgg(figure)
    return figure


def shown_steps(frames: Sequence[Frame]) -> np.ndarray:
    """The steps the frames show, in order, without the in-between frames of `frames.tween` (which show blends
    of the shown steps on either side: limits and spline knots come from the shown steps)."""
    return np.array([f.step for f in frames if f.toward is None], dtype=np.int64)


def compile_scene(
    scene: Scene,
    traces: Mapping[str, TraceLike],
    frames: list[Frame],
    figure: Figure | None = None,
    *,
    locate: Locate = unlocated,
    live: bool = False,
) -> ArtistGraph:
    """Build every artist, showing the first frame; limits cover every frame (panels with `limits = "final"`),
    follow the data (`grow`, and `final` panels of a `live` render, whose later frames are not known yet),
    or come from the spec (`fixed`).

    A layer's SpecError (a bound field of the wrong shape, …) is placed in the spec by `locate`."""
    figure = figure if figure is not None else new_figure(scene)
    frame_steps = shown_steps(frames)
    figure.set_layout_engine("constrained")  # before any colorbar, which then takes its space the same way
    axes = _make_axes(figure, scene)
    if scene.scene.title:
        figure.suptitle(scene.scene.title)
    panels: list[PanelNode] = []
    nodes: list[LayerNode] = []
    made: list[tuple[list[Painter[Any]], list[KeyPath], list[Extent | None]]] = []
    for index, (spec, ax) in enumerate(zip(scene.panels, axes, strict=True)):
        where: list[KeyPath] = [("panels", index, "layers", i) for i in range(len(spec.layers))]
        painters = [make_painter(layer, traces, at, locate) for layer, at in zip(spec.layers, where, strict=True)]
        grows = spec.limits == "grow" or (live and spec.limits == "final")
        twin = ax.twinx() if any(layer.twin for layer in spec.layers) else None
        panels.append(PanelNode(spec, ax, twin, grows, painters))
        extents = []
        for painter, at in zip(painters, where, strict=True):
            with located(at, locate):
                extents.append(painter.extent(frame_steps[:1] if grows else frame_steps))
        made.append((painters, where, extents))
    groups = share_groups(scene)
    for index, (panel, (painters, where, _)) in enumerate(zip(panels, made, strict=True)):
        peers = groups.get(index, [index])
        panel.peers = [panels[peer] for peer in peers]
        shared = [(p, e) for peer in peers for p, e in zip(made[peer][0], made[peer][2], strict=True)]
        x_data = _configure_axes(panel, [p for p, _ in shared], [e for _, e in shared])
        for painter, at in zip(painters, where, strict=True):
            target = panel.twin_ax if painter.spec.twin else panel.ax
            assert target is not None  # a panel with a layer on the twin axis has one
            with located(at, locate):
                painter.build(BuildContext(target, frame_steps, x_data, painters), frames[0])
            keep_layer_order(painter, len(nodes))
            nodes.append(LayerNode(painter, index, painter.spec.twin, painter.dynamic))
        for on_twin in (False, True):
            lift_marks([p for p in painters if p.spec.twin == on_twin])
        panel.legend = _legend(panel, [p for p in painters if not p.spec.twin] + [p for p in painters if p.spec.twin])
    _fix_layout(figure)
    canvas = figure.canvas
    assert isinstance(canvas, FigureCanvasAgg)  # new_figure gives every figure one
    renderer = canvas.get_renderer()
    for panel in panels:
        if panel.spec.projection == "3d" and not panel.spec.camera.moves:  # a moving camera moves the corners
            declutter_tick_labels(as_3d(panel.ax), renderer)
    return ArtistGraph(figure, panels, nodes, styling=styling_of(scene, traces), frame_count=len(frames))


def share_groups(scene: Scene) -> dict[int, list[int]]:
    """Panel index -> the indices of the panels sharing its axis limits (`share`), itself included."""
    by_name: dict[str, list[int]] = {}
    for index, panel in enumerate(scene.panels):
        if panel.share is not None:
            by_name.setdefault(panel.share, []).append(index)
    return {index: members for members in by_name.values() for index in members}


LAYER_ORDER_STEP = 1e-6
"""Added to the default zorder of the artists of the i-th layer, times i (1 000 000 layers stay within one
matplotlib zorder band, so nothing moves across grid lines, spines or legends)."""


def keep_layer_order(painter: Painter[Any], index: int) -> None:
    """Make the artists of the `index`-th layer (default zorder) draw above those of earlier layers with the same
    zorder by zorder alone: matplotlib breaks ties by insertion order, and a painter that draws its artists anew
    (contour, surface) inserts them last, which would put them above the layers listed after it."""
    if painter.spec.zorder is not None:  # the spec's own order
        return
    for artist in painter.artists:
        artist.set_zorder(artist.get_zorder() + index * LAYER_ORDER_STEP)


MARK_LIFT = 0.01
"""How far above the panel's top line or collection marks are lifted (less than the step to texts' zorder 3)."""


def lift_marks(painters: Sequence[Painter[Any]]) -> None:
    """Give the marks (`Painter.marks`) of painters drawing on one axes zorders above every line and collection
    of those painters, keeping their order: a head is never hidden under another layer's or path's line."""
    marks = [mark for painter in painters for mark in painter.marks()]
    if not marks:
        return
    chosen = set(marks)
    lines = [
        artist.get_zorder()
        for painter in painters
        for artist in painter.artists
        if artist not in chosen and isinstance(artist, Line2D | Collection)
    ]
    top = max(lines, default=min(mark.get_zorder() for mark in marks))
    for rank, mark in enumerate(marks):
        mark.set_zorder(max(mark.get_zorder(), top + MARK_LIFT + rank * LAYER_ORDER_STEP))


ZLABEL_PAD = 10.0
"""Points between a 3D panel's z label and its axis: matplotlib's default (4) lets the label touch long tick
labels (`17.5`) when the camera looks along the z axis's side."""


def _make_axes(figure: Figure, scene: Scene) -> list[Axes]:
    """One axes per panel, in the order of `scene.panels`; 3D where the panel's layers need it.

    Without a layout the panels are stacked vertically; with one, they are placed by `subplot_mosaic`.
    """
    panels = scene.panels
    grid = scene.scene.layout_cells
    if grid is None:
        axes = [
            figure.add_subplot(len(panels), 1, index + 1, projection="3d" if panel.projection == "3d" else None)
            for index, panel in enumerate(panels)
        ]
    else:
        # checked before (validate.references.check_layout): these errors are only for unchecked scenes
        names = [panel.name for panel in panels if panel.name is not None]
        if len(names) < len(panels):
            raise SpecError([Problem("with `scene.layout`, every panel needs a name", ("scene", "layout"))])
        mosaic: list[HashableList[str]] = [list(row) for row in grid]  # as subplot_mosaic types it
        try:
            by_name = figure.subplot_mosaic(
                mosaic,
                width_ratios=scene.scene.width_ratios,
                height_ratios=scene.scene.height_ratios,
                empty_sentinel=EMPTY_CELL,
                per_subplot_kw={
                    name: {"projection": "3d"}
                    for name, panel in zip(names, panels, strict=True)
                    if panel.projection == "3d"
                },
            )
        except ValueError as exc:
            raise SpecError([Problem(f"matplotlib cannot lay this out: {exc}", ("scene", "layout"))]) from None
        axes = [by_name[name] for name in names]
    for panel, ax in zip(panels, axes, strict=True):
        if panel.projection == "3d":
            _setup_3d(as_3d(ax), panel)
    return axes


def _setup_3d(ax: Axes3D, panel: PanelSpec) -> None:
    """Layer-order drawing and the camera's first view (slightly zoomed out: see `camera.BOX_ZOOM`)."""
    ax.computed_zorder = False  # draw in layer order, so a path stays visible above its surface
    look(ax, view_at(panel.camera, 0.0))


def _configure_axes(
    panel: PanelNode, painters: list[Painter[Any]], extents: list[Extent | None]
) -> tuple[float, float] | None:
    """Labels, scales and fixed limits; returns the x range of the panel's data."""
    spec: PanelSpec = panel.spec
    ax = panel.ax
    for setter, value in ((ax.set_title, spec.title), (ax.set_xlabel, spec.xlabel), (ax.set_ylabel, spec.ylabel)):
        if value:
            setter(value)
    ax3d = as_3d(ax) if spec.projection == "3d" else None
    three_d = ax3d is not None
    if ax3d is not None:
        if spec.zlabel:
            ax3d.set_zlabel(spec.zlabel, labelpad=ZLABEL_PAD)
    else:
        ax.set_xscale(spec.xscale)
        ax.set_yscale(spec.yscale)
        space_log_labels(ax.xaxis)
        space_log_labels(ax.yaxis)
        ax.set_aspect(spec.aspect)
    if spec.grid and not three_d:  # 3D panels always show their panes' grid
        ax.grid(True, alpha=0.4)
    main = [e for p, e in zip(painters, extents, strict=True) if e is not None and not p.spec.twin]
    twin = [e for p, e in zip(painters, extents, strict=True) if e is not None and p.spec.twin]
    x_log = spec.xscale == "log"
    x_data = data_range([e.x for e in main + twin], x_log)
    _set_limits(ax.set_xlim, spec.xlim, axis_limits([(e.x, e.tight) for e in main + twin], x_log))
    y_log = spec.yscale == "log"
    _set_limits(ax.set_ylim, spec.ylim, axis_limits([(e.y, e.tight) for e in main], y_log))
    if ax3d is not None:
        _set_limits(ax3d.set_zlim, spec.zlim, axis_limits([(e.z, e.tight) for e in main], False))
    for set_ticks, ticks in ((ax.set_xticks, spec.xticks), (ax.set_yticks, spec.yticks)):
        if ticks is not None:
            set_ticks(ticks)
    if ax3d is not None and spec.zticks is not None:
        ax3d.set_zticks(spec.zticks)
    if panel.twin_ax is not None:
        twin_ax = panel.twin_ax
        twin_ax.set_yscale(spec.twin_yscale)
        space_log_labels(twin_ax.yaxis)
        if spec.twin_ylabel:
            twin_ax.set_ylabel(spec.twin_ylabel)
        twin_log = spec.twin_yscale == "log"
        _set_limits(twin_ax.set_ylim, spec.twin_ylim, axis_limits([(e.y, e.tight) for e in twin], twin_log))
    return x_data


def _set_limits(
    setter: Callable[[float, float], object], fixed: tuple[float, float] | None, limits: tuple[float, float] | None
) -> None:
    limits = fixed if fixed is not None else limits
    if limits is not None:
        setter(*limits)


def _legend(panel: PanelNode, painters: list[Painter[Any]]) -> PanelLegend | None:
    """One legend per panel with the entries of both y axes, on top of both; it lists the layers that have drawn
    something at the frame shown (`compile/legend.py`)."""
    entries = [(p, handles) for p in painters if (handles := p.legend_handles())]
    if not entries or panel.spec.legend is False:
        return None
    loc = "best" if panel.spec.legend is True else panel.spec.legend
    assert is_legend_location(loc), loc  # checked when validating
    host = panel.twin_ax if panel.twin_ax is not None else panel.ax
    legend = PanelLegend(host, loc, entries)
    legend.rebuild()
    return legend


def _fix_layout(figure: Figure) -> None:
    """Lay the panels out once (constrained layout), then freeze it so frames don't shift.

    The layout needs every text's extent, not pixels: the draw measures without rasterising (the frame engine
    draws the first pixels anyway)."""
    figure.draw_without_rendering()
    figure.set_layout_engine("none")
