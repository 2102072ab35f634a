"""The frame engine: draw what does not change once, and per frame only what moves.

A full `canvas.draw()` redraws axes, ticks, labels and every static layer for every
frame. The engine splits each axes' drawing into a *background*, drawn once and kept
as a pixel copy, and a *foreground*, drawn per frame on top of that copy:

- the foreground of an axes starts at its first moving (dynamic) artist in the order
  `Axes.draw` draws its children (stable sort by zorder), and holds every visible
  artist from there on: static artists above a moving one (a legend, the spines, a
  title) are drawn per frame, in the right order, and never twice;
- everything before it (the patch, grid, ticks, tick labels, static layers beneath)
  and every axes without moving artists stay in the background.

Per frame the background is restored, then each axes' foreground is drawn in the
figure's order of axes, sorted as `Axes.draw` sorts. The moving artists are read from
the painters every frame, since some painters replace their artists (contour,
surface). If the split stops being valid (limits or camera changed, a moving artist
sank below a background one, a static artist came or went: a legend built anew when
the layers it lists change) the background is drawn anew; if that keeps happening,
the engine redraws every frame in full.

Where a scene cannot be split the engine draws each frame in full, like
`frame_pixels`: a turning 3D camera changes every pixel; 3D axes that sort their
artists by depth (`computed_zorder`) reorder them per frame; a moving artist outside
any axes, or a layout engine that would move things on each draw. A scene without
moving layers is drawn once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.collections import Collection
from matplotlib.figure import Figure
from matplotlib.layout_engine import PlaceHolderLayoutEngine
from matplotlib.patches import Patch
from mpl_toolkits.mplot3d import Axes3D

from scenespec.compile.graph import ArtistGraph
from scenespec.frame import Frame

Mode = Literal["blit", "static", "full"]
View = tuple[object, ...]
"""What an axes' background depends on besides its artists, compared between frames (`view_of`)."""

MAX_REBUILDS_IN_A_ROW = 2
"""Backgrounds redrawn on this many consecutive frames: the split does not hold, redraw in full from then on."""


@dataclass(frozen=True)
class _Overlay:
    """Static artists drawn once on a transparent canvas: the pixels they cover, with colour and coverage.

    Painting it "over" the frame gives what drawing those artists again would, to rounding,
    at the cost of a few thousand pixel blends instead of laying out text (a legend over a
    moving line takes most of a frame's time otherwise).
    """

    index: np.ndarray
    """Positions in the flat RGBA bytes of the channels R, G and B of each covered pixel."""
    colour: np.ndarray
    alpha: np.ndarray
    """Coverage of each of those bytes (a pixel's, three times)."""

    @classmethod
    def of(cls, rgba: np.ndarray) -> _Overlay:
        flat = rgba.reshape(-1, 4)
        pixels = np.flatnonzero(flat[:, 3])
        index = ((pixels * 4)[:, None] + np.arange(3)).ravel()
        alpha = np.repeat(flat[pixels, 3].astype(np.float32) / 255, 3)
        return cls(index, flat[pixels, :3].astype(np.float32).ravel(), alpha)

    def paint(self, rgba: np.ndarray) -> None:
        # flat take/put of the bytes: twice as fast as indexing pixels, then channels
        flat = rgba.reshape(-1)
        under = flat.take(self.index).astype(np.float32)
        under += (self.colour - under) * self.alpha
        under += 0.5
        flat.put(self.index, under.astype(np.uint8))


def _run_key(run: list[Artist]) -> tuple[int, ...]:
    return tuple(id(a) for a in run)


@dataclass
class _Split:
    """One axes' split: the static artists hidden from its background, the ones drawn into it, its view.

    `overlays` holds the runs of static foreground artists between (or after) moving ones,
    pre-drawn, keyed by the run's artists.
    """

    ax: Axes
    moving: bool = False
    foreground: set[Artist] = field(default_factory=set)
    background: set[Artist] = field(default_factory=set)
    view: View = ()
    overlays: dict[tuple[int, ...], _Overlay] = field(default_factory=dict)
    statics: frozenset[Artist] = frozenset()
    """Every static artist the axes drew (visible or not): one added or removed (a legend built anew
    when its entries change) invalidates the split."""


