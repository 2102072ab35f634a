"""What every source kind provides: its spec model knows its fields and resolves to a Trace."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from scenespec.errors import KeyPath, Problem, SpecError
from scenespec.registry import Registry, kind_of
from scenespec.validate.base import SpecModel

if TYPE_CHECKING:
    from scenespec.resolve.trace import Trace


@dataclass
class ResolveContext:
    """Where a source sits in the spec, to resolve relative paths and locate errors."""

    base_dir: Path
    path: KeyPath
    locate: Any  # Callable[[str, KeyPath], Problem]

    def error(self, message: str, *key: str | int) -> SpecError:
        problem: Problem = self.locate(message, self.path + key)
        return SpecError([problem])


class SourceSpec(SpecModel):
    """Base of source specs. `fields` must be known before resolving, to check bindings early."""

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

    def inputs(self, ctx: ResolveContext) -> list[Path]:
        """Files `resolve` reads: their bytes are part of the trace cache's key, so editing one misses it."""
        return []


SOURCES: Registry[type[SourceSpec]] = Registry("source", "scenespec.sources")


def register_source(model: type[SourceSpec]) -> type[SourceSpec]:
    """Class decorator: make a source kind part of the spec language."""
    SOURCES.register(kind_of(model), model)
    return model
