"""scenespec: declarative specs that render animations of machine learning as it learns.

Public API: `render` a spec file to its output, or go stage by stage with `prepare`
(load, validate, resolve, schedule) and `build` (compile to an artist graph).
"""

__version__ = "0.1.0"

from scenespec.errors import RenderError, SpecError
from scenespec.pipeline import Prepared, RenderResult, build, prepare, render, scene_style
from scenespec.resolve.trace import Trace

__all__ = [
    "Prepared",
    "RenderError",
    "RenderResult",
    "SpecError",
    "Trace",
    "__version__",
    "build",
    "prepare",
    "render",
    "scene_style",
]
