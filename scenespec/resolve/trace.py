"""Trace: the numbers a source produces, static arrays and arrays indexed by step.

A trace is plain numpy, so it can be saved to `.npz`, reloaded, and checked
against an independent computation.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Protocol

import numpy as np

from scenespec.resolve.npz import NotATrace, read_headers

STEPS_KEY = "__steps__"
STEPPED_PREFIX = "stepped/"
STATIC_PREFIX = "static/"


@dataclass(frozen=True)
class TraceField:
    """One named array of a trace; a stepped field's first axis runs over `steps`."""

    name: str
    data: np.ndarray
    steps: np.ndarray | None = None

    @property
    def stepped(self) -> bool:
        return self.steps is not None

    def index_of(self, step: int) -> int:
        """Row holding `step`: the last recorded step at or before it."""
        assert self.steps is not None
        return max(int(np.searchsorted(self.steps, step, side="right")) - 1, 0)

    def at(self, step: int) -> np.ndarray:
        """The value shown at `step` (a static field is the same at every step)."""
        if self.steps is None:
            return self.data
        return self.data[self.index_of(step)]

    def interpolate(self, position: float) -> np.ndarray:
        """The value at a continuous `position`: linear between the neighbouring recorded steps.

        Exactly the recorded row at a recorded step (no arithmetic), the first row before the first
        step and the last row after the last one; a static field is the same everywhere.
        """
        if self.steps is None:
            return self.data
        right = int(np.searchsorted(self.steps, position, side="right"))
        if right == 0:
            return self.data[0]
        if right == len(self.steps) or self.steps[right - 1] == position:
            return self.data[right - 1]
        lo, hi = float(self.steps[right - 1]), float(self.steps[right])
        weight = (position - lo) / (hi - lo)
        before = np.asarray(self.data[right - 1], dtype=float)
        return before + (np.asarray(self.data[right], dtype=float) - before) * weight

    def blend(self, before: int, after: int, position: float) -> np.ndarray:
        """The value at `position` on the straight way from the value shown at step `before` to the one shown at
        step `after` (an in-between frame of `frames.tween`): linear between those two rows only, so it stays
        within them even when other steps were recorded in between. A static field is the same everywhere."""
        if self.steps is None:
            return self.data
        first, last = self.at(before), self.at(after)
        if after == before or self.index_of(before) == self.index_of(after):
            return first
        weight = (position - before) / (after - before)
        start = np.asarray(first, dtype=float)
        return start + (np.asarray(last, dtype=float) - start) * weight

    def upto(self, step: int) -> tuple[np.ndarray, np.ndarray]:
        """Steps and values recorded up to and including `step` (for curves that grow)."""
        assert self.steps is not None
        end = self.index_of(step) + 1
        return self.steps[:end], self.data[:end]

    def over(self, steps: np.ndarray) -> np.ndarray:
        """Every value shown at any of `steps`: what axis limits must cover."""
        if self.steps is None:
            return self.data
        rows = np.clip(np.searchsorted(self.steps, steps, side="right") - 1, 0, None)
        return self.data[np.unique(rows)]


class TraceLike(Protocol):
    """What the compile stage reads of a trace: its field names, and each field. A `Trace` answers it, and so
    do the transforms' outputs (`transform.apply.DerivedTrace`) and a `StreamingTrace`."""

    @property
    def names(self) -> list[str]: ...

    def field(self, name: str) -> TraceField: ...


