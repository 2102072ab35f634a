"""Templates with a fixed set of names (`{value}`, `{last}`, `{name}`), shared by the counter layer and the
path's head labels, and the general number format they use when a template gives none.

A value that keeps changing must stay readable however small it gets: a fixed `.4f` shows a falling loss as
`0.0000` once it drops below 5e-5, so an unformatted number is written with significant digits (`.4g`), and
a whole number (a step, an epoch) as an integer.
"""

from __future__ import annotations

import string

import numpy as np

from scenespec.layers.text import format_problem
from scenespec.validate.drawable import check_label

GENERAL = ".4g"
"""The format of a number a template writes without a format spec: four significant digits."""


def general(value: object, spec: str = "") -> str:
    """`value` formatted with `spec`; without one, a whole number as an integer and others with `GENERAL`."""
    if spec:
        return format(value, spec)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        return str(value)
    if float(value).is_integer() and abs(float(value)) < 1e15:
        return str(int(value))
    return format(float(value), GENERAL)


def parse_template(
    template: str, names: tuple[str, ...], samples: dict[str, tuple[object, ...]]
) -> list[tuple[str, str, str]]:
    """(literal text, name, format spec) parts of `template`, whose fields may only be `names`; raises ValueError.

    `samples[name]` are values the field may hold, to try its format spec on before any data exists."""
    parts = []
    for literal, name, spec, conversion in string.Formatter().parse(template):
        if conversion:
            raise ValueError(f"conversions like '!{conversion}' are not supported")
        if name is not None and name not in names:
            allowed = ", ".join("{" + n + "}" for n in names)
            raise ValueError(f"{{{name}}} is not one of {allowed}")
        if spec and "{" in spec:
            raise ValueError("nested fields in a format spec are not supported")
        if name and spec:
            problem = format_problem(spec, samples.get(name, (1.5, 2, "a")))
            if problem is not None:
                raise ValueError(f"{{{name}:{spec}}}: {problem}")
        parts.append((literal, name or "", spec or ""))
    check_label("".join(literal + ("1" if name else "") for literal, name, _ in parts))  # its math must parse
    return parts


def fill(parts: list[tuple[str, str, str]], values: dict[str, object]) -> str:
    """The template's parts filled with `values`, each number in its format spec or the general one."""
    return "".join(literal + (general(values[name], spec) if name else "") for literal, name, spec in parts)
