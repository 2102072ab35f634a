"""The base of every spec model: unknown keys are errors, with a suggestion."""

from __future__ import annotations

import re
from typing import Annotated, Any, TypeVar, get_args, get_origin

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Strict,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from scenespec.errors import did_you_mean
from scenespec.validate.values import check_value

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
    """Strict pydantic model: a misspelt key is reported with the nearest valid one.

    Values are strict (a boolean is not a number, a string is not a number or a boolean: `epochs = true` and
    `lr = "0.1"` are mistakes, not values to convert) and numbers are finite (TOML allows `inf` and `nan`,
    which no setting can use). A tuple field takes a list (TOML and JSON have no tuples): annotate it `Pair[T]`.
    """

    model_config = ConfigDict(extra="forbid", validate_default=False, strict=True, allow_inf_nan=False)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        for name, info in cls.model_fields.items():
            lax = any(isinstance(item, Strict) and not item.strict for item in info.metadata)
            if _bare_tuple(info.annotation, lax):
                raise TypeError(f"{cls.__name__}.{name}: a tuple in a spec model is written `Pair[T]` (lists allowed)")

    @field_validator("*")
    @classmethod
    def _plain_values(cls, value: Any) -> Any:
        """Whole numbers a float64 holds exactly, text without control characters (see `values.check_value`)."""
        check_value(value)
        return value

    @model_validator(mode="before")
    @classmethod
    def _reject_unknown_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            known = set(cls.model_fields)
            known |= {f.alias for f in cls.model_fields.values() if f.alias}
            for key in data:
                if key not in known:
                    hint = cls.unknown_key_hint(str(key), data) or did_you_mean(str(key), sorted(known))
                    if not hint and KEY_SYNONYMS.get(str(key)) in known:
                        hint = f"; did you mean {KEY_SYNONYMS[str(key)]!r}?"
                    raise PydanticCustomError(
                        "unknown_key",
                        "unknown key '{key}'{hint}",
                        {"key": key, "hint": hint},
                    )
        return data

    @classmethod
    def unknown_key_hint(cls, key: str, data: dict[Any, Any]) -> str:
        """A hint for a key this model does not have, before any spelling suggestion (e.g. whose key it is)."""
        return ""


def _bare_tuple(annotation: Any, lax: bool = False) -> bool:
    """Whether `annotation` holds a tuple that is strict about its container: TOML and JSON lists would be refused."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return _bare_tuple(args[0], any(isinstance(item, Strict) and not item.strict for item in args[1:]))
    if origin is tuple:
        return not lax or any(_bare_tuple(arg) for arg in args)
    return any(_bare_tuple(arg) for arg in args if arg is not Ellipsis)


T = TypeVar("T")

Pair = Annotated[tuple[T, T], Strict(False)]
"""Two values, e.g. `[width, height]`, written as a list (the pair is lax about its container; its items stay
strict)."""


MAX_SEED = 2**32 - 1
Seed = Annotated[int, Field(ge=0, le=MAX_SEED)]
"""A random seed: numpy's generators take any whole number >= 0, scikit-learn's `random_state` one below 2**32."""


UNION_TAGS: dict[str, str | None] = {"kind": None, "name": None}
"""Keys whose value picks the member of a discriminated union (`kind` for layers, sources and data, `name` for
optimizers), each with the member picked when the key is left out. pydantic puts the picked member's tag in
error locations (`sources.fit.trainer.mlp.network`); error messages drop it (`sources.fit.network`)."""


def union_tags(data: dict[Any, Any]) -> set[Any]:
    """The tags that pydantic's error locations may hold for `data`, as a member of discriminated unions."""
    tags = (data.get(key, default) for key, default in UNION_TAGS.items())
    return {tag for tag in tags if isinstance(tag, str)}


def discriminator(key: str, default: str) -> Discriminator:
    """Discriminate a union on `key`, picking the member tagged `default` when the key is left out.

    (`Field(discriminator=key)` needs the key to be there.) Members are `Annotated[Model, Tag(value)]`.
    """
    if UNION_TAGS.setdefault(key, default) != default:
        raise ValueError(f"unions discriminated by {key!r} disagree on its default")

    def tag(value: Any) -> Any:
        found = value.get(key, default) if isinstance(value, dict) else getattr(value, key, default)
        return found if isinstance(found, str) else repr(found)  # pydantic reports an unknown tag

    tag.__name__ = key  # pydantic names the discriminator `key()` in its errors
    return Discriminator(tag)


SOURCE_NAME = r"[A-Za-z_][A-Za-z0-9_-]*"
SOURCE_NAME_RE = re.compile(SOURCE_NAME)
FIELD_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
FIELD_NAME_RE = re.compile(FIELD_NAME)
"""The `field` part of a binding (and so what a transform may be named)."""
_NOT_NAME = re.compile(r"[^A-Za-z0-9_]+")


def field_name(original: str) -> str:
    """The bindable name of a log's column, key or tag: every run of characters other than ASCII letters, digits and
    `_` becomes one `_` (`loss/train` -> `loss_train`, `val loss` -> `val_loss`), and a `_` goes before a leading
    digit (or stands for an empty name)."""
    name = _NOT_NAME.sub("_", original.strip())
    if not name or name[0].isdigit():
        name = "_" + name
    return name


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
