"""The budgets a spec must stay within: one table of limits, each with its default, unit and reason.

Every limit is checked before the work it bounds starts (a trainer trained, a frame drawn), so that a
number typed by mistake (`samples = 1000000000`, a 10 MB title, `size = [1e9, 4.8]`) is a located error
rather than a machine swapping for an hour. A user who means it raises the limit in the spec's `[limits]`
table, or with `--set limits.NAME=VALUE`. The table feeds the `Limits` model (so the JSON Schema and the
reference list every limit) and docs/errors.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import Field

from scenespec.errors import KeyPath
from scenespec.validate.base import SpecModel


@dataclass(frozen=True)
class Limit:
    """One budget: what it bounds, its default, the unit it is counted in, and why it exists."""

    name: str
    default: float
    unit: str
    what: str
    reason: str


LIMITS: tuple[Limit, ...] = (
    Limit(
        "max_pixels_per_frame",
        50_000_000,
        "pixels",
        "pixels of one frame: `scene.size` × `scene.dpi`, width times height",
        "each frame is a canvas of 4 bytes per pixel plus an RGB copy per sink and worker: 50 million pixels "
        "(7071 × 7071) is about 350 MB per worker; matplotlib's Agg canvas fails outright far beyond it",
    ),
    Limit(
        "max_frames",
        100_000,
        "frames",
        "frames of the animation (the steps `frames.steps` shows)",
        "every frame is drawn and encoded: 100,000 frames is an hour of video at 25 fps and tens of minutes of drawing",
    ),
    Limit(
        "max_total_pixels",
        10_000_000_000,
        "pixels",
        "pixels of all frames: pixels per frame × frames",
        "drawing time and output size grow with it, and outputs kept in memory (`to_bytes`, and the GIF "
        "sink's per-frame changes until the palette is chosen) hold a share of it",
    ),
    Limit(
        "max_points_per_frame",
        2_000_000,
        "points",
        "points, segments and grid cells drawn in one frame, summed over every layer of every panel",
        "matplotlib draws each point of each frame: a few million take seconds per frame; use `max_points` "
        "(scatter) or a smaller data set for more",
    ),
    Limit(
        "max_grid_points",
        1_000_000,
        "points",
        "points of an objective's grid: the `optimizer` source's `resolution` nx × ny",
        "the grid is evaluated with its gradient, stored five times in the trace and drawn as contours, "
        "arrows or a 3D surface: a million points is already a 1000 × 1000 surface",
    ),
    Limit(
        "max_spline_samples",
        100_000,
        "samples",
        "points on a `spline` layer's smoothed curve (`samples`)",
        "the curve is evaluated and drawn at every sample; 100,000 is far more than any figure has pixels",
    ),
    Limit(
        "max_text_length",
        10_000,
        "characters",
        "characters of any string in the spec: titles, labels, text templates, names, formulas",
        "text is laid out glyph by glyph each time it is drawn: a 10 MB title takes minutes and gigabytes",
    ),
    Limit(
        "max_list_length",
        100_000,
        "items",
        "items of any list in the spec: ticks, contour levels, `frames.steps`, `record.batches`, …",
        "a list is validated item by item, and ticks and levels are drawn one by one",
    ),
    Limit(
        "max_trace_bytes",
        2_000_000_000,
        "bytes",
        "memory of one source's trace: recorded steps × numbers per step × 8 bytes, plus its static arrays "
        "(a `.npz` trace: the sizes its headers declare)",
        "a trace is held in memory while the frames are drawn, copied to each worker process and written to "
        "the trace cache: 2 GB leaves room on a laptop",
    ),
    Limit(
        "max_training_batches",
        1_000_000,
        "batches",
        "updates a `trainer` or `classifier` source makes: epochs × batches per epoch",
        "each update is a Python-level step (a scikit-learn `partial_fit` for `mlp`): a million take minutes",
    ),
    Limit(
        "sweep_points",
        64,
        "points",
        "points of a `[sweep]`: the product of its lists' lengths",
        "each point runs its own sources and draws its own panels (or its own output with `--split`): 64 points "
        "are 64 trainings and a figure of 64 panel groups",
    ),
)

LIMITS_BY_NAME = {limit.name: limit for limit in LIMITS}

LimitValue = Annotated[float, Field(gt=0, allow_inf_nan=False)]


def number(value: float) -> str:
    """`50000000` -> `50,000,000`; a huge float in scientific form."""
    if not math.isfinite(value):
        return str(value)
    return f"{value:,.0f}" if abs(value) < 1e15 else f"{value:.3g}"


def _field(name: str) -> Any:
    limit = LIMITS_BY_NAME[name]
    what = limit.what
    return Field(None, description=f"The most {what} (in {limit.unit}). Default: {number(limit.default)}.")


class Limits(SpecModel):
    """Budgets checked before any heavy work; raise one if you mean it (see docs/errors.md)."""

    max_pixels_per_frame: LimitValue | None = _field("max_pixels_per_frame")
    max_frames: LimitValue | None = _field("max_frames")
    max_total_pixels: LimitValue | None = _field("max_total_pixels")
    max_points_per_frame: LimitValue | None = _field("max_points_per_frame")
    max_grid_points: LimitValue | None = _field("max_grid_points")
    max_spline_samples: LimitValue | None = _field("max_spline_samples")
    max_text_length: LimitValue | None = _field("max_text_length")
    max_list_length: LimitValue | None = _field("max_list_length")
    max_trace_bytes: LimitValue | None = _field("max_trace_bytes")
    max_training_batches: LimitValue | None = _field("max_training_batches")
    sweep_points: LimitValue | None = _field("sweep_points")

    def value(self, name: str) -> float:
        """The limit in effect: the spec's value, else the default."""
        given = getattr(self, name)
        return LIMITS_BY_NAME[name].default if given is None else float(given)


def byte_size(value: float) -> str:
    """Bytes as a readable size: `8.0 GB`."""
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if value >= scale:
            return f"{value / scale:.1f} {unit}"
    return f"{value:.0f} bytes"


def over_limit(estimate: str, name: str, limits: Limits) -> str:
    """`<estimate> is over the limit of N (limits.NAME; raise it if you mean it)`."""
    limit = limits.value(name)
    shown = byte_size(limit) if LIMITS_BY_NAME[name].unit == "bytes" else number(limit)
    return f"{estimate} is over the limit of {shown} (limits.{name}; raise it if you mean it)"


@dataclass(frozen=True)
class Usage:
    """An amount of one budget that a part of the spec asks for, and the key (relative to that part) that sets it."""

    limit: str
    amount: float
    key: KeyPath
    estimate: str
    """What is counted, for the message: `2,000 × 2,000 grid points (resolution)`."""

    def problem_text(self, limits: Limits) -> str | None:
        """The message when over the limit, else None."""
        return over_limit(self.estimate, self.limit, limits) if self.amount > limits.value(self.limit) else None


@dataclass(frozen=True)
class FieldSize:
    """How much of a bound field there is: numbers per step (all of it if static), and its recorded steps."""

    per_step: int
    steps: int | None = None
    """None for a static field."""
    shape: tuple[int, ...] | None = None
    """One step's shape (all of a static field's) where known: a transform that changes shapes (a projection of
    points × features to points × 2) works out its output's size from it."""
