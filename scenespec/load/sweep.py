"""`[sweep]`: one spec, several values of some keys, drawn as small multiples or rendered one output per point.

A sweep is a table of key paths (the `--set` syntax) to lists of values; several keys give their product, the
first key varying slowest. This module works on the loaded data alone, before validation, so that every error
still points into the file: `read_sweep` checks the table, `point_data` is the spec at one point, and `expand`
turns the spec into one scene of small multiples (docs/sweeps.md):

- sources the sweep changes, and the transforms that read them (through any chain), are copied per point
  under new names; the other sources are shared, so they are resolved once;
- each panel is repeated per point, its bindings rewritten to the point's copies, its title followed by the
  point's values, and its copies put in one `share` group (their axis limits are the same);
- the spec's panels, as laid out, are one block per point; blocks sit side by side, wrapping past 4 a row,
  and the figure grows so that each panel keeps its size.
"""

from __future__ import annotations

import copy
import itertools
import json
import math
import re
import string
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from typing import Any

from scenespec.errors import KeyPath, Problem, SpecError, format_path
from scenespec.load.loader import LoadedSpec
from scenespec.load.overrides import Override, apply_overrides

SWEEP = "sweep"
TRANSFORMS = "transforms"
EXPANDABLE = ("sources", TRANSFORMS, "panels")
"""Roots of the keys a small-multiples sweep can vary: the rest (`scene`, `frames`, `output`, `limits`) is one
value for the whole figure, so it is swept only with one output per point (`--split`)."""
BLOCKS_PER_ROW = 4
"""Points side by side before the blocks wrap to a new row."""
SAFE = re.compile(r"[^A-Za-z0-9._=+-]+")
"""What a point's name in a file name may not hold (replaced by `-`)."""
BINDING = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]*)\.(.+)$")


def shown(value: Any) -> str:
    """A swept value as a title or file name shows it: compact numbers (`0.0001`, `1e-05`), `true`, text as is."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}" if math.isfinite(value) else str(value)
    if isinstance(value, int | str):
        return str(value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class SweepKey:
    """One key of `[sweep]`: as written, as a key path, and its values."""

    text: str
    path: KeyPath
    values: tuple[Any, ...]

    @property
    def name(self) -> str:
        """The last named segment of the path (`lr` for `sources.fit.optimizer.lr`): how titles call it."""
        return next((str(part) for part in reversed(self.path) if isinstance(part, str)), self.text)

    @property
    def where(self) -> KeyPath:
        """Where the key is written in the spec, for errors."""
        return (SWEEP, self.text)


@dataclass(frozen=True)
class SweepPoint:
    """One combination of values: `index` counts from 0 in product order (the first key varies slowest)."""

    index: int
    values: tuple[tuple[SweepKey, Any], ...]

    @property
    def label(self) -> str:
        """`lr = 0.0001`; several keys joined by `, `."""
        return ", ".join(f"{key.name} = {shown(value)}" for key, value in self.values)

    @property
    def slug(self) -> str:
        """The point in a file name: `lr=0.0001`, several keys joined by `_`, safe characters only."""
        text = "_".join(f"{key.name}={shown(value)}" for key, value in self.values)
        return SAFE.sub("-", text).strip("-.") or f"point{self.index + 1}"

    def overrides(self) -> list[Override]:
        """The point's values as overrides, each labelled with its sweep key (how errors name them)."""
        return [
            Override(text=f"{key.text}={shown(value)}", path=key.path, value=value, origin="sweep")
            for key, value in self.values
        ]


@dataclass(frozen=True)
class Sweep:
    keys: tuple[SweepKey, ...]

    @property
    def size(self) -> int:
        return math.prod(len(key.values) for key in self.keys)

    def points(self) -> list[SweepPoint]:
        """Every point, in product order: the first key varies slowest."""
        combos = itertools.product(*[[(key, value) for value in key.values] for key in self.keys])
        return [SweepPoint(index, tuple(combo)) for index, combo in enumerate(combos)]


