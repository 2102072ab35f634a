"""Panel settings that would do nothing on the panel they are written on: refused rather than silently ignored.

A panel is 3D when one of its layers needs it (a surface, a path with z). `zlim` on a 2D panel, `aspect` on a
3D one, or `twin_ylabel` on a panel where no layer uses the twin axis change nothing in the picture, which is
never what the author meant; a layer on the twin axis of a 3D panel cannot be drawn at all (3D axes have no twin).
"""

from __future__ import annotations

from collections.abc import Callable

from scenespec.errors import KeyPath, Problem
from scenespec.validate.scene import PanelSpec, Scene

Locate = Callable[[str, KeyPath], Problem]

ONLY_3D = ("zlabel", "zlim", "zticks", "camera")
"""Settings of a 3D panel's z axis and view."""
ONLY_2D = ("aspect", "xscale", "yscale", "grid")
"""Settings a 3D panel ignores (its panes always show a grid; matplotlib's 3D axes have no log scale or aspect)."""
ONLY_TWIN = ("twin_ylabel", "twin_ylim", "twin_yscale")
"""Settings of the twin y axis, which a panel has when one of its layers sets `twin = true`."""


def _why_3d(panel: PanelSpec) -> str:
    cause = next(layer.kind for layer in panel.layers if "2d" not in layer.projections())
    return f"this panel is 3D because of its {cause!r} layer"


def panel_problems(scene: Scene, locate: Locate) -> list[Problem]:
    """Problems with settings (written in the spec, even at their default) that do nothing on their panel."""
    problems: list[Problem] = []
    for p, panel in enumerate(scene.panels):
        given = panel.model_fields_set
        if panel.projection == "3d":
            for key in ONLY_2D + ONLY_TWIN:
                if key in given:
                    problems.append(locate(f"{key} does nothing on a 3D panel; {_why_3d(panel)}", ("panels", p, key)))
            for i, layer in enumerate(panel.layers):
                if layer.twin:
                    message = f"a 3D panel has no twin y axis; {_why_3d(panel)}: put this layer on a 2D panel"
                    problems.append(locate(message, ("panels", p, "layers", i, "twin")))
        else:
            for key in ONLY_3D:
                if key in given:
                    message = (
                        f"{key} applies to 3D panels only, and this panel is 2D (a panel is 3D when it holds "
                        "a surface or a path with z)"
                    )
                    problems.append(locate(message, ("panels", p, key)))
            if not any(layer.twin for layer in panel.layers):
                problems += _unused_twin(panel, p, given, locate)
    return problems


def _unused_twin(panel: PanelSpec, p: int, given: set[str], locate: Locate) -> list[Problem]:
    message = "{key} sets the twin y axis, and no layer of this panel is on it (set `twin = true` on a layer)"
    return [locate(message.format(key=key), ("panels", p, key)) for key in ONLY_TWIN if key in given]
