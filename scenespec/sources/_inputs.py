"""Input files given as bytes: how a spec renders on a machine that does not have the files its sources read.

The machine that has the files reads them (`SourceSpec.read_input`) and sends their bytes with the task; the
worker renders inside `provided_inputs(...)`, where `read_input` takes a file's bytes from that mapping instead of
the disk. The paths are those the sending machine's spec named, so a source's `inputs`, its trace cache key and its
error messages are the same there and here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

_provided: ContextVar[Mapping[str, bytes]] = ContextVar("scenespec_provided_inputs", default={})  # noqa: B039


@contextmanager
def provided_inputs(files: Mapping[str, bytes]) -> Iterator[None]:
    """Within the block, `read_file(path)` returns `files[str(path)]` where given (else it reads the disk)."""
    token = _provided.set(files)
    try:
        yield
    finally:
        _provided.reset(token)


def read_file(path: Path) -> bytes:
    """A file's bytes: the provided ones, or the disk's."""
    given = _provided.get().get(str(path))
    return given if given is not None else path.read_bytes()