def _key_path(text: str) -> KeyPath | None:
    parts = [part.strip() for part in text.strip().split(".")]
    if not all(parts):
        return None
    return tuple(int(part) if part.isdigit() else part for part in parts)


def read_sweep(loaded: LoadedSpec) -> Sweep | None:
    """The spec's `[sweep]`, or None when it has none; a malformed table is a located SpecError."""
    table = loaded.data.get(SWEEP)
    if table is None:
        return None
    if not isinstance(table, dict):
        raise SpecError([loaded.problem("expected a table of key paths to lists of values", (SWEEP,))])
    if not table:
        raise SpecError([loaded.problem("an empty sweep: give a key path and its values", (SWEEP,))])
    problems: list[Problem] = []
    keys = []
    for text, values in table.items():
        path = _key_path(text)
        if path is None or path[0] == SWEEP:
            what = "a sweep cannot sweep itself" if path else "expected a dotted key path"
            problems.append(loaded.problem(f"{what}, e.g. sources.fit.optimizer.lr", (SWEEP, text)))
        elif not isinstance(values, list):
            problems.append(
                loaded.problem(f"expected a list of values, e.g. [1e-4, 1e-3]; got {values!r}", (SWEEP, text))
            )
        elif not values:
            problems.append(loaded.problem("an empty list: a swept key needs at least one value", (SWEEP, text)))
        else:
            keys.append(SweepKey(text, path, tuple(values)))
    overlapping = [
        (a, b)
        for a, b in itertools.combinations(keys, 2)
        if a.path[: len(b.path)] == b.path or b.path[: len(a.path)] == a.path
    ]
    for a, b in overlapping:
        problems.append(loaded.problem(f"sweeps a key inside {a.text!r}, which is swept too", b.where))
    if problems:
        raise SpecError(problems)
    return Sweep(tuple(keys))


def point_data(data: dict[str, Any], point: SweepPoint) -> dict[str, Any]:
    """The spec's data at one point: without `[sweep]`, the point's values set."""
    out = copy.deepcopy({key: value for key, value in data.items() if key != SWEEP})
    apply_overrides(out, point.overrides())
    return out


@dataclass
class SweptSpec(LoadedSpec):
    """A loaded spec expanded into small multiples: the data is the expanded scene; errors found in it are
    placed back in the spec as written (a copy's source, transform or panel is where the original is)."""

    origin: LoadedSpec | None = None
    """The spec as loaded, with its `[sweep]`."""
    sweep: Sweep | None = None
    renamed: dict[tuple[str, str], tuple[str, int]] = field(default_factory=dict)
    """(`sources` or `transforms`, copy's name) -> (original name, point index)."""
    panels_per_point: int = 1

    def copies(self, source: str) -> list[str]:
        """Every copy of the source that `source` is a copy of (one per point), or [] if it is not a copy."""
        original = self.renamed.get(("sources", source))
        if original is None:
            return []
        return [new for (section, new), old in self.renamed.items() if section == "sources" and old[0] == original[0]]

    def original_path(self, path: KeyPath) -> KeyPath:
        """Where a key of the expanded data was written in the spec."""
        if len(path) >= 2 and path[0] in ("sources", TRANSFORMS) and (str(path[0]), str(path[1])) in self.renamed:
            name, _ = self.renamed[(str(path[0]), str(path[1]))]
            path = (path[0], name, *path[2:])
        elif len(path) >= 2 and path[0] == "panels" and isinstance(path[1], int):
            path = ("panels", path[1] % self.panels_per_point, *path[2:])
        for key in self.sweep.keys if self.sweep else ():
            if path[: len(key.path)] == key.path:
                return key.where
        return path

    def problem(self, message: str, path: KeyPath = ()) -> Problem:
        if self.origin is not None:
            return self.origin.problem(message, self.original_path(path))
        return super().problem(message, self.original_path(path))


