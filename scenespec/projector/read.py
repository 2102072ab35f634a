"""Read a projector log folder (written by `scenespec projector`, `SummaryWriter.add_embedding` or by hand) back
into a trace: each embedding of the config is a checkpoint.

Steps come from the tensor names when every name ends in a number (`default:00010`, `embedding step 00010`), else
they count 0, 1, 2… in config order. Metadata and sprite are taken from the first embedding that names them
(`add_embedding` writes a copy per step).
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from scenespec.errors import did_you_mean
from scenespec.projector.config import FILENAME, ConfigError, EmbeddingInfo, parse_pbtxt
from scenespec.projector.sprite import split_sprite
from scenespec.projector.tsv import read_metadata, read_tensor
from scenespec.resolve.trace import Trace
from scenespec.validate.base import field_name

_NUMBERED = re.compile(r"^(?P<series>.*?)[\s:/_.-]*(?P<step>\d+)$")
RESERVED = ("embedding", "labels", "label_names", "images")
"""Fields the source gives itself: a metadata column named like one becomes `meta_<name>`."""


class ReadError(ValueError):
    """A problem with the folder's content; `key` is the setting to blame (empty: the source as a whole)."""

    def __init__(self, message: str, key: str = "path") -> None:
        super().__init__(message)
        self.key = key


class TooLarge(ReadError):
    """Tensor files larger than the trace budget, found before reading them."""

    def __init__(self, what: str, nbytes: int) -> None:
        super().__init__(what)
        self.what = what
        self.nbytes = nbytes


@dataclass
class Projected:
    """What the folder holds, as trace arrays."""

    steps: np.ndarray
    embedding: np.ndarray
    names: list[str]
    """The tensor name of each step."""
    static: dict[str, np.ndarray] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)
    """Field name -> the metadata column it comes from, where they differ."""
    inputs: list[Path] = field(default_factory=list)

    def trace(self) -> Trace:
        return Trace(steps=self.steps, static=dict(self.static), stepped={"embedding": self.embedding})


def config_path(folder: Path) -> Path:
    return folder / FILENAME


def read_config(folder: Path) -> list[EmbeddingInfo]:
    """The config's embeddings, with located reasons when there is none to read."""
    config = config_path(folder)
    if not folder.is_dir():
        raise ReadError(f"{str(folder)!r} is not a folder" if folder.exists() else f"no folder {str(folder)!r}")
    if not config.is_file():
        raise ReadError(
            f"no {FILENAME} in {str(folder)!r}: not a projector log folder (the folder given to SummaryWriter, "
            "or written by `scenespec projector`)"
        )
    try:
        embeddings = parse_pbtxt(config.read_text(encoding="utf-8"))
    except (ConfigError, UnicodeDecodeError) as exc:
        raise ReadError(f"{str(config)!r} is not a projector config: {exc}") from None
    embeddings = [info for info in embeddings if info.tensor_path]
    if not embeddings:
        raise ReadError(f"{str(config)!r} names no tensor file (no embedding with a tensor_path)")
    return embeddings


def choose(embeddings: list[EmbeddingInfo], tensor: str | None) -> tuple[list[EmbeddingInfo], list[int]]:
    """The embeddings that make the checkpoints, with their steps (sorted). `tensor` picks a series: the tensor
    names without their step number (`default` for add_embedding's tag), needed when the config holds several."""
    names = [info.tensor_name or os.path.basename(info.tensor_path) for info in embeddings]
    matches = [_NUMBERED.match(name) for name in names]
    numbered = all(match is not None for match in matches)
    series = [match.group("series") if match is not None else name for match, name in zip(matches, names, strict=True)]
    if tensor is not None:
        picked = [i for i, (name, group) in enumerate(zip(names, series, strict=True)) if tensor in (name, group)]
        if not picked:
            known = list(dict.fromkeys(series))
            hint = did_you_mean(tensor, known)
            raise ReadError(f"no tensor named {tensor!r}{hint} (the config has {', '.join(known)})", "tensor")
    elif numbered and len(set(series)) > 1:
        known = list(dict.fromkeys(series))
        raise ReadError(
            f"the config holds several series of tensors ({', '.join(known)}); choose one with `tensor =`", ""
        )
    else:
        picked = list(range(len(embeddings)))
    chosen_matches = [matches[i] for i in picked]
    steps = [int(m.group("step")) if m is not None else 0 for m in chosen_matches]
    if not all(m is not None for m in chosen_matches) or len(set(steps)) != len(steps):
        steps = list(range(len(picked)))
    order = sorted(range(len(picked)), key=steps.__getitem__)
    return [embeddings[picked[i]] for i in order], [steps[i] for i in order]


def inside(folder: Path, relative: str) -> Path:
    """A path of the config, relative to its folder, refused (as the plugin refuses it) when it leads outside."""
    base = folder.resolve()
    candidate = (base / os.path.expanduser(relative)).resolve()
    if candidate != base and base not in candidate.parents:
        raise ReadError(f"{relative!r} (in {FILENAME}) leads outside the folder {str(folder)!r}")
    return candidate


