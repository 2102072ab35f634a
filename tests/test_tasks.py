"""Task runners: results in the items' order, errors raised at their item, work really done in other processes."""

from __future__ import annotations

import os
import time

import pytest

from scenespec.tasks import task_runner
from scenespec.tasks.local import ProcessTasks, SerialTasks


def _square_after(item: tuple[int, float]) -> tuple[int, int]:
    """The square of item[0], after sleeping item[1] seconds (so later items can finish first), and the pid."""
    value, pause = item
    time.sleep(pause)
    return value * value, os.getpid()


def _fails_at_three(value: int) -> int:
    if value == 3:
        raise ValueError("three is not allowed")
    return value


def test_results_come_back_in_the_order_of_the_items_even_when_later_ones_finish_first() -> None:
    items = [(value, 0.3 if value == 0 else 0.0) for value in range(7)]
    with ProcessTasks(2) as runner:
        results = list(runner.map(_square_after, items))
    assert [square for square, _ in results] == [value * value for value in range(7)]
    pids = {pid for _, pid in results}
    assert os.getpid() not in pids and len(pids) == 2


def test_a_failing_task_raises_at_its_item_after_the_earlier_results() -> None:
    seen: list[int] = []
    with ProcessTasks(2) as runner, pytest.raises(ValueError, match="three is not allowed"):
        for result in runner.map(_fails_at_three, list(range(8))):
            seen.append(result)
    assert seen == [0, 1, 2]


def test_the_local_runner_stays_in_this_process_for_one_worker() -> None:
    runner = task_runner("local", workers=1)
    assert isinstance(runner, SerialTasks)
    assert [pid for _, pid in runner.map(_square_after, [(2, 0.0), (3, 0.0)])] == [os.getpid()] * 2


def test_a_pool_reused_for_a_second_map_gives_the_same_results_as_serial() -> None:
    items = [(value, 0.0) for value in range(5)]
    serial = [square for square, _ in SerialTasks().map(_square_after, items)]
    with ProcessTasks(2) as runner:
        first = [square for square, _ in runner.map(_square_after, items)]
        second = [square for square, _ in runner.map(_square_after, items[::-1])]
    assert first == serial and second == serial[::-1]


def test_unknown_executor_and_misplaced_scheduler_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown executor 'spark'; expected one of local, dask"):
        task_runner("spark")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="a scheduler address is for the dask executor"):
        task_runner("local", scheduler="tcp://127.0.0.1:8786")
