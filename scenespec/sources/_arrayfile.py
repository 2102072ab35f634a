"""One array from a user's `.npy` or `.npz` file, its header checked before a byte of data is loaded.

A source reading files it did not write (`embeddings`) reads their headers first (scenespec/resolve/npz.py): a
header can declare any shape, an `.npz` member can expand to far more than its size on disk, and an object array
needs pickle, which can run code. So the declared shape is known, and held against the budget, before `np.load`.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scenespec.errors import did_you_mean
from scenespec.resolve.npz import ArrayHeader, NotATrace, TooLarge, read_headers, read_npy_header

ARRAY_SUFFIXES = (".npy", ".npz")


class ArrayFileError(ValueError):
    """A problem with a file's content; `key` is the setting to blame."""

    def __init__(self, message: str, key: str) -> None:
        super().__init__(message)
        self.key = key


class FileTooLarge(ValueError):
    """A file declaring (or expanding to) more bytes than the budget: `what` names it and says which bytes."""

    def __init__(self, what: str, nbytes: float, key: str) -> None:
        super().__init__(what)
        self.what = what
        self.nbytes = nbytes
        self.key = key


@dataclass(frozen=True)
class ArrayFile:
    """One array of a file, as its header declares it: `member` names it in an `.npz` (None for a `.npy`)."""

    path: Path
    shown: str
    """The file as messages name it (relative to the spec's folder)."""
    member: str | None
    header: ArrayHeader
    key: str
    """The setting naming the file: problems found while loading it are located there."""

    def load(self) -> np.ndarray:
        """The array's values (only after its header was checked), without pickle."""
        try:
            with open(self.path, "rb") as handle:
                if self.member is None:
                    values = np.load(handle, allow_pickle=False)
                else:
                    with np.load(handle, allow_pickle=False) as archive:
                        values = archive[self.member]
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:  # changed since its header was read
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise ArrayFileError(f"cannot read {self.shown!r}: {reason}", self.key) from None
        if values.shape != self.header.shape:
            raise ArrayFileError(f"{self.shown!r} changed while it was read", self.key)
        return np.asarray(values)


def array_file(
    path: Path, shown: str, max_bytes: float, *, key: str, default: str, wanted: str | None = None, member_key: str = ""
) -> ArrayFile:
    """The array of `path`: a `.npy`, or an `.npz` holding one array, else its member `wanted` (the setting
    `member_key` names it), else its member `default`.

    Errors about the file are located at the setting `key`, a missing member at `member_key`. Raises
    ArrayFileError, or FileTooLarge when the file declares (or expands to) more than `max_bytes`.
    """
    try:
        if path.suffix == ".npy":
            return ArrayFile(path, shown, None, read_npy_header(path, max_bytes), key)
        with open(path, "rb") as handle:
            headers = read_headers(handle, max_bytes)
    except TooLarge as exc:
        raise FileTooLarge(f"{shown!r} ({exc.what})", exc.nbytes, key) from None
    except NotATrace as exc:
        what = "a .npy array" if path.suffix == ".npy" else "an .npz archive of arrays"
        raise ArrayFileError(f"{shown!r} cannot be read as {what}: {exc}", key) from None
    except OSError as exc:
        raise ArrayFileError(f"cannot read {shown!r}: {exc.strerror or exc}", key) from None
    names = list(headers)
    listed = ", ".join(names) or "none"
    if wanted is not None:
        if wanted not in headers:
            hint = did_you_mean(wanted, names)
            raise ArrayFileError(f"{shown!r} has no array {wanted!r}{hint} (its arrays: {listed})", member_key)
        member = wanted
    elif len(names) == 1:
        member = names[0]
    elif default in headers:
        member = default
    else:
        choose = f"; name the one to read with `{member_key} =`" if member_key else ""
        raise ArrayFileError(f"{shown!r} holds {len(names)} arrays ({listed}), none named {default!r}{choose}", key)
    return ArrayFile(path, shown, member, headers[member], key)