def _copy_name(name: str, index: int, taken: set[str]) -> str:
    candidate = f"{name}_{index + 1}"
    while candidate in taken:
        candidate += "_"
    taken.add(candidate)
    return candidate


def _of(spec: Any) -> tuple[str, str] | None:
    """A transform's input binding as (source, field), if it is one."""
    if isinstance(spec, dict) and isinstance(spec.get("of"), str):
        match = BINDING.match(spec["of"])
        if match:
            return match.group(1), match.group(2)
    return None


def _swept_transforms(transforms: dict[str, Any], sources: set[str], direct: set[str]) -> set[str]:
    """Transforms swept themselves or reading a swept source or transform, through any chain."""
    swept = set(direct)
    changed = True
    while changed:
        changed = False
        for name, spec in transforms.items():
            ref = _of(spec)
            if name in swept or ref is None:
                continue
            source, field_name = ref
            if (source == TRANSFORMS and field_name in swept) or (source != TRANSFORMS and source in sources):
                swept.add(name)
                changed = True
    return swept


def _renamer(sources: dict[str, str], transforms: dict[str, str]) -> Any:
    def rename(binding: str) -> str:
        match = BINDING.match(binding)
        if not match:
            return binding
        source, rest = match.groups()
        if source == TRANSFORMS and rest in transforms:
            return f"{TRANSFORMS}.{transforms[rest]}"
        if source in sources:
            return f"{sources[source]}.{rest}"
        return binding

    return rename


def _rename_template(template: str, rename: Any) -> str:
    """A text layer's template with its `{source.field:fmt}` fields renamed; left as is if it does not parse."""
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError:
        return template
    out = []
    for literal, name, spec, conversion in parts:
        out.append(literal.replace("{", "{{").replace("}", "}}"))
        if name is not None:
            out.append(
                "{" + rename(name) + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
            )
    return "".join(out)


def _rename_layer(layer: Any, rename: Any, binding_keys: Any) -> Any:
    """A layer table with its bindings renamed (`binding_keys(kind)`: the keys that hold bindings)."""
    if not isinstance(layer, dict):
        return layer
    out = dict(layer)
    for key in binding_keys(layer.get("kind")):
        if isinstance(out.get(key), str):
            out[key] = rename(out[key])
    if layer.get("kind") == "text" and isinstance(out.get("text"), str):
        out["text"] = _rename_template(out["text"], rename)
    return out


def _grid(data: dict[str, Any]) -> list[list[str]]:
    """The spec's panels as a grid of names (its layout, else stacked), naming unnamed panels `panelN`."""
    panels = data.get("panels", [])
    layout = data.get("scene", {}).get("layout") if isinstance(data.get("scene"), dict) else None
    if layout:
        return [str(row).split() for row in layout]
    return [[str(panel.get("name") or f"panel{i + 1}")] for i, panel in enumerate(panels)]


def _blocks_shape(count: int) -> tuple[int, int]:
    """(rows, columns) of blocks for `count` points: one row up to 4, else as square as 4 a row allows."""
    rows = math.ceil(count / BLOCKS_PER_ROW)
    return rows, math.ceil(count / rows)


def _refuse_unexpandable(loaded: LoadedSpec, sweep: Sweep) -> None:
    problems = [
        loaded.problem(
            f"`{key.path[0]}` is one setting for the whole figure, so a sweep of small multiples cannot vary it: "
            "render one output per point (`scenespec render --split`, `Spec.render_split`) or sweep keys under "
            f"{', '.join(EXPANDABLE)}",
            key.where,
        )
        for key in sweep.keys
        if key.path[0] not in EXPANDABLE
        or len(key.path) < 2
        or (key.path[0] == "panels" and not isinstance(key.path[1], int))
    ]
    if problems:
        raise SpecError(problems)


