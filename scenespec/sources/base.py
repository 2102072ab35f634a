"""What every source kind provides: its spec model knows its fields and resolves to a Trace."""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from functools import cached_property, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeVar

from scenespec.errors import KeyPath, Problem, SpecError
from scenespec.registry import Registry, kind_of
from scenespec.sources._inputs import read_file
from scenespec.validate.base import SpecModel
from scenespec.validate.limits import FieldSize, Limits, Usage, byte_size, number, over_limit

if TYPE_CHECKING:
    from scenespec.resolve.trace import Trace

T = TypeVar("T")


@dataclass
class ResolveContext:
    """Where a source sits in the spec, to resolve relative paths and locate errors."""

    base_dir: Path
    path: KeyPath
    locate: Any  # Callable[[str, KeyPath], Problem]
    limits: Limits = field(default_factory=Limits)
    """The spec's budgets (`[limits]`): a source that reads a file checks it against them before loading it."""
    folders: Callable[[KeyPath], Path] | None = None
    """The folder a key's relative path starts from (`LoadedSpec.folder_of`); None: `base_dir` for every key."""

    def folder(self, *key: str | int) -> Path:
        """The folder that the relative path at `key` of this source starts from: that of the file that wrote it,
        which is another folder when the source comes from a base spec or a fragment elsewhere."""
        return self.folders(self.path + key) if self.folders is not None else self.base_dir

    def error(self, message: str, *key: str | int) -> SpecError:
        problem: Problem = self.locate(message, self.path + key)
        return SpecError([problem])

    def too_large(self, what: str, nbytes: float, why: str = "") -> SpecError:
        """A file (or files) over `max_trace_bytes`, located at the source's `path`:
        `<what>: 3.2 GB (<why>) is over the limit …`."""
        estimate = f"{what}: {byte_size(nbytes)}" + (f" ({why})" if why else "")
        return self.error(over_limit(estimate, "max_trace_bytes", self.limits), "path")

    def check_budget(self, shape: TraceShape | None) -> None:
        """Raise if the source's trace (or its other work) would be over budget; call before doing the work."""
        if shape is None:
            return
        problems = [
            self.locate(text, self.path + usage.key)
            for usage in shape.all_usages()
            if (text := usage.problem_text(self.limits))
        ]
        if problems:
            raise SpecError(problems)


ITEM_BYTES = 8
"""What one recorded number costs in a trace: a float64 (or an int64 step or counter)."""


@dataclass(frozen=True)
class TraceShape:
    """How large a source's trace will be, known before the source runs: for the budgets (docs/errors.md).

    `fields` gives each field's numbers per step (all of a static field); `nbytes` the memory the trace will
    take; `key` the setting that sets its size most (`epochs`), relative to the source; `usages` the other
    budgets the source draws on (grid points, training batches).
    """

    steps: int
    fields: dict[str, FieldSize]
    nbytes: int
    key: KeyPath = ()
    usages: tuple[Usage, ...] = ()

    @classmethod
    def of(
        cls,
        steps: int,
        static: Mapping[str, tuple[int, ...]],
        stepped: Mapping[str, tuple[int, ...]],
        key: KeyPath = (),
        usages: tuple[Usage, ...] = (),
    ) -> TraceShape:
        """From each static field's shape and each stepped field's shape at one step, 8 bytes a number."""
        sizes = {name: FieldSize(math.prod(shape), shape=tuple(shape)) for name, shape in static.items()}
        sizes |= {name: FieldSize(math.prod(shape), steps, tuple(shape)) for name, shape in stepped.items()}
        numbers = steps + sum(size.per_step * (size.steps or 1) for size in sizes.values())  # steps: step numbers
        return cls(steps, sizes, numbers * ITEM_BYTES, key, usages)

    @property
    def per_step(self) -> int:
        """Numbers recorded at each step, over all stepped fields."""
        return sum(size.per_step for size in self.fields.values() if size.steps is not None)

    def all_usages(self) -> tuple[Usage, ...]:
        """Every budget the source draws on: its other usages, then its trace's memory (`max_trace_bytes`)."""
        memory = (
            f"a trace of about {byte_size(self.nbytes)} ({number(self.steps)} recorded steps × "
            f"{number(self.per_step)} numbers per step × {ITEM_BYTES} bytes, and its static arrays)"
        )
        return (*self.usages, Usage("max_trace_bytes", self.nbytes, self.key, memory))


