"""Local task runners: this process, or a pool of processes on this machine."""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor

from scenespec.interrupt import deferred
from scenespec.render.executors import available_cores, can_fork
from scenespec.render.lifeline import end_with
from scenespec.tasks import Item, Result, TaskRunner

IN_FLIGHT_PER_WORKER = 2


class SerialTasks(TaskRunner):
    """Each task in this process, one after another."""

    def runs_here(self, count: int) -> bool:
        return True

    def map(self, function: Callable[[Item], Result], items: Sequence[Item]) -> Iterator[Result]:
        for item in items:
            yield function(item)


def _start_worker(parent: int) -> None:
    # Ctrl-C and SIGTERM are the parent's to handle (it stops the pool); a worker ends when the parent does.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    end_with(parent)


class ProcessTasks(TaskRunner):
    """A pool of `workers` local processes (fork where the platform has it), started at the first `map`."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = max(1, workers or available_cores())
        self._pool: ProcessPoolExecutor | None = None

    def _started(self) -> ProcessPoolExecutor:
        if self._pool is None:
            context = multiprocessing.get_context("fork" if can_fork() else "spawn")
            self._pool = ProcessPoolExecutor(
                self.workers, mp_context=context, initializer=_start_worker, initargs=(os.getpid(),)
            )
        return self._pool

    def runs_here(self, count: int) -> bool:
        return count <= 1 or self.workers == 1

    def map(self, function: Callable[[Item], Result], items: Sequence[Item]) -> Iterator[Result]:
        if self.runs_here(len(items)):
            yield from SerialTasks().map(function, items)
            return
        pool = self._started()
        pending: deque[Future[Result]] = deque()
        upcoming = iter(items)
        window = self.workers * IN_FLIGHT_PER_WORKER
        try:
            with deferred():
                for item in upcoming:
                    pending.append(pool.submit(function, item))
                    if len(pending) >= window:
                        break
            while pending:
                with deferred():
                    result = pending.popleft().result()
                    following = next(upcoming, None)
                    if following is not None:
                        pending.append(pool.submit(function, following))
                yield result
        except BaseException:
            for future in pending:
                future.cancel()
            self.close(wait=True)
            raise

    def close(self, wait: bool = True) -> None:
        if self._pool is not None:
            with deferred(then_raise=False):
                self._pool.shutdown(wait=wait, cancel_futures=True)
            self._pool = None


def local_runner(workers: int | None = None) -> TaskRunner:
    """This process for one worker, else a process pool (one worker per core when `workers` is None)."""
    count = workers or available_cores()
    return ProcessTasks(count) if count > 1 else SerialTasks()
