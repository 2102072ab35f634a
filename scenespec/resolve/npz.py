"""Checks on a `.npz` trace file made from its headers alone, before numpy loads a byte of data.

numpy allocates an array from the shape its `.npy` header declares, and a zip member may expand to far more
than the file's size: a crafted header claiming `(10**12,)` or a compressed run of zeros would exhaust memory
before anything could object. So the zip directory and every member's `.npy` header are read first, and the
declared sizes are held against the budget (`limits.max_trace_bytes`); object arrays (which need pickle) are
refused outright.
"""

from __future__ import annotations

import math
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO

import numpy as np
from numpy.lib import format as npy

NPY_SUFFIX = ".npy"
MAX_HEADER_BYTES = 10_000  # numpy's own default bound on a header's length


class NotATrace(ValueError):
    """The file cannot be a scenespec trace; the message says why."""


class TooLarge(ValueError):
    """The file declares (or would expand to) more bytes than the budget allows: `what` says which bytes."""

    def __init__(self, what: str, nbytes: int) -> None:
        super().__init__(f"{nbytes:,} bytes ({what})")
        self.what = what
        self.nbytes = nbytes


@dataclass(frozen=True)
class ArrayHeader:
    """One array of the file as its header declares it."""

    shape: tuple[int, ...]
    dtype: np.dtype

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * self.dtype.itemsize

    def describe(self) -> str:
        """`1000000000000 float64`, `3×4 int64`."""
        return f"{'×'.join(str(n) for n in self.shape) or 'scalar'} {self.dtype}"


def read_headers(path: Path | BinaryIO, max_bytes: float) -> dict[str, ArrayHeader]:
    """Every array's name and declared shape, checked against `max_bytes` (the whole file's arrays together).

    Raises `NotATrace` for a file that is not an `.npz` of plain arrays and `TooLarge` past the budget.
    """
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise NotATrace("it is not a zip archive") from None
    with archive:
        members = archive.infolist()
        expanded = sum(info.file_size for info in members)
        if expanded > max_bytes:
            raise TooLarge(f"what its {len(members)} members expand to", expanded)
        headers = {}
        for info in members:
            if not info.filename.endswith(NPY_SUFFIX):
                raise NotATrace(f"member {info.filename!r} is not a .npy array")
            name = info.filename.removesuffix(NPY_SUFFIX)
            header, data_bytes = _member_header(archive, info)
            if header.nbytes > max_bytes:
                raise TooLarge(f"what its array {name!r} declares: {header.describe()}", header.nbytes)
            if header.nbytes > data_bytes:
                raise NotATrace(
                    f"its array {name!r} declares a {header.describe()} array ({header.nbytes:,} bytes) "
                    f"but holds {data_bytes:,} bytes of data"
                )
            headers[name] = header
        declared = sum(header.nbytes for header in headers.values())
        if declared > max_bytes:
            raise TooLarge("what its arrays declare in all", declared)
    return headers


def _member_header(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[ArrayHeader, int]:
    """The `.npy` header of one member, read without its data, and how many bytes of data follow it."""
    try:
        with archive.open(info) as member:
            header = npy_header(member, f"member {info.filename!r}")
            data_start = member.tell()
    except zipfile.BadZipFile as exc:
        raise NotATrace(f"member {info.filename!r} has no valid .npy header ({exc})") from None
    return header, max(info.file_size - data_start, 0)


def npy_header(stream: IO[bytes], what: str) -> ArrayHeader:
    """The `.npy` header at the start of `stream` (left just after it), read without the data; `what` names the
    array in messages. Object arrays (which need pickle) are refused."""
    try:
        version = npy.read_magic(stream)
        if version == (1, 0):
            shape, _, dtype = npy.read_array_header_1_0(stream, max_header_size=MAX_HEADER_BYTES)
        elif version == (2, 0):
            shape, _, dtype = npy.read_array_header_2_0(stream, max_header_size=MAX_HEADER_BYTES)
        else:
            raise NotATrace(f"{what} is a .npy of version {version[0]}.{version[1]}, not 1.0 or 2.0")
    except NotATrace:
        raise
    except (ValueError, EOFError, NotImplementedError) as exc:
        raise NotATrace(f"{what} has no valid .npy header ({exc})") from None
    header = ArrayHeader(tuple(int(n) for n in shape), np.dtype(dtype))
    if header.dtype.hasobject:
        raise NotATrace(f"{what} is an object array (refused: a trace holds numbers and strings)")
    return header


def read_npy_header(path: Path, max_bytes: float) -> ArrayHeader:
    """The header of a plain `.npy` file, checked like an `.npz` member's: against `max_bytes`, and against the
    bytes of data the file holds (a truncated file, or one still being written, is not read)."""
    with open(path, "rb") as stream:
        header = npy_header(stream, "the file")
        data_bytes = path.stat().st_size - stream.tell()
    if header.nbytes > max_bytes:
        raise TooLarge(f"what its array declares: {header.describe()}", header.nbytes)
    if header.nbytes > data_bytes:
        raise NotATrace(
            f"it declares a {header.describe()} array ({header.nbytes:,} bytes) but holds {data_bytes:,} bytes of data"
        )
    return header
