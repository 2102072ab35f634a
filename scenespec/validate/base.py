"""The base of every spec model: unknown keys are errors, with a suggestion."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from scenespec.errors import did_you_mean

KEY_SYNONYMS = {
    "learning_rate": "lr",
    "epsilon": "eps",
    "beta1": "betas",
    "beta2": "betas",
    "beta_1": "betas",
    "beta_2": "betas",
}
"""Other libraries' names for a key, too unlike ours for a spelling suggestion (`learning_rate` is `lr`)."""


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
                    hint = did_you_mean(str(key), sorted(known))
                    if not hint and KEY_SYNONYMS.get(str(key)) in known:
                        hint = f"; did you mean {KEY_SYNONYMS[str(key)]!r}?"
                    raise PydanticCustomError(
                        "unknown_key",
                        "unknown key '{key}'{hint}",
                        {"key": key, "hint": hint},
                    )
        return data


SOURCE_NAME = r"[A-Za-z_][A-Za-z0-9_-]*"
SOURCE_NAME_RE = re.compile(SOURCE_NAME)
FIELD_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
FIELD_NAME_RE = re.compile(FIELD_NAME)
"""The `field` part of a binding (and so what a transform may be named)."""
BINDING_PATTERN = rf"^{SOURCE_NAME}\.{FIELD_NAME}$"
BINDING_RE = re.compile(BINDING_PATTERN)

Binding = Annotated[str, StringConstraints(pattern=BINDING_PATTERN)]
"""A reference to trace data, `source.field`, e.g. `fit.pred`."""

TRANSFORMS_SOURCE = "transforms"
"""The name under which transforms' outputs are bound, `transforms.NAME`, as they are declared, `[transforms.NAME]`.

No source may take this name (checked with the bindings, in `validate/references.py`)."""


def split_binding(binding: str) -> tuple[str, str]:
    """`"fit.pred"` -> `("fit", "pred")`."""
    source, _, name = binding.partition(".")
    return source, name
