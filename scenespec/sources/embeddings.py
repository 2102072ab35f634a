"""Source `embeddings`: a user's own embeddings, saved as one `.npy`/`.npz` file per checkpoint.

The plainest way out of a training loop of one's own is `np.save(f"runs/emb/epoch_{epoch:03d}.npy", outputs)`:
this source reads such a folder as the embedding trace layout (stepped `embedding`, static `labels` and `images`),
so the `projection` transform and the `embedding`/`sprites` layers take it as they take the classifier's. It
follows the folder (`followed`), so `scenespec watch` redraws as a run adds checkpoints.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field

from scenespec.errors import did_you_mean
from scenespec.projector.read import label_codes
from scenespec.projector.tsv import read_metadata
from scenespec.resolve.trace import Trace
from scenespec.sources._arrayfile import ARRAY_SUFFIXES, ArrayFile, ArrayFileError, FileTooLarge, array_file
from scenespec.sources.base import ResolveContext, SourceSpec, TraceShape, register_source
from scenespec.validate.limits import byte_size, over_limit

NUMBER = re.compile(r"\d+")
GLOB_MAGIC = re.compile(r"[*?[]")
TEXT_LABELS = (".txt", ".tsv")
LABEL_COLUMN = "label"
NUMERIC_KINDS = "biuf"
BYTE_MAX = 255


@register_source
class EmbeddingsSource(SourceSpec):
    """Embeddings saved by a training loop of your own: one `.npy` (or `.npz`) file per checkpoint, each an (n, d)
    array (a row of d numbers for each of the same n points).

    Trace fields: stepped `embedding` ((steps, n, d) float64, a step per file: the last number in the file's name,
    `epoch_010.npy` -> 10); static `labels` ((n,) int64, when `labels` is given; text labels become codes into a
    static `label_names`, their sorted distinct values) and static `images` ((n, h, w) or (n, h, w, 3) float64 in
    [0, 1], when `images` is given).
    """

    example = """
