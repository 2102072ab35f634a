"""`projector_config.pbtxt`: the protobuf text format of TensorBoard's `ProjectorConfig`, written and read by hand.

Only the fields the projector plugin uses for tensor files are handled (`embeddings { tensor_name tensor_path
metadata_path tensor_shape sprite { image_path single_image_dim } }`); anything else in a config is skipped, so a
config written by TensorBoard or torch always parses. Doing it by hand keeps TensorBoard an optional package.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

FILENAME = "projector_config.pbtxt"
"""The config's name, as the plugin looks for it in a run's folder (`metadata.PROJECTOR_FILENAME`)."""


@dataclass
class EmbeddingInfo:
    """One embedding of the config: a tensor file and what describes its points."""

    tensor_name: str = ""
    tensor_path: str = ""
    metadata_path: str = ""
    tensor_shape: list[int] = field(default_factory=list)
    sprite_path: str = ""
    single_image_dim: list[int] = field(default_factory=list)
    """[width, height] of one thumbnail in the sprite, as the plugin orders them."""


class ConfigError(ValueError):
    """A config that is not valid protobuf text."""


def to_pbtxt(embeddings: list[EmbeddingInfo]) -> str:
    """The config's text, in the layout protobuf's `text_format` writes."""
    lines: list[str] = []
    for info in embeddings:
        lines.append("embeddings {")
        lines += _string_line("tensor_name", info.tensor_name)
        lines += [f"  tensor_shape: {size}" for size in info.tensor_shape]
        lines += _string_line("tensor_path", info.tensor_path)
        lines += _string_line("metadata_path", info.metadata_path)
        if info.sprite_path:
            lines.append("  sprite {")
            lines += ["  " + line for line in _string_line("image_path", info.sprite_path)]
            lines += [f"    single_image_dim: {size}" for size in info.single_image_dim]
            lines.append("  }")
        lines.append("}")
    return "\n".join(lines) + "\n"


def _string_line(key: str, value: str) -> list[str]:
    return [f"  {key}: {_quote(value)}"] if value else []


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{escaped}"'


_TOKEN = re.compile(
    r"""\s*(?:(?P<comment>\#[^\n]*)|(?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')|(?P<punct>[{}:<>;,\[\]])"""
    r"""|(?P<word>[^\s{}:<>;,\[\]"'#]+))"""
)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'"}


def _tokens(text: str) -> list[tuple[str, str]]:
    """(kind, text) of each token: `string` (unquoted, unescaped), `punct` or `word`; comments dropped."""
    tokens: list[tuple[str, str]] = []
    at = 0
    while at < len(text):
        if text[at:].strip() == "":
            break
        match = _TOKEN.match(text, at)
        if match is None or match.end() == at:
            line = text.count("\n", 0, at) + 1
            raise ConfigError(f"line {line}: cannot read {text[at:].split()[0][:20]!r}")
        at = match.end()
        kind = match.lastgroup
        assert kind is not None
        if kind == "string":
            body = match.group(kind)[1:-1]
            tokens.append(("string", re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), body)))
        elif kind != "comment":
            tokens.append((kind, match.group(kind)))
    return tokens


Message = dict[str, list[object]]
"""A parsed message: field name -> its values in order (a str, or a nested Message)."""


def _parse_message(tokens: list[tuple[str, str]], at: int, closing: str | None) -> tuple[Message, int]:
    message: Message = {}
    while at < len(tokens):
        kind, text = tokens[at]
        if closing is not None and kind == "punct" and text == closing:
            return message, at + 1
        if kind == "punct" and text in ";,":
            at += 1
            continue
        if kind != "word":
            raise ConfigError(f"expected a field name, found {text!r}")
        at += 1
        if at < len(tokens) and tokens[at] == ("punct", ":"):
            at += 1
        if at >= len(tokens):
            raise ConfigError(f"field {text!r} has no value")
        value_kind, value = tokens[at]
        if value_kind == "punct" and value in "{<":
            nested, at = _parse_message(tokens, at + 1, "}" if value == "{" else ">")
            message.setdefault(text, []).append(nested)
        elif value_kind == "punct" and value == "[":
            at += 1
            while at < len(tokens) and tokens[at] != ("punct", "]"):
                if tokens[at] != ("punct", ","):
                    message.setdefault(text, []).append(tokens[at][1])
                at += 1
            at += 1
        elif value_kind == "punct":
            raise ConfigError(f"field {text!r}: unexpected {value!r}")
        else:
            while at + 1 < len(tokens) and value_kind == "string" and tokens[at + 1][0] == "string":
                at += 1  # adjacent strings are concatenated, as in protobuf text
                value += tokens[at][1]
            message.setdefault(text, []).append(value)
            at += 1
    if closing is not None:
        raise ConfigError(f"a {'{'} is never closed")
    return message, at


def parse_pbtxt(text: str) -> list[EmbeddingInfo]:
    """The embeddings of a config's text, in order. Raises ConfigError for text that is not protobuf text."""
    message, _ = _parse_message(_tokens(text), 0, None)
    return [_embedding(item) for item in message.get("embeddings", []) if isinstance(item, dict)]


def _embedding(message: Message) -> EmbeddingInfo:
    sprites = [item for item in message.get("sprite", []) if isinstance(item, dict)]
    sprite = sprites[-1] if sprites else {}
    return EmbeddingInfo(
        tensor_name=_last(message, "tensor_name"),
        tensor_path=_last(message, "tensor_path"),
        metadata_path=_last(message, "metadata_path"),
        tensor_shape=_integers(message, "tensor_shape"),
        sprite_path=_last(sprite, "image_path"),
        single_image_dim=_integers(sprite, "single_image_dim"),
    )


def _last(message: Message, key: str) -> str:
    values = [value for value in message.get(key, []) if isinstance(value, str)]
    return values[-1] if values else ""


def _integers(message: Message, key: str) -> list[int]:
    try:
        return [int(str(value), 0) for value in message.get(key, [])]
    except ValueError:
        raise ConfigError(f"{key}: expected whole numbers, found {message[key]}") from None
