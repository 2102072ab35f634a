"""A standing fuzz test: generated and mutated specs never end in anything but a spec error.

Three kinds of mutation, each deterministic (the same examples in every run, so CI is repeatable):
values set, removed or added anywhere in a valid spec's tree; characters inserted, removed or swapped in
its TOML text; and, for a sample of mutated specs that still validate, a render of one frame in memory.
"""

from __future__ import annotations

import json
import math
import tomllib
from typing import Any

from helpers import SPEC
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scenespec import load
from scenespec.errors import RenderError, SpecError

BOWL = """\
[scene]
size = [4.0, 3.0]
dpi = 40

[sources.bowl]
kind = "optimizer"
objective = "elliptic"
x = [-10, 10]
y = [-10, 10]
start = [-7.0, 2.0]
steps = 5
optimizers = [{ name = "sgd", lr = 0.95 }, { name = "adam", lr = 0.5 }]

[frames]
steps = "all"
fps = 4

[[panels]]
xlabel = "x"
legend = "upper right"
layers = [
  { kind = "contour", x = "bowl.X", y = "bowl.Y", z = "bowl.Z", levels = 5, cmap = "Greys" },
  { kind = "path", x = "bowl.x", y = "bowl.y", names = "bowl.names" },
  { kind = "text", text = "step {step}", at = [0.03, 0.95], coords = "axes" },
]
"""
BASES = {"linreg": tomllib.loads(SPEC), "bowl": tomllib.loads(BOWL)}
BASES["linreg"]["scene"]["dpi"] = 30

FUZZ = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

SCALARS = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([0, 1, -1, 2**31, 2**63, 10**20]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1e-300, 1e300, math.inf, -math.inf, math.nan]),
    st.booleans(),
    st.text(max_size=12),
    st.sampled_from(
        ["fit.x", "fit.loss", "bowl.x", "transforms.a", "all", "{", "}", "{step:q}", "\x00", "C0", "..", ""]
    ),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=6,
)


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path in a spec tree, tables and lists included."""
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += paths(value, (*prefix, index))
    return found


@st.composite
def mutated(draw: st.DrawFn, parts: tuple[str, ...] | None = None) -> dict[str, Any]:
    """A base spec with one to three values set, removed or added."""
    name = draw(st.sampled_from(sorted(BASES)))
    data = json.loads(json.dumps(BASES[name]))
    for _ in range(draw(st.integers(1, 3))):
        candidates = [p for p in paths(data) if parts is None or p[0] in parts]
        if not candidates:
            break
        path = draw(st.sampled_from(candidates))
        parent: Any = data
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["set", "set", "remove", "add"]))
        if action == "set":
            parent[path[-1]] = draw(VALUES)
        elif action == "remove":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=8))] = draw(VALUES)
        else:
            parent.append(draw(VALUES))
    return data


PLAUSIBLE_STRINGS = [
    "red", "C1", "#ff000080", "none", "o", "x", "", "best", "upper right", "g--", "step {step}", "{step:.3e}",
    "Ünïcödé ∑ 学习", "a" * 300, "$x^2$", "$\\frac{", "log", "linear", "equal", "auto", "axes", "data", "grow",
    "fixed", "final", "all", "viridis", "Greys", "fit.x", "fit.loss", "bowl.x", "bowl.Z", "\n", "line\nbreak",
]  # fmt: skip


def nearby(value: Any) -> st.SearchStrategy[Any]:
    """Values of the same type as `value`, from ordinary to extreme: specs that may well validate."""
    if isinstance(value, bool):
        return st.booleans()
    if isinstance(value, int):
        return st.sampled_from([0, 1, 2, -1, 3, 7, 50, 1000, 10**6, 10**9, 2**53])
    if isinstance(value, float):
        return st.sampled_from([0.0, 1e-9, 0.5, 1.0, 2.0, -1.0, 100.0, 1e6, 1e15, 1e30, math.inf, math.nan])
    if isinstance(value, str):
        return st.sampled_from(PLAUSIBLE_STRINGS)
    if isinstance(value, list):
        return st.tuples(*(nearby(item) for item in value)).map(list) if value else st.just([])
    return st.just(value)


@st.composite
def nudged(draw: st.DrawFn, parts: tuple[str, ...]) -> dict[str, Any]:
    """A base spec with one to three leaves under `parts` changed to other values of their type."""
    name = draw(st.sampled_from(sorted(BASES)))
    data = json.loads(json.dumps(BASES[name]))
    leaves = [p for p in paths(data) if p[0] in parts and not isinstance(_at(data, p), dict)]
    for path in draw(st.lists(st.sampled_from(leaves), min_size=1, max_size=3, unique=True)):
        parent = _at(data, path[:-1])
        parent[path[-1]] = draw(nearby(parent[path[-1]]))
    return data


def _at(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


def load_or_spec_error(source: Any, **kwargs: Any) -> Any:
    try:
        return load(source, **kwargs)
    except SpecError as error:
        assert error.problems, "a SpecError names at least one problem"
        assert str(error)
        return None


@FUZZ
@given(mutated())
def test_mutated_specs_validate_or_give_spec_errors(data: dict[str, Any]) -> None:
    load_or_spec_error(data)
    text = json.dumps(data, allow_nan=True)
    load_or_spec_error(text, format="json")


@FUZZ
@given(
    st.sampled_from([SPEC, BOWL]),
    st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 4), st.text(max_size=3)), min_size=1, max_size=4),
)
def test_mutated_text_validates_or_gives_spec_errors(text: str, edits: list[tuple[int, int, str]]) -> None:
    for position, removed, inserted in edits:
        at = position % (len(text) + 1)
        text = text[:at] + inserted + text[at + removed :]
    load_or_spec_error(text, format="toml")


@settings(FUZZ, max_examples=40)
@given(nudged(parts=("scene", "frames", "panels")))
def test_a_bounded_render_of_mutated_specs_never_tracebacks(data: dict[str, Any]) -> None:
    """Values nudged to others of their type, so that many still validate and are drawn. Sources are left
    alone (their cost has its own limits); everything that is drawn is fuzzed."""
    spec = load_or_spec_error(data)
    if spec is None:
        return
    try:
        pixels = spec.render(frame=0).to_bytes("png")
    except (SpecError, RenderError):
        return
    assert pixels.startswith(b"\x89PNG")
