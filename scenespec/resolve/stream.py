"""A trace that grows while frames are drawn: a user's training loop or a log being written appends steps.

Readers (`snapshot`, `field`) see only complete steps: a step's values are checked and stored together,
under a lock, before the step count moves. Listeners are told after every append which steps arrived, and
once more when the trace is closed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from scenespec.resolve.trace import Trace, TraceField

Listener = Callable[["StreamingTrace", list[int], bool], None]
"""Called as `listener(trace, new_steps, closed)` after each append (new_steps) and on close (closed=True)."""


class StreamingTrace:
    """An appendable trace: `static` arrays given once, stepped fields appended one step at a time.

    `stepped` names the fields every step records (so bindings can be checked before the first step);
    when omitted, the first `append` fixes them. Steps must increase; every step records every field,
    with the same shape each time.
    """

    def __init__(self, static: Mapping[str, Any] | None = None, stepped: Iterable[str] | None = None) -> None:
        self.static = {name: np.asarray(value) for name, value in (static or {}).items()}
        self._names: tuple[str, ...] | None = tuple(stepped) if stepped is not None else None
        self._steps: list[int] = []
        self._rows: dict[str, list[np.ndarray]] = {}
        self._shapes: dict[str, tuple[int, ...]] = {}
        self._lock = threading.Lock()
        self._listeners: list[Listener] = []
        self._snapshot: Trace | None = None
        self.closed = False

    @property
    def stepped_names(self) -> tuple[str, ...]:
        return self._names or ()

    @property
    def names(self) -> list[str]:
        return sorted({*self.static, *self.stepped_names})

    @property
    def steps(self) -> np.ndarray:
        return self.snapshot().steps

    def __len__(self) -> int:
        return len(self._steps)

    def append(self, step: int, /, **values: Any) -> None:
        """Record one step: every stepped field's value at `step` (a number or an array)."""
        if self.closed:
            raise ValueError("the trace is closed: no more steps can be appended")
        rows = {name: np.asarray(value) for name, value in values.items()}
        with self._lock:
            names = self._names if self._names is not None else tuple(rows)
            missing, extra = sorted(set(names) - set(rows)), sorted(set(rows) - set(names))
            if missing or extra:
                raise ValueError(f"step {step}: expected fields {sorted(names)}; missing {missing}, unexpected {extra}")
            if self._steps and step <= self._steps[-1]:
                raise ValueError(f"step {step} after step {self._steps[-1]}: steps must increase")
            for name, row in rows.items():
                shape = self._shapes.setdefault(name, row.shape)
                if row.shape != shape:
                    raise ValueError(f"step {step}: field {name!r} has shape {row.shape}, earlier steps {shape}")
            self._names = names
            for name, row in rows.items():
                self._rows.setdefault(name, []).append(row)
            self._steps.append(int(step))  # last: readers count complete steps by this list
            self._snapshot = None
        self._notify([int(step)], False)

    def close(self) -> None:
        """No more steps will come: listeners finish (a live render writes its last frames and its file)."""
        if not self.closed:
            self.closed = True
            self._notify([], True)

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener` after every append and on close; returns a function that unsubscribes it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def snapshot(self) -> Trace:
        """A plain `Trace` of the complete steps so far (cached until the next append)."""
        with self._lock:
            if self._snapshot is None:
                count = len(self._steps)
                stepped = {
                    name: np.stack(self._rows[name][:count])
                    if count
                    else np.zeros((0, *self._shapes.get(name, ())), dtype=float)
                    for name in self.stepped_names
                }
                self._snapshot = Trace(steps=np.asarray(self._steps[:count], dtype=np.int64), static=self.static,
                                       stepped=stepped)  # fmt: skip
            return self._snapshot

    def field(self, name: str) -> TraceField:
        return self.snapshot().field(name)

    def _notify(self, steps: list[int], closed: bool) -> None:
        for listener in list(self._listeners):
            listener(self, steps, closed)
