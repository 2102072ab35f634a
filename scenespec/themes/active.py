"""The optimizer colours of the theme a figure is being built in, for the painters that colour series by optimizer.

rcParams carry everything else a theme sets; optimizer colours have no rcParam, so the styling context makes them
current here (`using_optimizer_colors`) while it makes the theme's rcParams current in matplotlib.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from types import MappingProxyType

_CURRENT: ContextVar[Mapping[str, str]] = ContextVar("optimizer_colors", default=MappingProxyType({}))


@contextmanager
def using_optimizer_colors(colors: Mapping[str, str]) -> Iterator[None]:
    """Make `colors` (optimizer name -> colour) the ones `optimizer_color` gives, inside the block."""
    token = _CURRENT.set(MappingProxyType(dict(colors)))
    try:
        yield
    finally:
        _CURRENT.reset(token)


def optimizer_color(name: str) -> str | None:
    """The current theme's colour for optimizer `name` (`sgd`, `adam`, …), or None if it gives none."""
    return _CURRENT.get().get(name)


def series_colors(optimizers: Sequence[str] | None, count: int) -> list[str | None] | None:
    """One colour per series from the optimizer each one plots, or None when the series' optimizers are unknown or
    the theme has no colour for one of them (then the whole layer keeps its own default, so two series never end
    up alike by mixing the table with the colour cycle)."""
    if optimizers is None or len(optimizers) != count:
        return None
    colors = [optimizer_color(name) for name in optimizers]
    return None if any(color is None for color in colors) else colors