def rgb(canvas: FigureCanvasAgg, out: np.ndarray | None = None) -> np.ndarray:
    """The canvas' pixels as a fresh RGB uint8 array (height, width, 3), or copied into `out` of that shape."""
    return rgb_of(np.asarray(canvas.buffer_rgba()), out)


def rgb_of(rgba: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """A fresh RGB copy of an RGBA uint8 array (or into `out`), channel by channel.

    `rgba[:, :, :3].copy()` gathers 3 of every 4 bytes in one strided copy, which numpy does byte by byte:
    2.6 ms for a 640×480 frame, against 0.3 ms for three copies of one channel each."""
    if out is None:
        out = np.empty((*rgba.shape[:-1], 3), np.uint8)
    elif out.shape != (*rgba.shape[:-1], 3):
        raise ValueError(f"a frame of {rgba.shape[:-1]} pixels does not fit into {out.shape[:-1]}")
    for channel in range(3):
        out[..., channel] = rgba[..., channel]
    return out


def agg_canvas(figure: Figure) -> FigureCanvasAgg:
    """The figure's canvas, whose pixels frames are read from: Agg (off screen) or a window's Agg-based one."""
    canvas = figure.canvas
    if not isinstance(canvas, FigureCanvasAgg):
        raise TypeError(f"frames are drawn on an Agg canvas, not on {type(canvas).__name__}")
    return canvas


def drawn_children(ax: Axes) -> list[Artist]:
    """The children `Axes.draw` draws itself, in its order: stably sorted by zorder.

    The patch is left out (drawn first, always background), as are what `Axes.draw`
    leaves out: spines and axis objects of axes drawn without them, and animated artists.
    A 3D axes draws its patch, panes and axis before its children, and never its spines.
    """
    three_d = ax.name == "3d"
    leave_out: set[Artist] = {ax.patch}
    if three_d or not (ax.axison and ax.get_frame_on()):
        leave_out.update(ax.spines.values())
    if three_d or not ax.axison:
        leave_out.update(a for a in (ax.xaxis, ax.yaxis, getattr(ax, "zaxis", None)) if a is not None)
    children = [a for a in ax.get_children() if a not in leave_out and not a.get_animated()]
    return sorted(children, key=lambda a: a.get_zorder())


def view_of(ax: Axes) -> View:
    """What the background of an axes depends on besides its artists: limits (and a 3D camera)."""
    view: View = (ax.get_position().bounds, ax.get_xlim(), ax.get_ylim())
    if isinstance(ax, Axes3D):
        view += (ax.get_zlim(), ax.elev, ax.azim, ax.roll)
    return view


class FrameEngine:
    """Renders frames of an `ArtistGraph`, blitting the moving artists over a background drawn once.

    Build and use it inside `graph.styled()`. `pixels(frame)` equals `frame_pixels(graph, frame)`
    (to antialiasing); `mode` says how frames are drawn and `reason` why not by blitting.
    """

    def __init__(self, graph: ArtistGraph) -> None:
        self.graph = graph
        self.figure = graph.figure
        self.canvas = agg_canvas(graph.figure)
        self.reason: str | None = self._cannot_blit()
        self.mode: Mode = "full" if self.reason else "blit"
        self.backgrounds_drawn = 0
        self._rebuilds_in_a_row = 0
        self._splits: list[_Split] = []
        self._background = None
        self._size: tuple[int, int] = (0, 0)
        self._static: np.ndarray | None = None
        if self.mode == "full":
            return
        if not graph.dynamic_layers:
            self.mode = "static"
            self.reason = "no layer moves: every frame is the same picture"
            self.canvas.draw()
            self._static = rgb(self.canvas)
            return
        moving, problem = self._moving()
        if problem:
            self._redraw_in_full(problem)
        else:
            self._draw_background(moving)

    @property
    def blits(self) -> bool:
        """Whether frames are drawn by blitting the moving artists over a kept background."""
        return self.mode == "blit"

    @property
    def redraws_fully(self) -> bool:
        """Whether every frame is drawn in full (`canvas.draw()`)."""
        return self.mode == "full"

    def pixels(self, frame: Frame, out: np.ndarray | None = None) -> np.ndarray:
        """The figure showing `frame`, as a fresh RGB uint8 array (height, width, 3), or drawn into `out`."""
        self.graph.show(frame)
        if self.mode == "static":
            assert self._static is not None
            if out is None:
                return self._static.copy()
            np.copyto(out, self._static)
            return out
        if self.mode == "blit":
            moving, problem = self._moving()
            if problem:
                self._redraw_in_full(problem)
            elif not self._split_holds(moving):
                self._rebuilds_in_a_row += 1
                if self._rebuilds_in_a_row > MAX_REBUILDS_IN_A_ROW:
                    self._redraw_in_full("the split between static and moving artists changes from frame to frame")
                else:
                    self._draw_background(moving)
            else:
                self._rebuilds_in_a_row = 0
            if self.mode == "blit":
                self._blit(moving)
                return rgb(self.canvas, out)
        self.canvas.draw()
        return rgb(self.canvas, out)

    # -- what can be split --------------------------------------------------------------------

    def _cannot_blit(self) -> str | None:
        if self.graph.rotating_panels:
            return "a 3D camera turns over the animation: every pixel of its panel changes per frame"
        layout = self.figure.get_layout_engine()
        if layout is not None and not isinstance(layout, PlaceHolderLayoutEngine):
            return "a layout engine moves the panels on every draw"
        return None

    def _axes_in_draw_order(self) -> list[Axes]:
        """The figure's axes in the order `Figure.draw` draws them (stable sort by zorder)."""
        return sorted(
            (a for a in self.figure.get_children() if isinstance(a, Axes) and not a.get_animated()),
            key=lambda a: a.get_zorder(),
        )

    def _moving(self) -> tuple[dict[Axes, list[Artist]], str | None]:
        """The painters' current artists by axes, and why they cannot be blitted (None: they can)."""
        by_axes: dict[Axes, list[Artist]] = {}
        for node in self.graph.dynamic_layers:
            for artist in node.painter.artists:
                ax = artist.axes
                if not isinstance(ax, Axes):
                    return by_axes, "a moving artist is not drawn by an axes"
                by_axes.setdefault(ax, []).append(artist)
        if not set(by_axes) <= set(self._axes_in_draw_order()):
            return by_axes, "a moving artist is drawn by an axes the figure does not draw itself"
        if any(isinstance(ax, Axes3D) and ax.computed_zorder for ax in by_axes):
            return by_axes, "a 3D panel with moving artists sorts its artists by depth on every draw"
        return by_axes, None

    def _redraw_in_full(self, reason: str) -> None:
        self.mode = "full"
        self.reason = reason
        self._splits = []
        self._background = None

    # -- background and foreground ------------------------------------------------------------

    def _draw_background(self, moving: dict[Axes, list[Artist]]) -> None:
        """Leave every foreground artist out, draw the figure once and keep its pixels."""
        splits = []
        for ax in self._axes_in_draw_order():
            split = _Split(ax, view=view_of(ax))
            dynamic = set(moving.get(ax, ()))
            split.statics = _statics(ax, dynamic)
            if dynamic:
                split.moving = True
                order = [a for a in drawn_children(ax) if a.get_visible() or a in dynamic]
                first = next(i for i, a in enumerate(order) if a in dynamic) if dynamic & set(order) else len(order)
                split.background = set(order[:first])
                split.foreground = {a for a in order[first:] if a not in dynamic}
            splits.append(split)
        # Left out of the draw as matplotlib's own blitting does, by marking them animated: hiding
        # them instead (set_visible) would also change what they measure, e.g. the titles would be
        # moved by Axes._update_title_position, which places them from their extents.
        hidden = [a for s in splits for a in (*s.foreground, *moving.get(s.ax, ())) if not a.get_animated()]
        for artist in hidden:
            artist.set_animated(True)
        try:
            self.canvas.draw()
            self._background = self.canvas.copy_from_bbox(self.figure.bbox)
        finally:
            for artist in hidden:
                artist.set_animated(False)
        self._draw_overlays(splits, moving)
        self._splits = splits
        self._size = self.canvas.get_width_height()
        self.backgrounds_drawn += 1

    def _split_holds(self, moving: dict[Axes, list[Artist]]) -> bool:
        """Whether the background still fits: same axes, views and size, and nothing kept in it above a mover."""
        if self.canvas.get_width_height() != self._size:
            return False
        for split in self._splits:
            if view_of(split.ax) != split.view:
                return False
            dynamic = set(moving.get(split.ax, ()))
            if _statics(split.ax, dynamic) != split.statics:
                return False
            if not dynamic:
                continue
            if not split.moving:  # its foreground was drawn into the background
                return False
            order = drawn_children(split.ax)
            first = next((i for i, a in enumerate(order) if a in dynamic), len(order))
            if any(a in split.background for a in order[first:]):
                return False
        return True

    def _foreground(self, split: _Split, dynamic: Iterable[Artist]) -> list[Artist]:
        members = split.foreground.union(dynamic)
        return [a for a in drawn_children(split.ax) if a in members]

    def _draw_overlays(self, splits: list[_Split], moving: dict[Axes, list[Artist]]) -> None:
        """Pre-draw each run of static foreground artists of a 2D axes on a transparent canvas."""
        renderer = self.canvas.get_renderer()
        for split in splits:
            dynamic = set(moving.get(split.ax, ()))
            if not split.moving or split.ax.name == "3d":
                continue
            for run in _static_runs(self._foreground(split, list(dynamic)), dynamic):
                renderer.clear()
                for artist in run:
                    artist.draw(renderer)
                split.overlays[_run_key(run)] = _Overlay.of(np.asarray(self.canvas.buffer_rgba()))

    def _blit(self, moving: dict[Axes, list[Artist]]) -> None:
        """Restore the background, then draw each axes' foreground as `Axes.draw` would."""
        self.canvas.restore_region(self._background)
        renderer = self.canvas.get_renderer()
        for split in self._splits:
            dynamic = moving.get(split.ax, ())
            if not split.moving:
                continue
            artists = self._foreground(split, dynamic)
            if split.ax.name == "3d":  # as Axes3D.draw: project collections and patches with the kept camera
                for artist in artists:
                    if isinstance(artist, (Collection, Patch)) and artist.get_visible():
                        getattr(artist, "do_3d_projection", lambda: None)()
            run: list[Artist] = []
            for artist in artists:
                if artist in dynamic:
                    self._paint_run(run, split, renderer)
                    run = []
                    artist.draw(renderer)
                else:
                    run.append(artist)
            self._paint_run(run, split, renderer)

    def _paint_run(self, run: list[Artist], split: _Split, renderer: RendererAgg) -> None:
        """Static foreground artists: their pre-drawn overlay if there is one, else drawn."""
        overlay = split.overlays.get(_run_key(run)) if run else None
        if overlay is not None:
            overlay.paint(np.asarray(self.canvas.buffer_rgba()))
            return
        for artist in run:
            artist.draw(renderer)


def _statics(ax: Axes, dynamic: set[Artist]) -> frozenset[Artist]:
    """The static artists among those the axes draws itself."""
    return frozenset(a for a in drawn_children(ax) if a not in dynamic)


def _static_runs(artists: list[Artist], dynamic: set[Artist]) -> list[list[Artist]]:
    """The maximal runs of consecutive static artists in a foreground's drawing order."""
    runs: list[list[Artist]] = [[]]
    for artist in artists:
        if artist in dynamic:
            runs.append([])
        else:
            runs[-1].append(artist)
    return [run for run in runs if run]
