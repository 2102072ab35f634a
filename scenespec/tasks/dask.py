"""Tasks on a Dask cluster (`dask.distributed`): the machines of a `dask scheduler` and its `dask worker`s, or a
local cluster of worker processes started here.

Tasks and their results cross the network pickled: a task is a module-level function of scenespec (or of an
installed plug-in) and its item, so every worker needs the same scenespec installed, not this machine's files
(see docs/scaling.md). A worker draws with matplotlib, whose settings are process-wide, so the tasks of one
worker process run one at a time whatever its thread count.
"""

from __future__ import annotations

import logging
import os
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import TYPE_CHECKING

import dask.config
from distributed import Client, LocalCluster

from scenespec import __version__
from scenespec.errors import RenderError
from scenespec.interrupt import deferred
from scenespec.render.executors import available_cores
from scenespec.tasks import Item, Result, TaskRunner

if TYPE_CHECKING:
    from distributed import Future

CONNECT_SECONDS = 5
"""How long to try reaching a scheduler before saying it cannot be reached."""
WORKER_SECONDS = 30
"""How long to wait for a scheduler's first worker (a cluster being started) before giving up."""

LOCAL_WORKER_CONFIG = {"distributed.worker.profile.enabled": False}
"""The local cluster's workers do not sample their tasks' stacks every 10 ms for the dashboard (which is off):
measured here, a spec's render took 13.4 s in such a worker with sampling, 11.9 s without, 9.7 s in this process."""

_drawing = threading.Lock()
"""Held by a task while it runs in a worker process (see the module's docstring)."""


def _one_at_a_time(function: Callable[[Item], Result], item: Item) -> Result:
    with _drawing:
        return function(item)


def _versions() -> dict[str, str]:
    """What a worker runs: the versions its outputs depend on."""
    import matplotlib

    return {"scenespec": __version__, "matplotlib": matplotlib.__version__}


def version_problems(here: dict[str, str], workers: dict[str, dict[str, str]]) -> tuple[str | None, str | None]:
    """(error, warning) about workers whose versions differ from `here`: a different scenespec is an error (the
    task functions and their results are scenespec's own), a different matplotlib a warning (the outputs work, but
    their pixels may differ from a render here)."""
    messages: list[str | None] = []
    for package in ("scenespec", "matplotlib"):
        different = {address: found[package] for address, found in workers.items() if found[package] != here[package]}
        if not different:
            messages.append(None)
            continue
        listed = ", ".join(f"{address} has {version}" for address, version in sorted(different.items()))
        messages.append(f"this machine has {package} {here[package]} but {listed}")
    error, warning = messages
    if error is not None:
        error += ": install the same scenespec on every machine"
    if warning is not None:
        warning += ": outputs may differ in their pixels from a render here"
    return error, warning


class DaskTasks(TaskRunner):
    """Tasks on the cluster of the scheduler at `scheduler` (`tcp://host:8786`), or on a local cluster of
    `workers` processes (one per core by default) started here, one thread each, and closed by `close`."""

    def __init__(self, scheduler: str | None = None, workers: int | None = None) -> None:
        self._cluster: LocalCluster | None = None
        if scheduler is None:
            with dask.config.set(LOCAL_WORKER_CONFIG):
                self._cluster = LocalCluster(
                    n_workers=workers or available_cores(),
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    silence_logs=logging.ERROR,
                )
            self._client = Client(self._cluster, set_as_default=False)
        else:
            self._client = _connect(scheduler)
        self.address: str = scheduler or str(self._cluster.scheduler_address if self._cluster else "")
        """The scheduler's address (the local cluster's, when this runner started one)."""
        try:
            self._ready()
        except BaseException:
            self.close()
            raise

    def _ready(self) -> None:
        """Wait for a worker, then check that every worker runs what this machine runs."""
        try:
            self._client.wait_for_workers(1, timeout=WORKER_SECONDS)
        except TimeoutError:
            raise RenderError(
                f"no Dask worker joined the scheduler at {self.address} within {WORKER_SECONDS} s; start one with: "
                f"dask worker {self.address} --nthreads 1"
            ) from None
        error, warning = version_problems(_versions(), self._client.run(_versions))
        if error is not None:
            raise RenderError(f"the Dask workers of {self.address} cannot run these tasks: {error}")
        if warning is not None:
            warnings.warn(f"Dask workers of {self.address}: {warning}", stacklevel=3)
        self.workers = len(self._client.scheduler_info(n_workers=-1)["workers"])

    def worker_pids(self) -> dict[str, int]:
        """Each worker's process id, by address (to tell where tasks ran)."""
        return dict(self._client.run(os.getpid))

    def map(self, function: Callable[[Item], Result], items: Sequence[Item]) -> Iterator[Result]:
        if not items:
            return
        with deferred():
            futures: list[Future[Result]] = self._client.map(partial(_one_at_a_time, function), items, pure=False)
        waiting = list(futures)
        try:
            while waiting:
                result = waiting[0].result()
                waiting.pop(0)
                yield result
        except BaseException:
            with deferred(then_raise=False):
                self._client.cancel(waiting, force=True)
            raise

    def close(self) -> None:
        with deferred(then_raise=False):
            self._client.close()
            if self._cluster is not None:
                self._cluster.close()
                self._cluster = None


def _connect(scheduler: str) -> Client:
    """A client of the scheduler at `scheduler`, or a RenderError naming it."""
    try:
        return Client(scheduler, timeout=CONNECT_SECONDS, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise RenderError(
            f"cannot reach the Dask scheduler at {scheduler} (tried for {CONNECT_SECONDS} s: {_reason(exc)}); "
            "is `dask scheduler` running there, and is its port open to this machine?"
        ) from None
    except (ValueError, TypeError) as exc:
        raise RenderError(f"{scheduler!r} is not a Dask scheduler address such as tcp://host:8786: {exc}") from None


def _reason(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__