def expand(loaded: LoadedSpec, sweep: Sweep, binding_keys: Any) -> SweptSpec:
    """The spec as one scene of small multiples (see the module's docstring); `binding_keys(kind)` names the keys
    of a layer kind that hold bindings. Each point is assumed valid (checked before, point by point)."""
    _refuse_unexpandable(loaded, sweep)
    data = {key: value for key, value in loaded.data.items() if key != SWEEP}
    points = sweep.points()
    sources: dict[str, Any] = data.get("sources", {})
    transforms: dict[str, Any] = data.get(TRANSFORMS, {}) or {}
    swept_sources = {str(key.path[1]) for key in sweep.keys if key.path[0] == "sources" and len(key.path) > 1}
    direct = {str(key.path[1]) for key in sweep.keys if key.path[0] == TRANSFORMS and len(key.path) > 1}
    swept_transforms = _swept_transforms(transforms, swept_sources, direct)
    taken = set(sources) | set(transforms)
    renamed: dict[tuple[str, str], tuple[str, int]] = {}
    names: list[tuple[dict[str, str], dict[str, str]]] = []  # per point: source and transform renames
    for point in points:
        source_names = {name: _copy_name(name, point.index, taken) for name in sources if name in swept_sources}
        transform_names = {
            name: _copy_name(name, point.index, taken) for name in transforms if name in swept_transforms
        }
        names.append((source_names, transform_names))
        renamed |= {("sources", new): (old, point.index) for old, new in source_names.items()}
        renamed |= {(TRANSFORMS, new): (old, point.index) for old, new in transform_names.items()}
    at_points = [point_data(loaded.data, point) for point in points]
    out = copy.deepcopy(data)
    out["sources"] = _copied(sources, at_points, [n[0] for n in names], "sources", lambda spec, _: spec)
    if transforms:
        out[TRANSFORMS] = _copied(
            transforms,
            at_points,
            [n[1] for n in names],
            TRANSFORMS,
            lambda spec, renames: {**spec, "of": _renamer(*renames)(spec["of"])} if _of(spec) else spec,
            names,
        )
    grid = _grid(data)
    out["panels"], copies = _panels(data.get("panels", []), points, at_points, names, grid, binding_keys)
    _lay_out(out, data, grid, copies, len(points))
    frames = data.get("frames")
    if isinstance(frames, dict) and frames.get("source") in swept_sources:
        out["frames"] = {**frames, "source": names[0][0][frames["source"]]}  # the first copy: steps of all copies count
    return SweptSpec(
        data=out,
        **_carried(loaded),
        origin=loaded,
        sweep=sweep,
        renamed=renamed,
        panels_per_point=len(data.get("panels", [])),
    )


def _copied(
    table: dict[str, Any],
    at_points: list[dict[str, Any]],
    renames: list[dict[str, str]],
    section: str,
    rewrite: Any,
    names: Iterable[Any] = (),
) -> dict[str, Any]:
    """`table` with each renamed entry replaced, where it stood, by its copies (each as set at its point)."""
    all_names = list(names)
    out: dict[str, Any] = {}
    for name, spec in table.items():
        if not any(name in r for r in renames):
            out[name] = spec
            continue
        for index, (point, rename) in enumerate(zip(at_points, renames, strict=True)):
            copied = copy.deepcopy(point.get(section, {})[name])
            out[rename[name]] = rewrite(copied, all_names[index] if all_names else None)
    return out