def read_folder(
    folder: Path, *, label: str | None = None, tensor: str | None = None, max_bytes: float = math.inf
) -> Projected:
    """Read the folder: tensors (checked to share one shape), metadata and sprite."""
    chosen, steps = choose(read_config(folder), tensor)
    paths = [inside(folder, info.tensor_path) for info in chosen]
    missing = [info.tensor_path for info, path in zip(chosen, paths, strict=True) if not path.is_file()]
    if missing:
        raise ReadError(f"tensor file {missing[0]!r} (in {FILENAME}) does not exist in {str(folder)!r}")
    size = sum(path.stat().st_size for path in paths)
    if size > max_bytes:
        raise TooLarge(f"the tensor files of {str(folder)!r}", size)
    tensors: list[np.ndarray] = []
    for info, path in zip(chosen, paths, strict=True):
        try:
            values = read_tensor(path, info.tensor_shape)
        except (ValueError, OSError) as exc:
            raise ReadError(f"tensor file {info.tensor_path!r}: {exc}") from None
        if tensors and values.shape != tensors[0].shape:
            raise ReadError(
                f"tensor file {info.tensor_path!r} is {values.shape[0]}×{values.shape[1]}, but "
                f"{chosen[0].tensor_path!r} is {tensors[0].shape[0]}×{tensors[0].shape[1]}: every checkpoint must "
                "hold the same points in the same dimensions"
            )
        tensors.append(values)
    count = tensors[0].shape[0]
    names = [info.tensor_name or os.path.basename(info.tensor_path) for info in chosen]
    result = Projected(
        np.asarray(steps, dtype=np.int64), np.stack(tensors), names, inputs=[config_path(folder), *paths]
    )
    _read_metadata(folder, chosen, count, label, result)
    _read_sprite(folder, chosen, count, result, max_bytes - size)
    return result


def _read_metadata(folder: Path, chosen: list[EmbeddingInfo], count: int, label: str | None, result: Projected) -> None:
    relative = next((info.metadata_path for info in chosen if info.metadata_path), "")
    if not relative:
        if label is not None:
            raise ReadError(f"label column {label!r}: the config names no metadata file", "label")
        return
    path = inside(folder, relative)
    try:
        columns = read_metadata(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise ReadError(f"cannot read metadata file {relative!r}: {getattr(exc, 'strerror', None) or exc}") from None
    result.inputs.append(path)
    rows = len(next(iter(columns.values()), []))
    if rows != count:
        raise ReadError(
            f"metadata file {relative!r} has {rows} rows (after its header), but the tensors have {count} points"
        )
    if label is not None and label not in columns:
        raise ReadError(
            f"metadata file {relative!r} has no column {label!r}{did_you_mean(label, list(columns))} "
            f"(columns: {', '.join(columns)})",
            "label",
        )
    chosen_label = label if label is not None else next(iter(columns))
    codes, names = label_codes(columns[chosen_label])
    result.static["labels"] = codes
    if names is not None:
        result.static["label_names"] = names
    for column, values in columns.items():
        numbers = _numbers(values)
        if column == chosen_label or numbers is None:
            continue
        name = field_name(column)
        name = f"meta_{name}" if name in RESERVED or name in result.static else name
        result.static[name] = numbers
        if name != column:
            result.origins[name] = column


def label_codes(values: list[str]) -> tuple[np.ndarray, np.ndarray | None]:
    """Whole-number labels as they are; other labels as codes into their sorted distinct values (`label_names`)."""
    try:
        numbers = [float(value) for value in values]
    except ValueError:
        numbers = []
    if numbers and all(math.isfinite(n) and n == round(n) for n in numbers):
        return np.asarray(numbers, dtype=np.int64), None
    names, codes = np.unique(np.asarray(values, dtype=str), return_inverse=True)
    return codes.astype(np.int64), names


def _numbers(values: list[str]) -> np.ndarray | None:
    try:
        return np.asarray([float(value) for value in values], dtype=np.float64)
    except ValueError:
        return None


def _read_sprite(folder: Path, chosen: list[EmbeddingInfo], count: int, result: Projected, budget: float) -> None:
    """The thumbnails, once their float64 size (8 bytes a pixel and channel) is known to fit what the budget leaves."""
    info = next((info for info in chosen if info.sprite_path), None)
    if info is None:
        return
    if len(info.single_image_dim) != 2 or min(info.single_image_dim) < 1:
        raise ReadError(
            f"sprite {info.sprite_path!r}: single_image_dim must be [width, height], not {info.single_image_dim}"
        )
    path = inside(folder, info.sprite_path)
    width, height = info.single_image_dim
    try:
        with Image.open(path) as sprite:
            nbytes = count * width * height * (1 if sprite.mode in ("L", "1", "I", "I;16") else 3) * 8
            if nbytes > budget:
                raise TooLarge(f"the {count} thumbnails of sprite {info.sprite_path!r} as floats", nbytes)
            sprite.load()
            result.static["images"] = split_sprite(sprite, count, width, height)
    except TooLarge:
        raise
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ReadError(f"sprite {info.sprite_path!r}: {getattr(exc, 'strerror', None) or exc}") from None
    result.inputs.append(path)
