"""How a long-running source says how far it is (epoch 1200 of 4000), for the progress line.

Sources call `report` in their loops; the progress line listens while it is shown (`listening`). Nobody
listening costs one call and a test per epoch. A plain module global, not a parameter, so that sources and the
training loops need no progress argument threaded through them; only the main thread resolves sources.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

Listener = Callable[[int, int], None]

_listeners: list[Listener] = []


def report(done: int, total: int) -> None:
    """`done` of `total` steps (epochs, optimizer steps) are done."""
    if _listeners:
        _listeners[-1](done, total)


@contextmanager
def listening(listener: Listener) -> Iterator[None]:
    _listeners.append(listener)
    try:
        yield
    finally:
        _listeners.remove(listener)
