"""Channels: what a layer kind draws from, declared in one table per kind.

Like plotnine's `REQUIRED_AES` / `DEFAULT_AES`, each layer model lists its `channels`:

- a **data channel** is bound to a trace field (`source.field`). The table says whether the field
  must be recorded per step (`stepped`), must be `static`, or may be `either`, and what one step's
  value looks like (`shape`, below). Bindings are checked against the table before anything runs
  (`validate/references.py`), and shapes when the layer's painter is made (compile stage), so a bad
  binding is a located spec error rather than a matplotlib traceback.
- a **style channel** is a constant only (a colour, a width) with a default: the kind's own value,
  `theme(...)` (rcParams of the scene's style, read when the layer is built), `CYCLE` (the style's
  property cycle) or `ByField(...)` (depends on another field). Its model field defaults to None,
  meaning "this default"; `Painter.style(name)` gives the value in effect.

Shapes, of one step's value (of the whole value for a static field):

| shape | means |
| --- | --- |
| `scalar` | one number |
| `vector` | a 1-D array, e.g. values over x |
| `grid` | a 2-D array, e.g. z over a meshgrid |
| `columns` | a number or a 1-D row: one column per series (a path per optimizer) |
| `matched:x` | the same shape as channel `x` |
| `any` | anything |

Alternatives are joined with `|`: `grid|vector` is a 2-D grid or 1-D points. A channel with a shape other than
`any` holds numbers: a field of text (an optimizer source's `names`) bound to it is an error.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union, get_args, get_origin

import numpy as np

from scenespec.validate.base import BINDING_PATTERN

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

Timing = Literal["stepped", "static", "either"]
MATCHED = "matched:"
SHAPES: dict[str, tuple[str, Callable[[tuple[int, ...]], bool]]] = {
    "scalar": ("one number", lambda shape: int(np.prod(shape)) == 1),
    "vector": ("a 1-D array", lambda shape: len(shape) == 1),
    "grid": ("a 2-D grid", lambda shape: len(shape) == 2),
    "columns": ("a number or a 1-D row (one column per series)", lambda shape: len(shape) <= 1),
    "any": ("anything", lambda shape: True),
}
"""Shape name -> (what it is called in messages and docs, whether a shape fits it)."""


@dataclass(frozen=True)
class Channel:
    """One channel of a layer kind; see the module docstring. Build style channels with `constant(...)`.

    `bindable`: a data channel, bound as `source.field` (with `shape`, `timing`, `required`); False: a
    style channel, a constant only, whose `default` is a value, `theme(...)`, `CYCLE` or `ByField(...)`.
    """

    name: str
    shape: str = "any"
    timing: Timing = "either"
    required: bool = False
    bindable: bool = True
    default: Any = None

    def __post_init__(self) -> None:
        for option in self.options:
            if option not in SHAPES and not (option.startswith(MATCHED) and option != MATCHED):
                known = ", ".join([*SHAPES, "matched:NAME"])
                raise ValueError(f"channel {self.name!r}: unknown shape {option!r} (shapes: {known})")
        if not self.bindable and (self.required or self.timing != "either" or self.shape != "any"):
            raise ValueError(f"channel {self.name!r}: a style channel has a default, not a shape, timing or required")
        if self.bindable and self.default is not None:
            raise ValueError(f"channel {self.name!r}: a data channel has no default (it is bound or left out)")

    @property
    def options(self) -> list[str]:
        return self.shape.split("|")

    @property
    def matches(self) -> str | None:
        """The channel whose shape this one must have (`matched:x` -> `x`)."""
        return next((o.removeprefix(MATCHED) for o in self.options if o.startswith(MATCHED)), None)

    def describe(self) -> str:
        """A data channel's contract, for the reference: e.g. `recorded per step, one number`."""
        parts = {"stepped": ["recorded per step"], "static": ["static"], "either": []}[self.timing]
        if self.shape != "any":
            parts.append(" or ".join(_shape_words(o) for o in self.options))
        return ", ".join(parts)


def constant(name: str, default: Any) -> Channel:
    """A style channel: a constant only, whose default is a value, `theme(...)`, `CYCLE` or `ByField(...)`."""
    return Channel(name, bindable=False, default=default)


def _shape_words(option: str) -> str:
    return SHAPES[option][0] if option in SHAPES else f"the shape of `{option.removeprefix(MATCHED)}`"


# --- style defaults ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Theme:
    """A default from the scene's style, read when the layer is built: the first of the rcParams `keys`
    that is set, raised to `power` (scatter's marker area is `lines.markersize` squared), times `scale` (a text
    layer's size is 1.2 × `font.size`: 12 points at matplotlib's defaults, and larger in a theme for slides)."""

    keys: tuple[RcKeyType, ...]
    power: int = 1
    scale: float = 1.0

    def resolve(self) -> Any:
        import matplotlib  # a theme default is read when a layer is built, never when a spec is checked

        value = next((matplotlib.rcParams[k] for k in self.keys if matplotlib.rcParams[k] is not None), None)
        if value is None:
            return None
        value = value**self.power if self.power != 1 else value
        return value * self.scale if self.scale != 1.0 else value

    def describe(self) -> str:
        import matplotlib.style

        with matplotlib.style.context("default"):
            value = self.resolve()
        name = ", else ".join(f"`{k}`" for k in self.keys) + ("²" if self.power == 2 else "")
        factor = f" × {self.scale:.3g}" if self.scale != 1.0 else ""
        return f"theme {name}{factor}: {_literal(value)}"


def theme(*keys: RcKeyType, power: int = 1, scale: float = 1.0) -> Theme:
    """A default from the scene's style: rcParams `keys[0]`, else the next of `keys` that is set (then raised to
    `power` and multiplied by `scale`)."""
    return Theme(keys, power, scale)


