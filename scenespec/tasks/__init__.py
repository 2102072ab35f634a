"""Task runners: independent pieces of work (one spec of a gallery, one point of a sweep) run somewhere else.

Frame executors (`scenespec/render/executors.py`) share one scene's frames among workers; a task runner
runs whole tasks: a module-level function applied to picklable items, whose picklable results (bytes,
arrays, traces, plain data) come back to this process in the order of the items. A task never starts a
pool of its own: it renders its frames in its worker, so a machine's cores are shared once.

`task_runner("local")` runs tasks here or in local processes; `task_runner("dask", scheduler=ADDRESS)` on a
Dask cluster (`scenespec.tasks.dask`, imported only then).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Sequence
from types import TracebackType
from typing import Literal, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")
ExecutorName = Literal["local", "dask"]
EXECUTORS: tuple[ExecutorName, ...] = ("local", "dask")


class TaskRunner:
    """Runs `function` over items; results are yielded in the items' order, and a task's exception is raised
    from the iteration at its item (the tasks not yet started are then cancelled)."""

    workers: int = 1

    def runs_here(self, count: int) -> bool:
        """Whether `count` tasks would run in this process (so a task may use this machine's cores itself)."""
        return False

    def map(self, function: Callable[[Item], Result], items: Sequence[Item]) -> Iterator[Result]:
        raise NotImplementedError

    def close(self) -> None:
        """Release the workers (a no-op for runners that hold none)."""

    def __enter__(self) -> TaskRunner:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


def task_runner(
    executor: ExecutorName = "local", *, workers: int | None = None, scheduler: str | None = None
) -> TaskRunner:
    """A runner: `local` (this process for one worker, else a pool of `workers` processes, one per core by
    default) or `dask` (the cluster at `scheduler`, or a local cluster of `workers` processes)."""
    if executor == "local":
        if scheduler is not None:
            raise ValueError("a scheduler address is for the dask executor")
        from scenespec.tasks.local import local_runner

        return local_runner(workers)
    if executor == "dask":
        dask_tasks = importlib.import_module("scenespec.tasks.dask")  # needs the dask extra: imported only here
        runner: TaskRunner = dask_tasks.DaskTasks(scheduler=scheduler, workers=workers)
        return runner
    raise ValueError(f"unknown executor {executor!r}; expected one of {', '.join(EXECUTORS)}")


DASK_EXTRA = "pip install 'scenespec[dask]'"


def executor_of(executor: ExecutorName | None, scheduler: str | None) -> ExecutorName:
    """The executor `--executor` and `--scheduler` ask for: given, else `dask` with a scheduler, else `local`."""
    from scenespec.errors import RenderError

    chosen: ExecutorName = executor or ("dask" if scheduler is not None else "local")
    if chosen == "local" and scheduler is not None:
        raise RenderError(f"--scheduler {scheduler} is for --executor dask, not --executor local")
    return chosen


def runner_from_options(
    executor: ExecutorName | None = None, scheduler: str | None = None, workers: int | None = None
) -> TaskRunner:
    """The runner the command line's `--executor`, `--scheduler` and `--workers` ask for, or a RenderError that
    says what is wrong with them. No executor: `dask` when a scheduler is given, else `local`."""
    from scenespec.errors import RenderError

    executor = executor_of(executor, scheduler)
    try:
        return task_runner(executor, workers=workers, scheduler=scheduler)
    except ModuleNotFoundError as exc:
        if executor != "dask" or exc.name is None or exc.name.split(".")[0] not in ("dask", "distributed"):
            raise
        missing = f"{exc.name} is not installed"
        raise RenderError(f"--executor dask needs dask.distributed ({missing}): {DASK_EXTRA}") from None
    except ValueError as exc:
        raise RenderError(str(exc)) from None
