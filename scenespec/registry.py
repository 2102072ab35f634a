"""Kind registries: a layer, source or transform kind is one module that registers itself here.

The spec language is built from what is registered, so adding a kind means adding
one module to `scenespec/layers/`, `scenespec/sources/`, `scenespec/transform/` or
`scenespec/render/sinks/`, nothing else. Other packages add kinds through entry points in the
groups `scenespec.layers`, `scenespec.sources`, `scenespec.transforms` and `scenespec.sinks`:
each names a module that registers its kinds when imported (docs/architecture.md).
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from types import ModuleType
from typing import Any, Generic, TypeVar, get_args

from scenespec.errors import PluginError

T = TypeVar("T")


@dataclass
class Registry(Generic[T]):
    """Kinds by name; `package` is imported module by module on first use."""

    what: str
    package: str
    kinds: dict[str, T] = field(default_factory=dict)
    _loaded: bool = False

    def register(self, kind: str, entry: T) -> None:
        if kind in self.kinds:
            raise ValueError(f"{self.what} kind {kind!r} is registered twice")
        self.kinds[kind] = entry

    @property
    def group(self) -> str:
        """The entry-point group through which other packages add kinds, e.g. `scenespec.layers`."""
        return f"scenespec.{self.what}s"

    def load(self) -> dict[str, T]:
        """Import every module of the package, then every entry point of the group, so that each registers its
        kinds. A plug-in that fails to import is an error naming it (a broken plug-in should not go unnoticed)."""
        if not self._loaded:
            self._loaded = True
            package: ModuleType = importlib.import_module(self.package)
            for info in pkgutil.iter_modules(package.__path__):
                if not info.name.startswith("_") and info.name != "base":
                    importlib.import_module(f"{self.package}.{info.name}")
            for point in entry_points(group=self.group):
                try:
                    point.load()
                except Exception as exc:
                    raise PluginError(
                        f"the {self.what} plug-in {point.name!r} ({point.value}, entry point group {self.group}) "
                        f"failed to load: {type(exc).__name__}: {exc}"
                    ) from exc
            # by name: the spec's unions, error messages and docs list kinds in one order, whichever module
            # happened to be imported first
            self.kinds = dict(sorted(self.kinds.items()))
        return self.kinds


def kind_of(model: Any) -> str:
    """The literal `kind` value a spec model declares."""
    return literal_of(model, "kind")


def literal_of(model: Any, key: str) -> str:
    """The literal value a spec model declares for `key`: `kind` = "line", or a trainer's `model` = "mlp"."""
    value: str = get_args(model.model_fields[key].annotation)[0]
    return value
