"""What every transform kind provides: a spec model that names its input and computes its output.

A transform kind is one module of this package: a pydantic model (`kind: Literal[...]`, `of`,
its parameters) with `compute`, registered with `@register_transform`, next to the plain numpy
function that does the work (which layers may call too). See docs/transforms.md.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from pydantic import Field

from scenespec.registry import Registry, kind_of
from scenespec.validate.base import TRANSFORMS_SOURCE, Binding, SpecModel
from scenespec.validate.limits import FieldSize


class TransformError(ValueError):
    """A transform cannot be applied to the data it got; `key` is the parameter to blame (or None: `of`)."""

    def __init__(self, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


class TransformSpec(SpecModel):
    """Fields every transform has."""

    kind: str
    of: Binding = Field(
        description=f"The series it derives from: a source's field `source.field`, or another transform's "
        f"output `{TRANSFORMS_SOURCE}.NAME`."
    )

    example: ClassVar[str] = ""
    """A TOML snippet for the reference docs."""
    binding_fields: ClassVar[tuple[str, ...]] = ("of",)

    def needs_steps(self) -> bool:
        """Whether the input must be recorded per step (the transform runs along the step axis)."""
        return True

    def output_size(self, size: FieldSize) -> FieldSize | None:
        """The size of the output for an input of `size`, known before anything runs (for the budgets); None when
        it cannot be told. By default the input's: most transforms keep their input's shape."""
        return size

    def compute(self, values: np.ndarray, stepped: bool) -> np.ndarray:
        """The derived array from the input field's data (its axis 0 runs over steps when `stepped`).

        Raises TransformError when the data does not suit the transform (e.g. a window wider than the series).
        """
        raise NotImplementedError


TRANSFORMS: Registry[type[TransformSpec]] = Registry("transform", "scenespec.transform")


def register_transform(model: type[TransformSpec]) -> type[TransformSpec]:
    """Class decorator: make a transform kind part of the spec language."""
    TRANSFORMS.register(kind_of(model), model)
    return model
