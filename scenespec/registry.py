"""Kind registries: a layer, source or transform kind is one module that registers itself here.

The spec language is built from what is registered, so adding a kind means adding
one module to `scenespec/layers/`, `scenespec/sources/` or `scenespec/transform/`, nothing else.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Generic, TypeVar, get_args

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

    def load(self) -> dict[str, T]:
        """Import every module of the package so that each registers its kind."""
        if not self._loaded:
            self._loaded = True
            package: ModuleType = importlib.import_module(self.package)
            for info in pkgutil.iter_modules(package.__path__):
                if not info.name.startswith("_") and info.name != "base":
                    importlib.import_module(f"{self.package}.{info.name}")
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
