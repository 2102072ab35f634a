"""A `trace` source's `.npz` is checked from its headers before numpy loads it: hostile files are located errors.

The hostile files are built here, in tmp_path: an `.npy` header claiming 10**12 numbers, a member that expands to
2.1 GB of zeros (written as a repeated deflate block, so it costs a few megabytes and no compression time), an
object array, files that are not traces at all.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from helpers import line_of, run_cli, write_spec

from scenespec.api import load
from scenespec.errors import SpecError, format_path
from scenespec.resolve.npz import TooLarge, read_headers
from scenespec.resolve.trace import Trace

SPEC = """\
[sources.run]
kind = "trace"
path = "run.npz"

[frames]
steps = "all"

[[panels]]
layers = [{ kind = "line", x = "run.x", y = "run.pred" }]
"""
PATH_LINE = line_of(SPEC, 'path = "run.npz"')


def small_trace() -> Trace:
    x = np.linspace(0.0, 1.0, 5)
    return Trace(steps=np.arange(3), static={"x": x}, stepped={"pred": np.outer(np.arange(3.0), x)})


def npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def npy_header(shape: tuple[int, ...], dtype: str = "<f8") -> bytes:
    """A version 1.0 `.npy` header declaring `shape`, with no data after it."""
    buffer = io.BytesIO()
    header = {"descr": dtype, "fortran_order": False, "shape": shape}
    np.lib.format.write_array_header_1_0(buffer, header)
    return buffer.getvalue()


def write_npz(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def steps_member() -> dict[str, bytes]:
    return {"__steps__.npy": npy_bytes(np.arange(3)), "static/x.npy": npy_bytes(np.linspace(0.0, 1.0, 5))}


def located(tmp_path: Path, spec_text: str = SPEC) -> SpecError:
    spec = write_spec(tmp_path, spec_text)
    with pytest.raises(SpecError) as info:
        load(spec)
    error = info.value
    assert len(error.problems) == 1, str(error)
    problem = error.problems[0]
    assert (problem.file, problem.line, format_path(problem.path)) == (str(spec), PATH_LINE, "sources.run.path")
    assert "allow_pickle" not in str(error)
    return error


def test_a_saved_trace_loads_and_its_path_is_relative_to_the_spec_folder(tmp_path: Path) -> None:
    folder = tmp_path / "specs"
    folder.mkdir()
    small_trace().save(folder / "run.npz")
    spec = write_spec(folder, SPEC)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = run_cli(["validate", str(spec)], cwd=elsewhere)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"ok: {spec}"
    prepared = load(spec).prepare()
    np.testing.assert_array_equal(prepared.traces["run"].field("pred").data, small_trace().stepped["pred"])


def test_a_header_claiming_a_huge_array_is_refused_before_loading(tmp_path: Path) -> None:
    members = steps_member() | {"stepped/pred.npy": npy_header((10**12,)) + bytes(64)}
    write_npz(tmp_path / "run.npz", members)
    error = located(tmp_path)
    text = str(error)
    assert text.endswith(
        "run.npz': 8.0 TB (what its array 'stepped/pred' declares: 1000000000000 float64) is over the limit of "
        "2.0 GB (limits.max_trace_bytes; raise it if you mean it)"
    )


def test_a_header_claiming_more_data_than_the_member_holds_is_not_a_trace(tmp_path: Path) -> None:
    members = steps_member() | {"stepped/pred.npy": npy_header((3, 1000)) + bytes(16)}
    write_npz(tmp_path / "run.npz", members)
    text = str(located(tmp_path))
    assert "run.npz' is not a scenespec trace (.npz): its array 'stepped/pred' declares a 3×1000 float64" in text
    assert "(24,000 bytes) but holds 16 bytes of data" in text


def _zip_entry(name: bytes, crc: int, packed: int, size: int, offset: int) -> tuple[bytes, bytes]:
    """The local header and the central directory record of one deflated member."""
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, packed, size, len(name), 0) + name
    central = struct.pack(
        "<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, packed, size, len(name), 0, 0, 0, 0, 0, offset
    )
    return local, central + name


def zip_bomb(path: Path, zeros: int) -> None:
    """An `.npz` whose `stepped/pred` member is an honest float64 array of `zeros` bytes of zeros, deflated.

    After a full flush deflate starts afresh, so every megabyte of zeros compresses to the same block: the
    stream is that block repeated, built without compressing gigabytes."""
    chunk = 1 << 20
    assert zeros % chunk == 0
    header = npy_header((zeros // 8,))
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = deflate.compress(header) + deflate.flush(zlib.Z_FULL_FLUSH)
    block = deflate.compress(bytes(chunk)) + deflate.flush(zlib.Z_FULL_FLUSH)
    stream = first + block * (zeros // chunk) + deflate.flush()
    crc = zlib.crc32(header)
    zero_chunk = bytes(64 * chunk)
    for _ in range(zeros // len(zero_chunk)):
        crc = zlib.crc32(zero_chunk, crc)
    steps = npy_bytes(np.arange(3))
    with open(path, "wb") as out:
        records = []
        for name, data, size, crc_of in (
            (b"__steps__.npy", zlib.compress(steps)[2:-4], len(steps), zlib.crc32(steps)),
            (b"stepped/pred.npy", stream, len(header) + zeros, crc),
        ):
            local, central = _zip_entry(name, crc_of, len(data), size, out.tell())
            out.write(local + data)
            records.append(central)
        start = out.tell()
        directory = b"".join(records)
        out.write(directory)
        out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 2, 2, len(directory), start, 0))


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bomb") / "run.npz"
    zip_bomb(path, 2100 * (1 << 20))
    return path


def test_the_zip_bomb_is_small_on_disk_and_honest(bomb: Path) -> None:
    """What the next test refuses really is a valid archive whose member expands to 2.2 GB."""
    assert bomb.stat().st_size < 40_000_000
    with zipfile.ZipFile(bomb) as archive:
        info = archive.getinfo("stepped/pred.npy")
        assert info.file_size == 2100 * (1 << 20) + 128
        with archive.open(info) as member:
            assert np.lib.format.read_magic(member) == (1, 0)
            assert np.lib.format.read_array_header_1_0(member)[0] == (2100 * (1 << 20) // 8,)
            assert member.read(1 << 20) == bytes(1 << 20)


def test_a_member_expanding_beyond_the_budget_is_refused_before_it_is_read(tmp_path: Path, bomb: Path) -> None:
    (tmp_path / "run.npz").symlink_to(bomb)
    text = str(located(tmp_path))
    assert "run.npz': 2.2 GB (what its 2 members expand to) is over the limit of 2.0 GB (limits.max_trace_bytes" in text


def test_read_headers_reports_the_expanded_size(bomb: Path) -> None:
    with pytest.raises(TooLarge) as info:
        read_headers(bomb, 2e9)
    assert info.value.nbytes == 2100 * (1 << 20) + 128 + len(npy_bytes(np.arange(3)))


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"x,y\n1,2\n", "it is not a zip archive"),
        (npy_bytes(np.arange(3.0)), "it is not a zip archive"),
        (b"\x80\x04\x95\x00", "it is not a zip archive"),  # a pickle
    ],
)
def test_a_file_that_is_not_an_npz_says_so(tmp_path: Path, content: bytes, reason: str) -> None:
    (tmp_path / "run.npz").write_bytes(content)
    assert f"run.npz' is not a scenespec trace (.npz): {reason}" in str(located(tmp_path))


def test_an_npz_without_steps_is_not_a_trace(tmp_path: Path) -> None:
    np.savez(tmp_path / "run.npz", x=np.arange(3.0))
    assert "is not a scenespec trace (.npz): it has no __steps__ entry" in str(located(tmp_path))


def test_a_member_that_is_not_an_array_is_not_a_trace(tmp_path: Path) -> None:
    write_npz(tmp_path / "run.npz", steps_member() | {"notes.txt": b"hello"})
    assert "is not a scenespec trace (.npz): member 'notes.txt' is not a .npy array" in str(located(tmp_path))


def test_an_object_array_is_refused_without_the_allow_pickle_hint(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    write_npz(tmp_path / "run.npz", steps_member() | {"stepped/pred.npy": buffer.getvalue()})
    text = str(located(tmp_path))
    assert "is not a scenespec trace (.npz): member 'stepped/pred.npy' is an object array (refused" in text


def test_a_trace_over_a_lowered_budget_is_refused_and_passes_with_the_default(tmp_path: Path) -> None:
    small_trace().save(tmp_path / "run.npz")
    text = str(located(tmp_path, SPEC + "\n[limits]\nmax_trace_bytes = 100\n"))
    assert "(what its 3 members expand to) is over the limit of 100 bytes (limits.max_trace_bytes" in text
    spec = write_spec(tmp_path, SPEC)
    assert load(spec).scene.sources["run"].kind == "trace"
