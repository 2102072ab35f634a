"""Trace: the numbers a source produces, static arrays and arrays indexed by step.

A trace is plain numpy, so it can be saved to `.npz`, reloaded, and checked
against an independent computation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

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

    def field(self, name: str) -> TraceField:
        if name in self.stepped:
            return TraceField(name, self.stepped[name], self.steps)
        return TraceField(name, self.static[name])

    def save(self, path: str | Path) -> None:
        arrays = {STEPS_KEY: self.steps}
        arrays |= {STATIC_PREFIX + k: v for k, v in self.static.items()}
        arrays |= {STEPPED_PREFIX + k: v for k, v in self.stepped.items()}
        np.savez_compressed(path, **arrays)

    @classmethod
    def load(cls, path: str | Path) -> Trace:
        with np.load(path) as npz:
            static = {k.removeprefix(STATIC_PREFIX): npz[k] for k in npz.files if k.startswith(STATIC_PREFIX)}
            stepped = {k.removeprefix(STEPPED_PREFIX): npz[k] for k in npz.files if k.startswith(STEPPED_PREFIX)}
            return cls(steps=npz[STEPS_KEY], static=static, stepped=stepped)
