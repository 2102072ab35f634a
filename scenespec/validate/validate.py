"""Validate stage: the spec's data against the scene model, its budgets, and its theme, as located problems."""

from __future__ import annotations

from pydantic import ValidationError

from scenespec.errors import SpecError
from scenespec.load.loader import LoadedSpec
from scenespec.themes.loading import Theme, load_theme
from scenespec.validate.budget import check_raw, check_scene_budgets
from scenespec.validate.messages import problems_from
from scenespec.validate.scene import Scene, scene_model

__all__ = ["problems_from", "theme_of", "validate"]


def validate(loaded: LoadedSpec) -> Scene:
    """Check the spec's structure and types; raises SpecError listing every problem."""
    model = scene_model()
    check_raw(loaded.data, loaded.problem)  # string and list lengths, before the validators read them
    try:
        scene = model.model_validate(loaded.data)
    except ValidationError as exc:
        raise SpecError(problems_from(exc, loaded)) from None
    check_scene_budgets(scene, loaded.problem)
    scene.scene.set_theme(theme_of(scene, loaded))
    return scene


def theme_of(scene: Scene, loaded: LoadedSpec) -> Theme:
    """The scene's theme, read from its file (relative to the spec) and the themes it builds on."""
    where = loaded.problem("", ("scene", "theme"))
    return load_theme(scene.scene.theme, loaded.folder_of(("scene", "theme")), where)
