"""The base of every spec model: unknown keys are errors, with a suggestion."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from scenespec.errors import did_you_mean


class SpecModel(BaseModel):
    """Strict pydantic model: a misspelt key is reported with the nearest valid one."""

    model_config = ConfigDict(extra="forbid", validate_default=False)

    @model_validator(mode="before")
    @classmethod
    def _reject_unknown_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            known = set(cls.model_fields)
            known |= {f.alias for f in cls.model_fields.values() if f.alias}
            for key in data:
                if key not in known:
                    raise PydanticCustomError(
                        "unknown_key",
                        "unknown key '{key}'{hint}",
                        {"key": key, "hint": did_you_mean(str(key), sorted(known))},
                    )
        return data


SOURCE_NAME = r"[A-Za-z_][A-Za-z0-9_-]*"
SOURCE_NAME_RE = re.compile(SOURCE_NAME)
BINDING_PATTERN = rf"^{SOURCE_NAME}\.[A-Za-z_][A-Za-z0-9_]*$"
BINDING_RE = re.compile(BINDING_PATTERN)

Binding = Annotated[str, StringConstraints(pattern=BINDING_PATTERN)]
"""A reference to trace data, `source.field`, e.g. `fit.pred`."""


def split_binding(binding: str) -> tuple[str, str]:
    """`"fit.pred"` -> `("fit", "pred")`."""
    source, _, name = binding.partition(".")
    return source, name