[sources.run]
kind = "embeddings"
path = "runs/emb/*.npy"            # epoch_000.npy, epoch_001.npy, …: one (n, d) array per checkpoint
labels = "runs/emb/labels.npy"     # (n,) classes, or a .txt/.tsv with one label per line
images = "runs/emb/images.npy"     # (n, h, w) thumbnails, in [0, 1] or 0..255
"""

    kind: Literal["embeddings"]
    path: str = Field(
        description="The checkpoint files: a glob relative to the spec file (`runs/emb/*.npy`; `**` for sub-folders), "
        "or a folder (every `.npy` and `.npz` file in it). Files named by `labels` or `images` are left out."
    )
    steps: Literal["number", "order"] = Field(
        "number",
        description="`number`: each file's step is the last number in its name (`epoch_010.npy` -> 10), the files "
        "ordered by it; `order`: the files in name order are steps 0, 1, 2…",
    )
    key: str | None = Field(
        None,
        description="The array to read from each `.npz` checkpoint file. Default: its only array, or `embedding`.",
    )
    labels: str | None = Field(
        None,
        description="The class of each point, relative to the spec file: an (n,) array (`.npy`, or `.npz` with one "
        "array or `labels`), or a `.txt`/`.tsv` file with a label per line (TensorBoard's metadata file: with "
        "several columns, a header line names them).",
    )
    label: str | None = Field(
        None,
        description="The column of a `.tsv` labels file holding the labels. Default: the column `label`, else the "
        "first.",
    )
    images: str | None = Field(
        None,
        description="The thumbnail of each point, relative to the spec file: an (n, h, w) grey or (n, h, w, 3) colour "
        "array (`.npy`, or `.npz` with one array or `images`), values in [0, 1] or whole numbers 0..255.",
    )

    cacheable = False  # reading the files is as quick as reading a cached trace, and sees a growing run as it is

    def inputs(self, ctx: ResolveContext) -> list[Path]:
        return self._read(ctx).inputs

    def _side_files(self) -> list[tuple[str, str]]:
        """(key, file name) of the labels and images files given."""
        return [(key, name) for key, name in (("labels", self.labels), ("images", self.images)) if name is not None]

    def followed(self, ctx: ResolveContext) -> list[Path]:
        """The checkpoints' folder (a glob's folder, followed with its sub-folders), and the labels and images
        files when they lie outside it."""
        watched = self._watched(ctx)
        extra = [ctx.folder(key) / name for key, name in self._side_files()]
        return [watched, *[path for path in extra if watched not in path.parents]]

    def fields(self, ctx: ResolveContext) -> dict[str, bool]:
        return {"embedding": True} | dict.fromkeys(self._read(ctx).static, False)

    def trace_shape(self, ctx: ResolveContext) -> TraceShape:
        return self._read(ctx).shape

    def resolve(self, ctx: ResolveContext) -> Trace:
        read = self._read(ctx)
        return Trace(steps=read.steps, static=dict(read.static), stepped={"embedding": read.embedding})

    # --- reading ---------------------------------------------------------------------------------------------------

    def _read(self, ctx: ResolveContext) -> Embeddings:
        return self.once(("embeddings", ctx.base_dir), lambda: self._load(ctx))

    def _load(self, ctx: ResolveContext) -> Embeddings:
        """Headers first (shapes, budget), then the data."""
        max_bytes = ctx.limits.value("max_trace_bytes")
        try:
            steps, files = self._checkpoints(ctx)
            if self.key is not None and not any(path.suffix == ".npz" for path in files):
                raise ArrayFileError(
                    f"`key` names an array of .npz checkpoint files, and {self.path!r} holds .npy files only (one "
                    "array each)",
                    "key",
                )
            checkpoints = [
                array_file(path, self._shown(ctx, path), max_bytes, key="path", default="embedding",
                           wanted=self.key, member_key="key")
                for path in files
            ]  # fmt: skip
            count, dims = _common_shape(checkpoints)
            labels = self._array(ctx, self.labels, "labels", max_bytes) if self._binary(self.labels) else None
            images = self._array(ctx, self.images, "images", max_bytes)
            static_shapes = {}
            if labels is not None:
                static_shapes["labels"] = labels.header.shape
            if images is not None:
                _check_images_header(images, count)
                static_shapes["images"] = images.header.shape
            ctx.check_budget(TraceShape.of(len(steps), static_shapes, {"embedding": (count, dims)}, ("path",)))
            embedding = np.stack([_numbers(item.load(), item.shown) for item in checkpoints])
            static: dict[str, np.ndarray] = {}
            if self.labels is not None:
                static |= self._labels(ctx, labels, count, max_bytes)
            if images is not None:
                static["images"] = _thumbnails(images.load(), images.shown)
        except ArrayFileError as exc:
            raise ctx.error(str(exc), exc.key) from None
        except FileTooLarge as exc:
            message = over_limit(f"{exc.what}: {byte_size(exc.nbytes)}", "max_trace_bytes", ctx.limits)
            raise ctx.error(message, exc.key) from None
        shape = TraceShape.of(
            len(steps), {name: values.shape for name, values in static.items()}, {"embedding": (count, dims)}, ("path",)
        )
        inputs = [*files] + [ctx.folder(key) / name for key, name in self._side_files()]
        return Embeddings(np.asarray(steps, dtype=np.int64), embedding, static, shape, inputs)

    def _watched(self, ctx: ResolveContext) -> Path:
        """The folder holding the checkpoints (a glob's fixed part), or the path itself."""
        root, _ = _split_glob(ctx.folder("path") / self.path)
        return root

    def _checkpoints(self, ctx: ResolveContext) -> tuple[list[int], list[Path]]:
        """The checkpoint files in step order, with their steps."""
        target = ctx.folder("path") / self.path
        root, pattern = _split_glob(target)
        excluded = {(ctx.folder(key) / name).resolve() for key, name in self._side_files()}
        if pattern is not None:
            found = [path for path in root.glob(pattern) if path.is_file()]
        elif target.is_dir():
            found = [path for path in target.iterdir() if path.is_file() and path.suffix in ARRAY_SUFFIXES]
        elif target.is_file():
            found = [target]
        else:
            raise ArrayFileError(f"no file or folder {self.path!r}", "path")
        files = [path for path in found if path.resolve() not in excluded]
        if not files:
            where = f"no .npy or .npz file in the folder {self.path!r}" if pattern is None else (
                f"no file matches {self.path!r}" + ("" if root.is_dir() else f" (no folder {self._shown(ctx, root)!r})")
            )  # fmt: skip
            raise ArrayFileError(where, "path")
        for path in files:
            if path.suffix not in ARRAY_SUFFIXES:
                raise ArrayFileError(
                    f"{self._shown(ctx, path)!r} is not a .npy or .npz file: every file `path` matches is a checkpoint",
                    "path",
                )
        if self.steps == "order":
            ordered = sorted(files, key=lambda path: self._shown(ctx, path))
            return list(range(len(ordered))), ordered
        return self._numbered(ctx, files)

    def _numbered(self, ctx: ResolveContext, files: list[Path]) -> tuple[list[int], list[Path]]:
        """Each file's step from the last number in its name, the files sorted by it (2 before 10)."""
        steps: dict[int, Path] = {}
        for path in files:
            numbers = NUMBER.findall(path.name.removesuffix(path.suffix))
            if not numbers:
                raise ArrayFileError(
                    f"{self._shown(ctx, path)!r} has no number in its name to give its step: name each checkpoint "
                    'file with its step (epoch_010.npy), or set `steps = "order"` to count the files 0, 1, 2… in '
                    "name order",
                    "path",
                )
            step = int(numbers[-1])
            if step in steps:
                first, second = sorted([self._shown(ctx, steps[step]), self._shown(ctx, path)])
                raise ArrayFileError(f"{first!r} and {second!r} both hold step {step}", "path")
            steps[step] = path
        order = sorted(steps)
        return order, [steps[step] for step in order]

    def _array(self, ctx: ResolveContext, name: str | None, key: str, max_bytes: float) -> ArrayFile | None:
        if name is None:
            return None
        path = ctx.folder(key) / name
        if path.suffix not in ARRAY_SUFFIXES:
            allowed = ".npy, .npz, .txt or .tsv" if key == "labels" else ".npy or .npz"
            raise ArrayFileError(f"{name!r} is not a {allowed} file", key)
        if not path.is_file():
            raise ArrayFileError(f"no file {name!r}", key)
        return array_file(path, name, max_bytes, key=key, default=key)

    @staticmethod
    def _binary(name: str | None) -> bool:
        return name is not None and Path(name).suffix not in TEXT_LABELS

    def _labels(
        self, ctx: ResolveContext, file: ArrayFile | None, count: int, max_bytes: float
    ) -> dict[str, np.ndarray]:
        """`labels` (and `label_names` for text labels), one per point."""
        assert self.labels is not None
        if self.label is not None and file is not None:
            raise ArrayFileError(
                f"`label` picks a column of a .tsv labels file, and {self.labels!r} is an array", "label"
            )
        if file is not None:
            if len(file.header.shape) != 1:
                raise ArrayFileError(
                    f"{self.labels!r} holds a {file.header.describe()} array: labels are one value per point, (n,)",
                    "labels",
                )
            values = file.load()
            codes, names = _label_values(values, self.labels)
        else:
            codes, names = self._text_labels(ctx, max_bytes)
        if len(codes) != count:
            raise ArrayFileError(
                f"{self.labels!r} holds {len(codes)} labels, but each checkpoint holds {count} points", "labels"
            )
        return {"labels": codes} | ({} if names is None else {"label_names": names})

    def _text_labels(self, ctx: ResolveContext, max_bytes: float) -> tuple[np.ndarray, np.ndarray | None]:
        """Labels from a metadata file: a label per line, or (a header line with tabs) a column of a table."""
        assert self.labels is not None
        path = ctx.folder("labels") / self.labels
        try:
            size = path.stat().st_size
            if size > max_bytes:
                raise FileTooLarge(repr(self.labels), size, "labels")
            columns = read_metadata(path)
        except OSError as exc:
            raise ArrayFileError(f"cannot read {self.labels!r}: {exc.strerror or exc}", "labels") from None
        except UnicodeDecodeError as exc:
            raise ArrayFileError(
                f"{self.labels!r} is not UTF-8 text ({exc.reason} at byte {exc.start})", "labels"
            ) from None
        if not columns:
            raise ArrayFileError(f"{self.labels!r} holds no labels", "labels")
        if self.label is not None and self.label not in columns:
            hint = did_you_mean(self.label, list(columns))
            raise ArrayFileError(
                f"{self.labels!r} has no column {self.label!r}{hint} (columns: {', '.join(columns)})", "label"
            )
        column = self.label or (LABEL_COLUMN if LABEL_COLUMN in columns else next(iter(columns)))
        return label_codes(columns[column])

    @staticmethod
    def _shown(ctx: ResolveContext, path: Path) -> str:
        """A path as messages name it: relative to the spec's folder when inside it."""
        try:
            return path.relative_to(ctx.base_dir).as_posix()
        except ValueError:
            return str(path)


@dataclass(frozen=True)
class Embeddings:
    """What the files hold, as trace arrays."""

    steps: np.ndarray
    embedding: np.ndarray
    static: dict[str, np.ndarray]
    shape: TraceShape
    inputs: list[Path] = field(default_factory=list)


def _split_glob(path: Path) -> tuple[Path, str | None]:
    """A path's fixed folder and the glob pattern after it (None: no wildcard, the path itself)."""
    parts = path.parts
    for index, part in enumerate(parts):
        if GLOB_MAGIC.search(part):
            return Path(*parts[:index]), "/".join(parts[index:])
    return path, None


def _common_shape(checkpoints: list[ArrayFile]) -> tuple[int, int]:
    """The (n, d) every checkpoint file must declare, numbers all."""
    first = checkpoints[0]
    for item in checkpoints:
        header = item.header
        if len(header.shape) != 2:
            raise ArrayFileError(
                f"{item.shown!r} holds a {header.describe()} array: a checkpoint is an (n, d) array, a row of d "
                "numbers per point",
                "path",
            )
        if header.dtype.kind not in NUMERIC_KINDS:
            raise ArrayFileError(f"{item.shown!r} holds {header.dtype} values, not numbers", "path")
        if header.shape != first.header.shape:
            raise ArrayFileError(
                f"{item.shown!r} holds a {_dims(header.shape)} array, but {first.shown!r} holds "
                f"{_dims(first.header.shape)}: every checkpoint must hold the same points (rows) in the same "
                "dimensions (columns)",
                "path",
            )
    count, dims = first.header.shape
    return count, dims


def _dims(shape: tuple[int, ...]) -> str:
    return "×".join(str(n) for n in shape)


def _numbers(values: np.ndarray, shown: str) -> np.ndarray:
    if values.dtype.kind not in NUMERIC_KINDS:
        raise ArrayFileError(f"{shown!r} holds {values.dtype} values, not numbers", "path")
    return values.astype(np.float64)


def _label_values(values: np.ndarray, shown: str) -> tuple[np.ndarray, np.ndarray | None]:
    """Whole numbers as they are; text as codes into its sorted distinct values."""
    if values.dtype.kind in "US":
        return label_codes([str(value) for value in values.tolist()])
    if values.dtype.kind in "biu":
        return values.astype(np.int64), None
    if values.dtype.kind == "f" and np.all(np.isfinite(values)) and np.all(values == np.round(values)):
        return values.astype(np.int64), None
    raise ArrayFileError(
        f"{shown!r} holds {values.dtype} values that are not all whole numbers: labels are classes (0, 1, 2…) or text",
        "labels",
    )


def _check_images_header(file: ArrayFile, count: int) -> None:
    shape = file.header.shape
    if not (len(shape) == 3 or (len(shape) == 4 and shape[3] == 3)):
        raise ArrayFileError(
            f"{file.shown!r} holds a {file.header.describe()} array: images are (n, h, w) grey or (n, h, w, 3) colour",
            "images",
        )
    if file.header.dtype.kind not in NUMERIC_KINDS:
        raise ArrayFileError(f"{file.shown!r} holds {file.header.dtype} values, not numbers", "images")
    if shape[0] != count:
        raise ArrayFileError(
            f"{file.shown!r} holds {shape[0]} images, but each checkpoint holds {count} points", "images"
        )


def _thumbnails(values: np.ndarray, shown: str) -> np.ndarray:
    """Grey or colour values in [0, 1]: whole numbers are read as 0..255."""
    if values.dtype.kind in "iu":
        low, high = (int(values.min()), int(values.max())) if values.size else (0, 0)
        if low < 0 or high > BYTE_MAX:
            raise ArrayFileError(
                f"{shown!r} holds whole numbers from {low} to {high}: images are values in [0, 1], or whole numbers "
                "0..255",
                "images",
            )
        return values.astype(np.float64) / BYTE_MAX
    images = values.astype(np.float64)
    if images.size and not (np.all(np.isfinite(images)) and images.min() >= 0 and images.max() <= 1):
        raise ArrayFileError(
            f"{shown!r} holds values from {np.nanmin(images):g} to {np.nanmax(images):g}: images are values in [0, 1] "
            "(or whole numbers 0..255); divide them by their largest value",
            "images",
        )
    return images
