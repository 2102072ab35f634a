"""The bad-spec corpus (tests/bad_specs/): every broken, hostile or absurd spec ends in a located error.

Each spec is run as a user runs it, through the command line in this process: `validate`, then, if the spec is
expected to fail later, `render`. No exception may escape (that would be a traceback), no run may hang, and the
error names the file, the line and the key that `expected.toml` gives for it.
"""

from __future__ import annotations

import re
import signal
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from scenespec.cli import main

CORPUS = Path(__file__).parent / "bad_specs"
EXPECTED: dict[str, dict[str, Any]] = tomllib.loads((CORPUS / "expected.toml").read_text(encoding="utf-8"))
HANG_SECONDS = 120
"""A run that takes this long is a hang (the slowest spec here takes a few seconds)."""


class Hang(Exception):
    pass


@contextmanager
def no_hang(seconds: int) -> Iterator[None]:
    def alarm(signum: int, frame: object) -> None:
        raise Hang(f"no answer after {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with no_hang(HANG_SECONDS):
        code = main(args)
    return code, capsys.readouterr().err


def test_the_corpus_is_large_and_every_spec_has_an_expectation() -> None:
    specs = sorted(p.name for p in CORPUS.iterdir() if p.suffix in (".toml", ".json") and p.name != "expected.toml")
    assert len(specs) >= 150
    assert specs == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_spec_is_a_located_error(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    expected = EXPECTED[name]
    spec = CORPUS / name
    code, said = run(["validate", str(spec)], capsys)
    if expected["stage"] == "renders":
        assert code == 0, said
        out = tmp_path / "out.gif"
        code, said = run(["render", str(spec), "-o", str(out), "--workers", "1", "--no-cache", "-q"], capsys)
        assert code == 0 and out.stat().st_size > 0, said
        assert "Traceback" not in said
        return
    if expected["stage"] == "validate":
        assert code == 2, f"validate passed; expected an error at {expected}\n{said}"
    elif code == 0:
        out = tmp_path / "out.gif"
        code, said = run(["render", str(spec), "-o", str(out), "--workers", "1", "--no-cache", "-q"], capsys)
        assert code in (1, 2), f"render passed; expected an error at {expected}\n{said}"
        assert not out.exists()
        assert [p.name for p in tmp_path.iterdir()] == [], "a failed render left files behind"
    assert said.startswith("error: "), said
    assert "Traceback" not in said
    assert any(is_located(line, spec, expected) for line in said.removeprefix("error: ").splitlines()), (
        f"expected {spec.name}:{expected.get('line', 'LINE')}: {expected['key']}… in:\n{said}"
    )
    assert expected.get("says", "") in said, said


def is_located(printed: str, spec: Path, expected: dict[str, Any]) -> bool:
    """Whether one printed problem is at the expected line (if the corpus gives one) and key (or a key inside
    it: `scene.size[0]` is inside `scene.size`)."""
    match = re.match(rf"{re.escape(str(spec))}(?::(\d+))?: (.*)$", printed)
    if match is None:
        return False
    line, rest = match.groups()
    if "line" in expected and line != str(expected["line"]):
        return False
    key = expected["key"]
    return not key or (rest.startswith(key) and rest[len(key)] in ".[:")