class SourceSpec(SpecModel):
    """Base of source specs. `fields` must be known before resolving, to check bindings early.

    A validated source lives as long as one render (each render validates its spec afresh), so what it
    reads or works out on the way is kept on it (`once`) rather than redone by each stage.
    """

    kind: str

    example: ClassVar[str] = ""
    """A TOML snippet for the reference docs."""

    cacheable: ClassVar[bool] = True
    """Whether the resolved trace is kept in the trace cache (docs/cache.md)."""

    variant_key: ClassVar[str | None] = None
    """For a kind made of several models, the key that picks one (the trainer's `model`); see `spec_annotation`."""

    @classmethod
    def spec_annotation(cls) -> Any:
        """What the spec's union of sources holds for this kind: the model itself, or (a kind with a
        `variant_key`) a discriminated union of its variants, subclasses that each fix that key."""
        return cls

    def fields(self, ctx: ResolveContext) -> dict[str, bool]:
        """Field name -> whether it is indexed by step."""
        raise NotImplementedError

    def resolve(self, ctx: ResolveContext) -> Trace:
        raise NotImplementedError

    def fields_known(self, ctx: ResolveContext) -> bool:
        """False while the source cannot tell its fields yet (a recording whose run has not begun). Validation then
        leaves the bindings to it unjudged: they are checked against the trace given in memory, or against the
        source once the spec is rendered, so a spec can be loaded before the run it draws has started."""
        return True

    def trace_shape(self, ctx: ResolveContext) -> TraceShape | None:
        """How large the trace will be, worked out from the spec (and what `fields` reads anyway) without running
        the source; None if unknown. Checked against the budgets at `validate` and again before `resolve`; a
        source whose size depends on a file it reads (a CSV) checks it itself once read (`ctx.check_budget`)."""
        return None

    def inputs(self, ctx: ResolveContext) -> list[Path]:
        """Files `resolve` reads: their bytes are part of the trace cache's key, so editing one misses it."""
        return []

    def followed(self, ctx: ResolveContext) -> list[Path]:
        """Files or folders another process may be writing while this source is drawn (a log, a recording):
        `scenespec watch` reads the source again when one of them changes. Empty: nothing to follow."""
        return []

    def field_origins(self) -> dict[str, str]:
        """Field name -> the name the data gave it, where they differ (a TensorBoard tag `loss/train` is field
        `loss_train`), once `fields` has run: messages about a missing field list both."""
        return {}

    @cached_property
    def _memo(self) -> dict[Hashable, Any]:
        return {}  # a cached property, not a pydantic private attribute: equality and dumps ignore it

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy (with `update`d values) that reads and works out everything afresh."""
        copied = super().model_copy(update=update, deep=deep)
        copied.__dict__.pop("_memo", None)
        return copied

    def once(self, key: Hashable, compute: Callable[[], T]) -> T:
        """`compute()` the first time `key` is asked for, the same value after that."""
        if key not in self._memo:
            self._memo[key] = compute()
        value: T = self._memo[key]
        return value

    def read_input(self, path: Path) -> bytes:
        """The bytes of an input file, read once: the trace cache's key hashes the very bytes `resolve` uses. Where
        the file's bytes were sent with a task (`provided_inputs`), those bytes: the worker needs no copy of it."""
        return self.once(("input", path), partial(read_file, path))


SOURCES: Registry[type[SourceSpec]] = Registry("source", "scenespec.sources")


def register_source(model: type[SourceSpec]) -> type[SourceSpec]:
    """Class decorator: make a source kind part of the spec language."""
    SOURCES.register(kind_of(model), model)
    return model