def _panels(
    panels: list[Any],
    points: list[SweepPoint],
    at_points: list[dict[str, Any]],
    names: list[tuple[dict[str, str], dict[str, str]]],
    grid: list[list[str]],
    binding_keys: Any,
) -> tuple[list[Any], dict[str, list[str]]]:
    """Each panel per point, in point order; and, per cell name of the grid, its copies' names."""
    out = []
    copies: dict[str, list[str]] = {}
    cell_names = [str(panel.get("name") or grid[i][0]) for i, panel in enumerate(panels)]
    for point, at_point, renames in zip(points, at_points, names, strict=True):
        rename = _renamer(*renames)
        for index, panel in enumerate(at_point.get("panels", [])):
            panel = dict(panel)
            title = panel.get("title")
            panel["title"] = f"{title}\n{point.label}" if title else point.label
            panel.setdefault("share", f"{SWEEP}-{cell_names[index]}")
            name = f"{cell_names[index]}-{point.index + 1}"
            copies.setdefault(cell_names[index], []).append(name)
            panel["name"] = name
            if point.index > 0:
                panel["legend"] = False  # once per panel group: the first point's
            panel["layers"] = [_rename_layer(layer, rename, binding_keys) for layer in panel.get("layers", [])]
            out.append(panel)
    return out, copies


def _lay_out(
    out: dict[str, Any], data: dict[str, Any], grid: list[list[str]], copies: dict[str, list[str]], count: int
) -> None:
    """The layout of blocks (one per point) and the figure size scaled so panels keep theirs."""
    rows, columns = _blocks_shape(count)
    layout = []
    for block_row in range(rows):
        for grid_row in grid:
            cells = []
            for block_col in range(columns):
                point = block_row * columns + block_col
                for cell in grid_row:
                    cells.append(copies[cell][point] if point < count and cell in copies else ".")
            layout.append(" ".join(cells))
    scene = dict(out.get("scene") or {})
    scene["layout"] = layout
    given = data.get("scene")
    original: dict[str, Any] = given if isinstance(given, dict) else {}
    if original.get("width_ratios"):
        scene["width_ratios"] = list(original["width_ratios"]) * columns
    if original.get("height_ratios"):
        scene["height_ratios"] = list(original["height_ratios"]) * rows
    width, height = original.get("size", (6.4, 4.8))
    if isinstance(width, int | float) and isinstance(height, int | float):
        scene["size"] = [round(width * columns, 6), round(height * rows, 6)]
    out["scene"] = scene


@dataclass
class PointSpec(LoadedSpec):
    """The spec at one point of its sweep (for `--split`, and to validate each point): an error under a swept key
    is placed at that key of `[sweep]` and names the point's value; others stay where they are written."""

    origin: LoadedSpec | None = None
    point: SweepPoint | None = None

    def problem(self, message: str, path: KeyPath = ()) -> Problem:
        for key, value in self.point.values if self.point else ():
            if path[: len(key.path)] == key.path or (key.path[: len(path)] == path and not _holds(self._origin, path)):
                inner = path[len(key.path) :]
                where = f"{format_path(inner)}: " if inner else ""
                return self._origin.problem(f"at {key.name} = {shown(value)}: {where}{message}", key.where)
        return self._origin.problem(message, path)

    @property
    def _origin(self) -> LoadedSpec:
        if self.origin is not None:
            return self.origin
        return LoadedSpec(data=self.data, **_carried(self))


def _holds(loaded: LoadedSpec, path: KeyPath) -> bool:
    """Whether the spec as written has `path` (a key the sweep made, e.g. a misspelt one, it has not)."""
    node: Any = loaded.data
    for part in path:
        in_dict = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if not (in_dict or in_list):
            return False
        node = node[part]
    return True


def point_spec(loaded: LoadedSpec, point: SweepPoint) -> PointSpec:
    """The spec at `point`, as its own loaded spec (named like the spec: outputs add the point's slug)."""
    return PointSpec(
        data=point_data(loaded.data, point),
        **_carried(loaded),
        origin=loaded,
        point=point,
    )


def _carried(loaded: LoadedSpec) -> dict[str, Any]:
    """Where a loaded spec came from (all its fields but the data), for a spec made from it."""
    return {item.name: getattr(loaded, item.name) for item in fields(LoadedSpec) if item.name != "data"}