@dataclass
class Trace:
    """All arrays of one source; `steps` are the step numbers of the stepped arrays."""

    steps: np.ndarray
    static: dict[str, np.ndarray] = field(default_factory=dict)
    stepped: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.steps = np.asarray(self.steps, dtype=np.int64)
        for name, values in self.stepped.items():
            if len(values) != len(self.steps):
                raise ValueError(f"stepped field {name!r} has {len(values)} rows for {len(self.steps)} steps")

    @property
    def names(self) -> list[str]:
        return sorted({*self.static, *self.stepped})

    def keyed_by(self, counter: str) -> Trace:
        """The same data with a recorded counter (`epoch`, `batch`) as its steps, so that a frame at counter value
        c shows the last step recorded with counter ≤ c. The counter must be one number per step, never falling."""
        values = np.asarray(self.stepped[counter])
        if values.ndim != 1 and values.size != len(values):
            raise ValueError(f"{counter!r} must be one number per step, not {values.shape[1:]} per step")
        keys = values.ravel()
        if not np.all(np.isfinite(keys)) or not np.array_equal(keys, np.round(keys)):
            raise ValueError(f"{counter!r} must hold whole numbers to count frames by")
        if np.any(np.diff(keys) < 0):
            at = int(np.flatnonzero(np.diff(keys) < 0)[0]) + 1
            raise ValueError(f"{counter!r} falls from {keys[at - 1]:g} to {keys[at]:g} at step {self.steps[at]}")
        return Trace(steps=keys.astype(np.int64), static=self.static, stepped=self.stepped)

    def field(self, name: str) -> TraceField:
        if name in self.stepped:
            return TraceField(name, self.stepped[name], self.steps)
        return TraceField(name, self.static[name])

    def arrays(self, prefix: str = "") -> dict[str, np.ndarray]:
        """The `.npz` entries of this trace, each key under `prefix`."""
        arrays = {prefix + STEPS_KEY: self.steps}
        arrays |= {prefix + STATIC_PREFIX + k: v for k, v in self.static.items()}
        arrays |= {prefix + STEPPED_PREFIX + k: v for k, v in self.stepped.items()}
        return arrays

    def save(self, path: str | Path | BinaryIO) -> None:
        """Write the trace as `.npz` to a path or an open binary file."""
        np.savez_compressed(path, allow_pickle=False, **self.arrays())

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], prefix: str = "") -> Trace:
        def under(group: str) -> dict[str, np.ndarray]:
            return {k.removeprefix(prefix + group): v for k, v in arrays.items() if k.startswith(prefix + group)}

        return cls(steps=arrays[prefix + STEPS_KEY], static=under(STATIC_PREFIX), stepped=under(STEPPED_PREFIX))

    @classmethod
    def load(cls, path: str | Path | BinaryIO, source: str | None = None, *, max_bytes: float = math.inf) -> Trace:
        """A trace written by `save`, or one source's trace from a file written by `save_traces`.

        The file's headers are checked first (`resolve/npz.py`): a file that is not an `.npz` of plain arrays
        raises `NotATrace`, one declaring more than `max_bytes` raises `TooLarge`, before any data is read.
        """
        if not isinstance(path, str | Path):
            return cls._load_open(path, source, max_bytes)
        with open(path, "rb") as handle:
            return cls._load_open(handle, source, max_bytes)

    @classmethod
    def _load_open(cls, handle: BinaryIO, source: str | None, max_bytes: float) -> Trace:
        prefix = trace_prefix(list(read_headers(handle, max_bytes)), source)
        handle.seek(0)
        with np.load(handle, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files if k.startswith(prefix)}
        return cls.from_arrays(arrays, prefix)


def trace_prefix(keys: list[str], source: str | None) -> str:
    """The key prefix of the trace to read from a file holding `keys`: `""` for a single `Trace.save`, or
    `"<source>/"` for one source of a file written by `save_traces` (which `source` names when it holds several).

    Raises `NotATrace` for a file with no trace in it and `KeyError` naming the sources when `source` does not fit.
    """
    names = saved_sources(keys)
    if not names:
        if STEPS_KEY not in keys:
            raise NotATrace(f"it has no {STEPS_KEY} entry")
        if source is not None:
            raise KeyError(f"the file holds a single unnamed trace, not one of source {source!r}")
        return ""
    if source is None:
        if len(names) > 1:
            raise KeyError(f"the file holds the traces of several sources ({', '.join(names)}); name one")
        source = names[0]
    if source not in names:
        raise KeyError(f"the file has no source {source!r} (it has {', '.join(names)})")
    return f"{source}/"


def saved_sources(keys: Iterable[str]) -> list[str]:
    """Names of the sources in a file written by `save_traces` (none for a single `Trace.save`), from its keys."""
    return sorted(k.removesuffix("/" + STEPS_KEY) for k in keys if k.endswith("/" + STEPS_KEY))


def save_traces(traces: dict[str, Trace], path: str | Path | BinaryIO) -> None:
    """Every source's trace in one `.npz`: keys `<source>/__steps__`, `<source>/static/<field>`, …"""
    arrays: dict[str, np.ndarray] = {}
    for name, trace in traces.items():
        arrays |= trace.arrays(f"{name}/")
    np.savez_compressed(path, allow_pickle=False, **arrays)
