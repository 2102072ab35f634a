"""SIGTERM (a service manager, `kill`, a CI timeout) stops a command the way Ctrl-C does.

Without a handler SIGTERM ends Python at once: no `finally` runs, so a render's `.part` file stays behind and
its ffmpeg is left to finish on its own. Within `interrupts_raise`, SIGTERM raises `Terminated` in the main
thread, a `KeyboardInterrupt`, so every clean-up path written for Ctrl-C runs for it too.

An exception raised at an arbitrary line is not always safe. Python drops it while it runs an at-fork hook, a
finaliser or a callback ("Exception ignored in …"), so the render would carry on; and raised inside
concurrent.futures' own code it can leave a lock held, so that the pool's shutdown waits forever. So the signal
is remembered, code around a worker pool runs `deferred` (the signal is raised when the block ends), and the
render loop calls `raise_if_interrupted` between frames.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class Terminated(KeyboardInterrupt):
    """The process was sent SIGTERM."""


_received: list[int] = []
"""The signal that interrupted the command, once one has (empty outside `interrupts_raise`)."""
_deferring: list[bool] = []
"""Non-empty inside `deferred` blocks."""


def _exception(signum: int) -> KeyboardInterrupt:
    return Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()


def _on_signal(signum: int, frame: FrameType | None) -> None:
    if _received:
        return  # a second signal must not interrupt the clean-up of the first (and print a traceback)
    _received.append(signum)
    if not _deferring:
        raise _exception(signum)


@contextmanager
def deferred(then_raise: bool = True) -> Iterator[None]:
    """Within the block a signal is only remembered; it is raised when the block ends (for code, such as a worker
    pool's, that an exception at an arbitrary line would leave broken). `then_raise=False` for clean-up that runs
    while an exception is already on its way (or while a generator is closed, where a new one would be printed
    as "Exception ignored"): the signal stays remembered for `raise_if_interrupted`."""
    _deferring.append(True)
    try:
        yield
    finally:
        _deferring.pop()
    if then_raise and not _deferring:
        raise_if_interrupted()


def raise_if_interrupted() -> None:
    """Raise the exception of a signal received earlier, in case Python dropped it where it was first raised."""
    if _received:
        raise _exception(_received[0])


@contextmanager
def interrupts_raise() -> Iterator[None]:
    """Within the block (entered in the main thread), SIGTERM raises `Terminated` and Ctrl-C `KeyboardInterrupt`,
    both remembered for `raise_if_interrupted`. A signal the caller ignores stays ignored; the old handlers come
    back after."""
    previous = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    for signum, handler in previous.items():
        if handler != signal.SIG_IGN:
            signal.signal(signum, _on_signal)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        _received.clear()


def exit_status(interrupt: KeyboardInterrupt) -> int:
    """What a shell reports for a process ended by the signal: 128 + its number (130 for Ctrl-C, 143 for SIGTERM)."""
    return 128 + int(signal.SIGTERM if isinstance(interrupt, Terminated) else signal.SIGINT)


def description(interrupt: KeyboardInterrupt) -> str:
    return "terminated (SIGTERM)" if isinstance(interrupt, Terminated) else "interrupted"
