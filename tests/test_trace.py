"""TraceField: which recorded value each step shows."""

from __future__ import annotations

import numpy as np
import pytest

from scenespec.resolve.trace import Trace


def sample() -> Trace:
    return Trace(steps=[0, 10, 20], static={"x": np.arange(3.0)}, stepped={"loss": np.array([9.0, 4.0, 1.0])})


def test_stepped_field_shows_the_last_record_at_or_before_the_step() -> None:
    loss = sample().field("loss")
    assert [float(loss.at(s)) for s in (0, 5, 10, 19, 20, 99)] == [9, 9, 4, 4, 1, 1]
    steps, values = loss.upto(15)
    assert steps.tolist() == [0, 10] and values.tolist() == [9, 4]


def test_static_field_is_the_same_at_every_step() -> None:
    x = sample().field("x")
    assert not x.stepped
    np.testing.assert_array_equal(x.at(123), [0, 1, 2])


def test_over_returns_the_values_shown_at_the_given_steps() -> None:
    assert sample().field("loss").over(np.array([0, 5, 12])).tolist() == [9, 4]


def test_rows_must_match_steps() -> None:
    with pytest.raises(ValueError, match="has 2 rows for 3 steps"):
        Trace(steps=[0, 1, 2], stepped={"w": np.zeros(2)})
