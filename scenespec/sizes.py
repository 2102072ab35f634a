"""Byte sizes as people write them (`5MB`, `500kB`, `2MiB`) and as messages print them."""

from __future__ import annotations

import re

UNITS = {"": 1, "b": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3, "kib": 1024, "mib": 1024**2, "gib": 1024**3}
SIZE = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-z]*)\s*", re.IGNORECASE)


def parse_size(text: str) -> int:
    """Bytes from `5MB`, `500kB`, `2MiB`, `1.5 MB` or `123456` (kB/MB: powers of 1000; KiB/MiB: of 1024)."""
    match = SIZE.fullmatch(text)
    unit = match.group(2).lower() if match else ""
    if match is None or unit not in UNITS:
        raise ValueError(f"{text!r} is not a size: expected a number and a unit, e.g. 5MB, 500kB, 2MiB or 1000000")
    size = int(float(match.group(1)) * UNITS[unit])
    if size <= 0:
        raise ValueError(f"{text!r}: a size budget is more than 0 bytes")
    return size


def show_size(size: float) -> str:
    """`5 MB`, `500 kB`, `812 B`: a byte count as the budget's messages print it."""
    for unit, factor in (("GB", 1000**3), ("MB", 1000**2), ("kB", 1000)):
        if size >= factor:
            return f"{size / factor:.3g} {unit}"
    return f"{size:.0f} B"
