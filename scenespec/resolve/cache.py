"""The trace cache: a resolved source's Trace kept on disk, so an unchanged source is not run again.

One `.npz` per key (written by `Trace.save`, read by `Trace.load`) in `cache_dir()`. The key is the
sha256 of everything a source's trace depends on: its validated spec section (so comments, formatting
and the rest of the spec do not matter, and `--set` overrides do), its kind, the versions of scenespec
and of the numeric libraries, and the bytes of every input file the source reads (`SourceSpec.inputs`).
See docs/cache.md.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

import platformdirs

import scenespec
from scenespec.resolve.trace import Trace
from scenespec.sources.base import ResolveContext, SourceSpec

ENV_VAR = "SCENESPEC_CACHE_DIR"
"""Environment variable naming the cache folder (default: the platform's user cache folder + `traces`)."""

FORMAT = 2
"""Bumped when the layout of a cache entry changes, or the fields a source kind records (2: an `optimizer`
source's `optimizers`), so old entries are missed rather than misread."""

MAX_AGE_DAYS = 30
"""Entries unused for this long are deleted whenever a new entry is written."""

LIBRARIES = ("numpy", "scikit-learn")
"""Libraries whose numbers end up in traces: a new version may change them, so it misses the cache."""


def cache_dir() -> Path:
    """`$SCENESPEC_CACHE_DIR`, or the platform's user cache folder for scenespec + `traces`."""
    override = os.environ.get(ENV_VAR)
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_cache_dir("scenespec", appauthor=False)) / "traces"


def _library_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def cache_key(spec: SourceSpec, ctx: ResolveContext) -> str | None:
    """The sha256 (hex) naming `spec`'s cache entry, or None when an input file cannot be read.

    The validated model is dumped twice: in full, and with only the keys the spec sets (should a source
    behave differently for a key left out than for the same value written out).
    """
    try:
        inputs = [hashlib.sha256(spec.read_input(path)).hexdigest() for path in spec.inputs(ctx)]
    except OSError:
        return None  # resolving will report the missing file properly
    content = {
        "format": FORMAT,
        "scenespec": scenespec.__version__,
        "libraries": {name: _library_version(name) for name in LIBRARIES},
        "kind": spec.kind,
        "spec": spec.model_dump(mode="json"),
        "set": spec.model_dump(mode="json", exclude_unset=True),
        "inputs": inputs,
    }
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()


class TraceCache:
    """A folder of cached traces. Never fails a render: a broken entry is a miss, an unwritable folder a warning."""

    def __init__(self, directory: str | Path | None = None) -> None:
        self.directory = Path(directory) if directory is not None else cache_dir()
        self.warned = False

    def path(self, key: str) -> Path:
        return self.directory / f"{key}.npz"

    def get(self, key: str) -> Trace | None:
        """The trace stored under `key`, or None if there is none or it cannot be read."""
        file = self.path(key)
        try:
            trace = Trace.load(file)
        except Exception:  # missing, truncated, not a zip, not a trace: recompute (and rewrite)
            return None
        with contextlib.suppress(OSError):
            os.utime(file)  # the age that pruning goes by is the time of last use
        return trace

    def put(self, key: str, trace: Trace) -> None:
        """Store `trace` under `key` atomically (a temporary file moved into place), then prune old entries."""
        temp: str | None = None
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(prefix=f".{key[:16]}.", suffix=".tmp", dir=self.directory)
            with os.fdopen(fd, "wb") as handle:
                trace.save(handle)  # numpy writes to an open file as well as to a path
            os.replace(temp, self.path(key))
            temp = None
        except OSError as exc:
            self._warn(exc)
            return
        finally:
            if temp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(temp)
        self.prune()

    def prune(self, max_age_days: float = MAX_AGE_DAYS) -> None:
        """Delete entries (and stray temporary files) not used for `max_age_days`."""
        cutoff = time.time() - max_age_days * 86400
        with contextlib.suppress(OSError), os.scandir(self.directory) as entries:
            for entry in entries:
                if entry.name.endswith((".npz", ".tmp")) and entry.is_file():
                    with contextlib.suppress(OSError):
                        if entry.stat().st_mtime < cutoff:
                            os.unlink(entry.path)

    def _warn(self, exc: OSError) -> None:
        if not self.warned:
            self.warned = True
            reason = exc.strerror or str(exc)
            print(
                f"warning: cannot write the trace cache in {self.directory} ({reason}); "
                f"going on without it (set {ENV_VAR} or pass --no-cache)",
                file=sys.stderr,
            )


def resolve_cached(spec: SourceSpec, ctx: ResolveContext, cache: TraceCache | None) -> Trace:
    """`spec.resolve(ctx)`, read from `cache` when an entry exists and written to it when not."""
    if cache is None or not spec.cacheable:
        return spec.resolve(ctx)
    key = cache_key(spec, ctx)
    if key is None:
        return spec.resolve(ctx)
    trace = cache.get(key)
    if trace is None:
        trace = spec.resolve(ctx)
        cache.put(key, trace)
    return trace
