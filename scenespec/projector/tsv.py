"""Tensor and metadata TSV files, as the projector plugin and its frontend read them.

A tensor file holds one point per line, its coordinates separated by tabs; numbers are written in Python's shortest
exact form, so reading one back gives the float64 written (TensorBoard itself reads them as float32). A metadata file
has a header line when it has two or more columns; a single column has none (the frontend takes a first line with a
tab as the header, and calls a lone column `label`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

LONE_COLUMN = "label"
"""What TensorBoard's frontend calls the only column of a metadata file without a header."""


def tensor_text(values: np.ndarray) -> str:
    """An (n, d) tensor as TSV."""
    return "".join("\t".join(map(repr, row)) + "\n" for row in np.asarray(values, dtype=np.float64).tolist())


def read_tensor(path: Path, shape: list[int]) -> np.ndarray:
    """An (n, d) float64 tensor from a TSV file, or (a file that is not text) from raw float32 of the config's
    `tensor_shape`, as the plugin falls back to. Raises ValueError naming the line at fault."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return _binary(data, shape)
    rows: list[list[float]] = []
    for number, line in enumerate(text.split("\n"), 1):
        line = line.rstrip("\r")
        if not line:
            continue
        try:
            row = [float(cell) for cell in line.split("\t")]
        except ValueError as exc:
            raise ValueError(f"line {number}: {exc}") from None
        if rows and len(row) != len(rows[0]):
            raise ValueError(f"line {number}: {len(row)} numbers, but the first line has {len(rows[0])}")
        rows.append(row)
    if not rows:
        raise ValueError("it holds no numbers")
    return np.array(rows, dtype=np.float64)


def _binary(data: bytes, shape: list[int]) -> np.ndarray:
    """A tensor file that is not text: raw little-endian float32 of the config's `tensor_shape`."""
    if len(shape) != 2:
        raise ValueError("not a text file, and the config gives no 2-D tensor_shape to read it as float32")
    if len(data) != 4 * shape[0] * shape[1]:
        raise ValueError(f"{len(data)} bytes, not the {4 * shape[0] * shape[1]} of float32 {shape[0]}×{shape[1]}")
    return np.frombuffer(data, dtype="<f4").reshape(shape).astype(np.float64)


def metadata_text(columns: dict[str, list[str]]) -> str:
    """Metadata TSV: a header line, then one line per point (tabs and line breaks in values become spaces)."""
    clean = {_cell(name): [_cell(value) for value in values] for name, values in columns.items()}
    lines = ["\t".join(clean)] if len(clean) > 1 else []
    lines += ["\t".join(row) for row in zip(*clean.values(), strict=True)]
    return "\n".join(lines) + "\n"


def _cell(value: str) -> str:
    return " ".join(str(value).replace("\t", " ").splitlines())


def _distinct(names: list[str]) -> list[str]:
    """Header names made distinct (`a`, `a_2`), so that a column named twice is not read as one twice as long."""
    seen: set[str] = set()
    out = []
    for name in names:
        unique, number = name, 2
        while unique in seen:
            unique, number = f"{name}_{number}", number + 1
        seen.add(unique)
        out.append(unique)
    return out


def read_metadata(path: Path) -> dict[str, list[str]]:
    """Column name -> one string per point, read as the frontend reads it: a first line holding a tab is the header,
    otherwise the file is one column named `label`. Blank lines are skipped."""
    lines = [line.rstrip("\r") for line in path.read_text(encoding="utf-8").split("\n")]
    lines = [line for line in lines if line.strip()]
    if not lines:
        return {}
    if "\t" not in lines[0]:
        return {LONE_COLUMN: lines}
    names = _distinct(lines[0].split("\t"))
    columns: dict[str, list[str]] = {name: [] for name in names}
    for line in lines[1:]:
        cells = line.split("\t")
        for i, name in enumerate(names):
            columns[name].append(cells[i] if i < len(cells) else "")
    return columns
