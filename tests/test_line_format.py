"""The `line` layer's `style` check agrees with what matplotlib's `Axes.plot` accepts as a format string."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from scenespec.layers.line import LineLayer, check_format

MARKERS = ["", "o", ".", ",", "1", "8", "s", "*", "+", "x", "D", "|", "_", "^"]
LINES = ["", "-", "--", "-.", ":", " "]
COLOURS = ["", "g", "k", "w", "C0", "C1", "C12"]
WHOLE = ["red", "tab:blue", "xkcd:sky blue", "#ff0000", "#f00", "#ff000080", "0.5", "0.0", "none", "C3", "0", "1"]
INVALID = ["gg", "--:", "qq", "oo", "ro-k", "C", "Cx", "C1g", "g-q", "#ff00", "1.5", "red--", "o--:", "-- -"]


@pytest.fixture(scope="module")
def axes() -> Iterator[Axes]:
    yield Figure().add_subplot()


def plot_accepts(ax: Axes, fmt: str) -> bool:
    """Ground truth: does `Axes.plot(x, y, fmt)` take `fmt`?"""
    try:
        lines = ax.plot([0.0, 1.0], [0.0, 1.0], fmt)
    except ValueError:
        return False
    for line in lines:
        line.remove()
    return True


def check_accepts(fmt: str) -> bool:
    try:
        check_format(fmt)
    except ValueError:
        return False
    return True


def combinations() -> list[str]:
    """Every marker, line style and colour of the samples, in every order."""
    found = set()
    for parts in itertools.product(MARKERS, LINES, COLOURS):
        found.update("".join(order) for order in itertools.permutations(parts))
    return sorted(found)


def test_agrees_with_plot_on_every_combination_in_every_order(axes: Axes) -> None:
    strings = combinations() + WHOLE + INVALID
    assert len(strings) > 1000
    disagree = [s for s in strings if check_accepts(s) != plot_accepts(axes, s)]
    assert not disagree


@pytest.mark.parametrize("fmt", ["g--", "ro", "C1o-", "#ff0000", "0.5", "k", "red", "1", "s:", "--C2", ""])
def test_valid_formats(fmt: str, axes: Axes) -> None:
    assert plot_accepts(axes, fmt)
    check_format(fmt)


@pytest.mark.parametrize(
    ("fmt", "reason"),
    [
        ("gg", "two colours ('g' and 'g')"),
        ("--:", "two line styles ('--' and ':')"),
        ("o-s", "two markers ('o' and 's')"),
        ("qq", "unrecognized character 'q'"),
        ("Cx", "'C' must be followed by a number"),
        ("0", "unrecognized character '0'"),
        ("red--", "unrecognized character 'e'"),
    ],
)
def test_invalid_formats_say_why(fmt: str, reason: str, axes: Axes) -> None:
    assert not plot_accepts(axes, fmt)
    with pytest.raises(ValueError) as info:
        LineLayer.model_validate({"kind": "line", "x": "a.x", "y": "a.y", "style": fmt})
    text = str(info.value)
    assert f"not a matplotlib format string: {fmt!r}" in text
    assert reason in text
    assert "[marker][line][colour]" in text


@settings(max_examples=500, deadline=None)
@given(fmt=st.text(alphabet="o.s1023-:. gkrCw#fed", max_size=7))
def test_agrees_with_plot_on_arbitrary_strings(fmt: str, axes: Axes) -> None:
    assert check_accepts(fmt) == plot_accepts(axes, fmt), fmt
