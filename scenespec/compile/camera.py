"""The view of a 3D panel at a point of the animation: its camera's keys, eased, at the frame's progress.

A camera is a timeline of views: the spec's own view at 0, then one per key, each key's unset values held from
the view before it. Between two views each value moves by the later key's easing, as a keyframe tool does, so a
turn can start and stop gently instead of running at one speed and stopping dead. `rotate` is the shorthand
for one linear key at the end. Time is `Frame.progress` (0 at the first frame, 1 at the last).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from mpl_toolkits.mplot3d import Axes3D

from scenespec.easing import ease
from scenespec.validate.scene import CameraSpec

BOX_ZOOM = 0.9
"""3D axes drawn slightly inside their box at zoom 1: constrained layout does not see their corner tick labels."""


@dataclass(frozen=True)
class View:
    """Where a 3D panel is seen from: angles in degrees and the zoom of its box (1: its usual size)."""

    elev: float
    azim: float
    roll: float
    zoom: float

    def blend(self, other: View, fraction: float) -> View:
        """The view `fraction` of the way from this one to `other` (each value on its own straight line)."""
        return View(*(a + fraction * (b - a) for a, b in zip(self.values, other.values, strict=True)))

    @property
    def values(self) -> tuple[float, float, float, float]:
        return (self.elev, self.azim, self.roll, self.zoom)


@dataclass(frozen=True)
class Keyframe:
    at: float
    view: View
    ease: str
    """How the camera moves into this keyframe from the one before."""


def keyframes(camera: CameraSpec) -> list[Keyframe]:
    """The camera's timeline: its starting view at 0, then each key's view (unset values held)."""
    view = View(camera.elev, camera.azim, camera.roll, camera.zoom)
    frames = [Keyframe(0.0, view, "linear")]
    if camera.rotate:
        return [*frames, Keyframe(1.0, replace(view, azim=view.azim + camera.rotate), "linear")]
    for key in camera.keys:
        given = {name: getattr(key, name) for name in ("elev", "azim", "roll", "zoom")}
        view = replace(view, **{name: value for name, value in given.items() if value is not None})
        frames.append(Keyframe(key.at, view, key.ease))
    return frames


def view_at(camera: CameraSpec, progress: float) -> View:
    """The view at `progress` in [0, 1]: the last keyframe reached, or eased between it and the next one."""
    frames = keyframes(camera)
    progress = min(max(progress, 0.0), 1.0)
    reached = max(i for i, frame in enumerate(frames) if frame.at <= progress)
    if reached == len(frames) - 1:
        return frames[reached].view
    before, after = frames[reached], frames[reached + 1]
    return before.view.blend(after.view, ease(after.ease, (progress - before.at) / (after.at - before.at)))


def look(ax: Axes3D, view: View) -> None:
    """Point the panel's camera at `view`."""
    ax.view_init(elev=view.elev, azim=view.azim, roll=view.roll)
    ax.set_box_aspect(None, zoom=BOX_ZOOM * view.zoom)
