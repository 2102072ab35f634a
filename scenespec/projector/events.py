"""A minimal TensorBoard event file, so that an exported folder is a *run*: TensorBoard finds a projector config
only in its `--logdir` itself or in a run's folder, and a folder is a run when it holds an event file. With one,
several exports under one folder (`tensorboard --logdir runs`) each show up in the projector's run menu.

The file holds the one record every event file starts with (`file_version`), framed as a TFRecord: length, its
masked CRC-32C, the serialized `Event` proto, its masked CRC-32C. Written by hand, so TensorBoard is not needed.
"""

from __future__ import annotations

import struct
import time
from pathlib import Path

PREFIX = "events.out.tfevents."
FILE_VERSION = b"brain.Event:2"


def _crc32c_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_TABLE = _crc32c_table()


def crc32c(data: bytes) -> int:
    """CRC-32C (Castagnoli), the checksum TFRecord frames use."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _masked(data: bytes) -> bytes:
    crc = crc32c(data)
    return struct.pack("<I", (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF)


def record(payload: bytes) -> bytes:
    """One TFRecord frame around `payload`."""
    length = struct.pack("<Q", len(payload))
    return length + _masked(length) + payload + _masked(payload)


def file_version_event(wall_time: float) -> bytes:
    """`Event(wall_time=…, file_version="brain.Event:2")` serialized: field 1 (double), field 3 (string)."""
    return b"\x09" + struct.pack("<d", wall_time) + b"\x1a" + bytes([len(FILE_VERSION)]) + FILE_VERSION


def write_event_file(folder: Path, wall_time: float | None = None) -> Path:
    """An event file in `folder` holding only the file-version record."""
    now = time.time() if wall_time is None else wall_time
    path = folder / f"{PREFIX}{int(now)}.scenespec"
    path.write_bytes(record(file_version_event(now)))
    return path