@dataclass(frozen=True)
class Cycle:
    """The next colour of the scene's property cycle (`axes.prop_cycle`). Matplotlib picks it as it draws
    (lines and patches each take their own next colour), so it resolves to None: left unset."""

    def resolve(self) -> None:
        return None

    def describe(self) -> str:
        return "theme: next colour of `axes.prop_cycle`"


CYCLE = Cycle()


@dataclass(frozen=True)
class ByField:
    """A default that depends on another field of the layer, e.g. a surface's line width on its `style`."""

    field: str
    values: Mapping[Any, Any]

    def pick(self, spec: Any) -> Any:
        return self.values.get(getattr(spec, self.field))

    def describe(self) -> str:
        return ", ".join(f"{describe_default(v)} ({self.field} {_literal(k)})" for k, v in self.values.items())


def resolve_default(default: Any, spec: Any) -> Any:
    """A style channel's default as it applies now to `spec`: reads rcParams, so call it inside the scene's style."""
    if isinstance(default, ByField):
        return resolve_default(default.pick(spec), spec)
    if isinstance(default, Theme | Cycle):
        return default.resolve()
    return default


def describe_default(default: Any) -> str:
    """A style channel's default as the reference shows it (theme values as under matplotlib's `default` style)."""
    if isinstance(default, Theme | Cycle | ByField):
        return default.describe()
    return "—" if default is None else _literal(default)


def _literal(value: Any) -> str:
    return f"`{value!r}`".replace("'", '"')


# --- checks --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bound:
    """What the shape check needs of a bound trace field: its binding, one step's shape, whether it is stepped."""

    binding: str
    shape: tuple[int, ...]
    stepped: bool
    numeric: bool = True
    """Whether the field holds numbers (or booleans), not text."""


def shape_problems(kind: str, channels: tuple[Channel, ...], bound: Mapping[str, Bound]) -> list[tuple[str, str]]:
    """(channel name, message) for every bound field whose timing or shape does not fit its channel.

    A field that must match another is not checked when that other one is unbound or wrong itself.
    """
    problems: list[tuple[str, str]] = []
    failed: set[str] = set()
    for channel in channels:
        field = bound.get(channel.name)
        if field is None or not channel.bindable:
            continue
        message = (
            _timing_problem(channel, field)
            or _shape_problem(channel, field, bound, failed)
            or _text_problem(channel, field)
        )
        if message:
            failed.add(channel.name)
            problems.append((channel.name, f"{kind} layer: {channel.name} = {field.binding!r} {message}"))
    return problems


def _text_problem(channel: Channel, field: Bound) -> str | None:
    if channel.shape != "any" and not field.numeric:
        return "holds text; expected numbers"
    return None


def _timing_problem(channel: Channel, field: Bound) -> str | None:
    if channel.timing == "stepped" and not field.stepped:
        return "is static; expected a field recorded per step"
    if channel.timing == "static" and field.stepped:
        return "is recorded per step; expected a static field"
    return None


def _shape_problem(channel: Channel, field: Bound, bound: Mapping[str, Bound], failed: set[str]) -> str | None:
    expected: list[str] = []
    for option in channel.options:
        if option.startswith(MATCHED):
            other = option.removeprefix(MATCHED)
            reference = bound.get(other)
            if reference is None or other in failed or field.shape == reference.shape:
                return None
            expected.append(f"the shape of {other} = {reference.binding!r}: {reference.shape}")
        elif SHAPES[option][1](field.shape):
            return None
        else:
            expected.append(SHAPES[option][0])
    per_step = " per step" if field.stepped else ""
    return f"has shape {field.shape}{per_step}; expected {' or '.join(expected)}"


def check_table(model: Any) -> None:
    """Raise TypeError unless a layer model's channel table agrees with its fields.

    Every channel is a field; the data channels are exactly the fields holding a binding, required where the
    field is; a style channel's field defaults to None (which means the channel's default).
    """
    names = [c.name for c in model.channels]
    problems = [f"channel {n!r} is declared twice" for n in sorted({n for n in names if names.count(n) > 1})]
    fields = model.model_fields
    for channel in model.channels:
        info = fields.get(channel.name)
        if info is None:
            problems.append(f"channel {channel.name!r} is not a field of the model")
            continue
        if channel.matches is not None and channel.matches not in names:
            problems.append(f"channel {channel.name!r} matches {channel.matches!r}, which is not a channel")
        if channel.bindable and channel.required != info.is_required():
            problems.append(f"channel {channel.name!r} says required={channel.required}, and its field does not")
        if not channel.bindable and info.default is not None:
            problems.append(f"style channel {channel.name!r}: its field must default to None, not {info.default!r}")
    bindings = {name for name, info in fields.items() if holds_binding(info)}
    declared = {c.name for c in model.channels if c.bindable}
    problems += [f"field {name!r} holds a binding and has no channel" for name in sorted(bindings - declared)]
    problems += [f"channel {name!r} is bindable and its field is not a Binding" for name in sorted(declared - bindings)]
    if problems:
        raise TypeError(f"layer model {model.__name__}: " + "; ".join(problems))


def holds_binding(info: Any) -> bool:
    """Whether a pydantic field holds a `Binding` (or `Binding | None`)."""
    return _is_binding(info.annotation, info.metadata)


def _is_binding(annotation: Any, metadata: list[Any]) -> bool:
    if any(getattr(item, "pattern", None) == BINDING_PATTERN for item in metadata):
        return True
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return _is_binding(args[0], list(args[1:]))
    if origin in (Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        return bool(options) and all(_is_binding(a, []) for a in options)
    return False
