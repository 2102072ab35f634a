"""scenespec: declarative specs that render animations of machine learning as it learns.

Public API (docs/python-api.md): `load` a spec from a file, a dict or text into a `Spec`;
`Spec.render` returns an `Animation` (save it, get its bytes or frames, show it in a notebook).
`render(path, …)` renders a spec file to its output in one call, as `scenespec render` does.
`Recorder` records a training loop of your own, for `traces=` or a `recording` source.
Stage by stage: `prepare` (load, validate, resolve, schedule) and `build` (compile to an artist graph).

The names are imported on first use (PEP 562), so that `import scenespec` (and `scenespec --help`)
costs nothing: the pipeline imports matplotlib, numpy and pydantic, which take a second to load.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from scenespec.api import Animation, Spec, load
    from scenespec.errors import RenderError, SpecError
    from scenespec.frame import Frame
    from scenespec.pipeline import Prepared, RenderResult, build, prepare, render, scene_style
    from scenespec.record import Recorder, RecordRule
    from scenespec.render.executors import Executor, ProcessExecutor, SerialExecutor
    from scenespec.resolve.stream import StreamingTrace
    from scenespec.resolve.trace import Trace

_HOMES = {
    "scenespec.api": ("Animation", "Spec", "load"),
    "scenespec.errors": ("RenderError", "SpecError"),
    "scenespec.frame": ("Frame",),
    "scenespec.pipeline": ("Prepared", "RenderResult", "build", "prepare", "render", "scene_style"),
    "scenespec.record": ("Recorder", "RecordRule"),
    "scenespec.render.executors": ("Executor", "ProcessExecutor", "SerialExecutor"),
    "scenespec.resolve.stream": ("StreamingTrace",),
    "scenespec.resolve.trace": ("Trace",),
}
_HOME_OF = {name: module for module, names in _HOMES.items() for name in names}


def __getattr__(name: str) -> Any:
    """A public name, imported from its module the first time it is asked for."""
    module = _HOME_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'scenespec' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    if name not in SHADOWED:  # `_Package` keeps those
        globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOME_OF])


SHADOWED = ("load", "render")
"""Public functions named like a subpackage (`scenespec.load`, `scenespec.render`): importing the subpackage sets
the package's attribute to it, which must not hide the function (it did not when every name was imported at once)."""


def _function(name: str) -> property:
    def get(self: types.ModuleType) -> Any:
        return __getattr__(name)

    def ignore(self: types.ModuleType, value: object) -> None:
        pass  # the subpackage being set by the import system: `scenespec.<name>` stays the function

    return property(get, ignore)


class _Package(types.ModuleType):
    """The package's module, with the functions that share a subpackage's name as properties."""

    load = _function("load")
    render = _function("render")


sys.modules[__name__].__class__ = _Package


__all__ = [
    "Animation",
    "Executor",
    "Frame",
    "Prepared",
    "ProcessExecutor",
    "RecordRule",
    "Recorder",
    "RenderError",
    "RenderResult",
    "SerialExecutor",
    "Spec",
    "SpecError",
    "StreamingTrace",
    "Trace",
    "__version__",
    "build",
    "load",
    "prepare",
    "render",
    "scene_style",
]
