"""scenespec: declarative specs that render animations of machine learning as it learns.

Public API (docs/python-api.md): `load` a spec from a file, a dict or text into a `Spec`;
`Spec.render` returns an `Animation` (save it, get its bytes or frames, show it in a notebook).
`render(path, …)` renders a spec file to its output in one call, as `scenespec render` does.
`Recorder` records a training loop of your own, for `traces=` or a `recording` source.
Stage by stage: `prepare` (load, validate, resolve, schedule) and `build` (compile to an artist graph).
"""

__version__ = "0.1.0"

from scenespec.api import Animation, Spec, load
from scenespec.errors import RenderError, SpecError
from scenespec.frame import Frame
from scenespec.pipeline import Prepared, RenderResult, build, prepare, render, scene_style
from scenespec.record import Recorder, RecordRule
from scenespec.render.executors import Executor, ProcessExecutor, SerialExecutor
from scenespec.resolve.stream import StreamingTrace
from scenespec.resolve.trace import Trace

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
