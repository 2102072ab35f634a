"""Write outputs beside their destination and move them into place only when complete.

A failed or interrupted render therefore never leaves a half-written file, and
never destroys an earlier good output.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def temp_file_for(target: Path) -> Path:
    """A fresh temporary file in the target's folder (same file system, so the move is atomic).

    mkstemp makes it private (0600); the output gets the permissions any new file would.
    """
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    os.chmod(name, 0o666 & ~_umask())
    return Path(name)


def private_temp_file() -> Path:
    """A fresh private (0600) file in the system's temporary folder: where an encoder that needs a real file
    writes an output that is wanted in memory (read back, then deleted)."""
    fd, name = tempfile.mkstemp(prefix="scenespec-", suffix=".part")
    os.close(fd)
    return Path(name)


def temp_dir_for(target: Path) -> Path:
    folder = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent))
    os.chmod(folder, 0o777 & ~_umask())
    return folder


def commit_file(temp: Path, target: Path) -> None:
    os.replace(temp, target)


def commit_dir(temp: Path, target: Path) -> None:
    """Swap a finished folder into place; the old one is removed only after the swap."""
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
        os.replace(target, old / "content")
        try:
            os.replace(temp, target)
        except OSError:
            os.replace(old / "content", target)  # put the earlier output back
            raise
        finally:
            shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(temp, target)


def discard(temp: Path) -> None:
    if temp.is_dir():
        shutil.rmtree(temp, ignore_errors=True)
    else:
        temp.unlink(missing_ok=True)


def write_file(target: Path, data: bytes) -> None:
    """Write `data` to `target` atomically: all of it or, on any failure or interrupt, nothing (an earlier file at
    `target` stays)."""
    temp = temp_file_for(target)
    try:
        temp.write_bytes(data)
        commit_file(temp, target)
    except BaseException:
        discard(temp)
        raise
