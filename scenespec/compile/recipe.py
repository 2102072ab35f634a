"""A picklable recipe for an artist graph: what a worker process needs to build its own figure.

Figures do not cross process boundaries; a recipe does (the validated scene, its traces, its frames),
so a frame executor can build a graph in a spawned process, on another machine, or in this one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass

from matplotlib.figure import Figure

from scenespec.compile.compiler import check_channels, compile_scene, unlocated
from scenespec.compile.graph import ArtistGraph
from scenespec.compile.style import style_context, styling_of, warn_fonts
from scenespec.frame import Frame
from scenespec.resolve.trace import TraceLike
from scenespec.validate.references import Locate
from scenespec.validate.scene import Scene


@dataclass
class GraphRecipe:
    """Scene + traces + frames: everything `build` needs, and nothing that cannot be pickled.

    `locate` places a problem in the spec (`LoadedSpec.problem`). Making a recipe checks every bound field
    against its layer's channel table, so a wrong shape is a SpecError here, before any worker exists, and warns
    about texts with characters no installed font has (`fonts.check`), once, before any is drawn."""

    scene: Scene
    traces: Mapping[str, TraceLike]
    frames: list[Frame]
    locate: Locate = unlocated

    def __post_init__(self) -> None:
        check_channels(self.scene, self.traces, self.locate)
        warn_fonts(self.scene, self.traces, self.locate)

    def styled(self) -> AbstractContextManager[None]:
        """The scene's matplotlib style: build and draw inside it."""
        return style_context(styling_of(self.scene, self.traces))

    def build(self, figure: Figure | None = None) -> ArtistGraph:
        """The artist graph showing the first frame (call inside `styled()`)."""
        return compile_scene(self.scene, self.traces, self.frames, figure, locate=self.locate)


GraphFactory = Callable[[], ArtistGraph]
