"""Tests for scenespec.load.locations: line numbers that validation errors point users at."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from scenespec.load.locations import KeyPath, line_for, locate_json, locate_toml


def all_paths(data: Any, prefix: KeyPath = ()) -> Iterator[KeyPath]:
    """Every key path below the root of parsed data, in document order."""
    if isinstance(data, dict):
        items: Any = data.items()
    elif isinstance(data, list):
        items = enumerate(data)
    else:
        return
    for key, value in items:
        yield (*prefix, key)
        yield from all_paths(value, (*prefix, key))


SPEC_TOML = """\
# scenespec demo [not.a.table] {not: inline}
title = "Linear regression"   # trailing comment with "quotes" and [brackets]
"my key" = 1
'lit.key' = 2
"esc\\"aped\\u0041" = 3
size.width = 800
size . "height" = 600

[sources.fit]
kind = "csv"
path = 'C:\\data\\fit.csv'
notes = \"\"\"
Multi-line with # not a comment,
[not.a.table] and { not = "inline" } and "quotes" \\\"\"\" and ''' too
\"\"\"
raw = '''
[[also.not.an.array]]
# nope " { [
'''
x = 1

[[panels]]
title = "first"
layers = [
  { kind = "scatter", x = "fit.x", y = "fit.y" },
  # a comment between elements
  { kind = "line", x = "fit.x", style = { color = "red", width = 2 } },
]

[[panels]]
title = "second"

[[panels.layers]]
kind = "bar"

[[panels.layers]]
kind = "area"
opacity = 0.5

[panels.extra]
note = "belongs to panels[1]"

[timeline]
start = 1979-05-27T07:32:00Z
local = 1979-05-27 07:32:00
frames = [
  1, 2,
  # comment inside an array
  3,
]
nested = [[1, 2], [3,
  4]]
empty = []
inline_empty = {}
quad = \"\"\"ends with quotes\"\"\"\"\"
"""

SPEC_TOML_EXPECTED: dict[KeyPath, int] = {
    ("title",): 2,
    ("my key",): 3,
    ("lit.key",): 4,
    ('esc"apedA',): 5,
    ("size",): 6,
    ("size", "width"): 6,
    ("size", "height"): 7,
    ("sources",): 9,
    ("sources", "fit"): 9,
    ("sources", "fit", "kind"): 10,
    ("sources", "fit", "path"): 11,
    ("sources", "fit", "notes"): 12,
    ("sources", "fit", "raw"): 16,
    ("sources", "fit", "x"): 20,
    ("panels",): 22,
    ("panels", 0): 22,
    ("panels", 0, "title"): 23,
    ("panels", 0, "layers"): 24,
    ("panels", 0, "layers", 0): 25,
    ("panels", 0, "layers", 0, "kind"): 25,
    ("panels", 0, "layers", 0, "x"): 25,
    ("panels", 0, "layers", 0, "y"): 25,
    ("panels", 0, "layers", 1): 27,
    ("panels", 0, "layers", 1, "kind"): 27,
    ("panels", 0, "layers", 1, "x"): 27,
    ("panels", 0, "layers", 1, "style"): 27,
    ("panels", 0, "layers", 1, "style", "color"): 27,
    ("panels", 0, "layers", 1, "style", "width"): 27,
    ("panels", 1): 30,
    ("panels", 1, "title"): 31,
    ("panels", 1, "layers"): 33,
    ("panels", 1, "layers", 0): 33,
    ("panels", 1, "layers", 0, "kind"): 34,
    ("panels", 1, "layers", 1): 36,
    ("panels", 1, "layers", 1, "kind"): 37,
    ("panels", 1, "layers", 1, "opacity"): 38,
    ("panels", 1, "extra"): 40,
    ("panels", 1, "extra", "note"): 41,
    ("timeline",): 43,
    ("timeline", "start"): 44,
    ("timeline", "local"): 45,
    ("timeline", "frames"): 46,
    ("timeline", "frames", 0): 47,
    ("timeline", "frames", 1): 47,
    ("timeline", "frames", 2): 49,
    ("timeline", "nested"): 51,
    ("timeline", "nested", 0): 51,
    ("timeline", "nested", 0, 0): 51,
    ("timeline", "nested", 0, 1): 51,
    ("timeline", "nested", 1): 51,
    ("timeline", "nested", 1, 0): 51,
    ("timeline", "nested", 1, 1): 52,
    ("timeline", "empty"): 53,
    ("timeline", "inline_empty"): 54,
    ("timeline", "quad"): 55,
}


def test_toml_sample_is_what_we_think_it_is() -> None:
    data = tomllib.loads(SPEC_TOML)
    assert data["panels"][1]["extra"]["note"] == "belongs to panels[1]"
    assert data["sources"]["fit"]["notes"].count("\n") == 2  # the first newline is trimmed
    assert data["timeline"]["quad"] == 'ends with quotes""'
    assert 'esc"apedA' in data


def test_toml_every_rule() -> None:
    assert locate_toml(SPEC_TOML) == SPEC_TOML_EXPECTED


def test_toml_locates_exactly_the_parsed_paths() -> None:
    assert set(locate_toml(SPEC_TOML)) == set(all_paths(tomllib.loads(SPEC_TOML)))


def test_toml_crlf_line_endings() -> None:
    crlf = SPEC_TOML.replace("\n", "\r\n")
    tomllib.loads(crlf)
    assert locate_toml(crlf) == SPEC_TOML_EXPECTED


def test_toml_implicit_parent_keeps_first_line() -> None:
    text = "[a.b]\nx = 1\n\n[a]\ny = 2\n\n[a.c]\nz = 3\n"
    found = locate_toml(text)
    assert found[("a",)] == 1
    assert found[("a", "b")] == 1
    assert found[("a", "y")] == 5
    assert found[("a", "c")] == 7
    assert found[("a", "c", "z")] == 8


def test_toml_dotted_keys_relative_to_table_and_in_inline_tables() -> None:
    text = '[t]\na.b.c = 1\na.d = 2\nv = { p.q = 3, "r s".t = 4 }\n'
    found = locate_toml(text)
    assert found[("t", "a")] == 2
    assert found[("t", "a", "b")] == 2
    assert found[("t", "a", "b", "c")] == 2
    assert found[("t", "a", "d")] == 3
    assert found[("t", "v", "p", "q")] == 4
    assert found[("t", "v", "r s", "t")] == 4
    assert set(found) == set(all_paths(tomllib.loads(text)))


def test_toml_nested_array_of_tables_follow_last_parent() -> None:
    text = (
        "[[a]]\n"  # 1
        "[[a.b]]\n"  # 2
        "[[a.b]]\n"  # 3
        "[[a]]\n"  # 4
        "[a.c]\n"  # 5
        "[[a.b]]\n"  # 6
        "[[a.b.d]]\n"  # 7
        "k = 1\n"  # 8
    )
    found = locate_toml(text)
    assert found[("a", 0, "b", 1)] == 3
    assert found[("a", 1)] == 4
    assert found[("a", 1, "c")] == 5
    assert found[("a", 1, "b")] == 6
    assert found[("a", 1, "b", 0)] == 6
    assert found[("a", 1, "b", 0, "d", 0, "k")] == 8
    assert set(found) == set(all_paths(tomllib.loads(text)))


def test_toml_strings_do_not_confuse_structure() -> None:
    text = (
        'a = "x # y [z] {w} \\" \\\\"  # real comment\n'  # 1
        "b = 'c:\\path # not comment'\n"  # 2
        'c = """\n'  # 3
        'k = "fake"\n'  # 4
        '[fake]"""\n'  # 5
        "d = '''a''''' # comment\n"  # 6
        'e = ["]", \'[\', """\n'  # 7
        '},"""]\n'  # 8
        "f = 1\n"  # 9
    )
    assert tomllib.loads(text)["d"] == "a''"
    assert locate_toml(text) == {
        ("a",): 1,
        ("b",): 2,
        ("c",): 3,
        ("d",): 6,
        ("e",): 7,
        ("e", 0): 7,
        ("e", 1): 7,
        ("e", 2): 7,
        ("f",): 9,
    }


def test_toml_edge_inputs() -> None:
    assert locate_toml("") == {}
    assert locate_toml("# only a comment\n\n") == {}
    assert locate_toml("\ufeffa = 1") == {("a",): 1}
    assert locate_toml('[ spaced . "header" ]\n[[ aot ]]\n') == {
        ("spaced",): 1,
        ("spaced", "header"): 1,
        ("aot",): 2,
        ("aot", 0): 2,
    }


def test_invalid_input_never_raises_and_keeps_partial_results() -> None:
    assert locate_toml("a = 1\nb = \n[[[") == {("a",): 1, ("b",): 2}
    assert locate_toml('a = "unterminated') == {("a",): 1}
    assert locate_toml("\x00\x01 = {") == {}
    assert locate_json('{"a": 1, "b": [1, ') == {("a",): 1, ("b",): 1, ("b", 0): 1, ("b", 1): 1}
    assert locate_json("") == {}
    assert locate_json("}") == {}


SPEC_JSON = """\
{
  "title": "demo",
  "esc\\"key\\\\": "va\\"lue with { [ , \\\\",
  "panels": [
    {
      "layers": [
        {"kind": "scatter", "x": "fit.x"},
        {
          "kind"
            : "line"
        }
      ]
    },
    [1, 2,
     3],
    null
  ],
  "n": -1.5e3, "t": true,
  "u\\u00e9": {},
  "e": []
}
"""

SPEC_JSON_EXPECTED: dict[KeyPath, int] = {
    ("title",): 2,
    ('esc"key\\',): 3,
    ("panels",): 4,
    ("panels", 0): 5,
    ("panels", 0, "layers"): 6,
    ("panels", 0, "layers", 0): 7,
    ("panels", 0, "layers", 0, "kind"): 7,
    ("panels", 0, "layers", 0, "x"): 7,
    ("panels", 0, "layers", 1): 8,
    ("panels", 0, "layers", 1, "kind"): 9,
    ("panels", 1): 14,
    ("panels", 1, 0): 14,
    ("panels", 1, 1): 14,
    ("panels", 1, 2): 15,
    ("panels", 2): 16,
    ("n",): 18,
    ("t",): 18,
    ("u\u00e9",): 19,
    ("e",): 20,
}


def test_json_every_rule() -> None:
    assert set(all_paths(json.loads(SPEC_JSON))) == set(SPEC_JSON_EXPECTED)
    assert locate_json(SPEC_JSON) == SPEC_JSON_EXPECTED


def test_json_crlf_and_scalar_roots() -> None:
    assert locate_json(SPEC_JSON.replace("\n", "\r\n")) == SPEC_JSON_EXPECTED
    assert locate_json('"just a string"') == {}
    assert locate_json(" 42 ") == {}
    assert locate_json("[\n1,\n[\n]\n]") == {(0,): 2, (1,): 3}


def test_json_duplicate_key_reports_the_one_json_keeps() -> None:
    text = '{\n"a": {"x": 1},\n"a": {\n"y": 2}\n}'
    assert json.loads(text) == {"a": {"y": 2}}
    assert locate_json(text) == {("a",): 3, ("a", "y"): 4}


def test_line_for_falls_back_to_nearest_ancestor() -> None:
    found = locate_toml(SPEC_TOML)
    assert line_for(found, ("panels", 1, "layers", 1, "kind")) == 37
    assert line_for(found, ("panels", 1, "layers", 1, "colr")) == 36
    assert line_for(found, ("panels", 1, "missing", 3, "deeper")) == 30
    assert line_for(found, ("nowhere", "at", "all")) is None
    assert line_for(found, ()) is None
    assert line_for({(): 1}, ("x",)) == 1
    assert line_for({}, ("x",)) is None


# --- property tests -------------------------------------------------------------------------

_keys = st.one_of(st.from_regex(r"[A-Za-z0-9_-]{1,8}", fullmatch=True), st.text(max_size=6))
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
)
_json_data = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_keys, inner, max_size=4),
    max_leaves=25,
)


def expected_indent2_lines(data: Any, path: KeyPath, line: int, out: dict[KeyPath, int]) -> int:
    """Where ``json.dumps(indent=2)`` puts each child, computed from its layout; returns the
    line on which ``data`` (starting on ``line``) ends."""
    if isinstance(data, dict):
        items: list[tuple[str | int, Any]] = list(data.items())
    elif isinstance(data, list):
        items = list(enumerate(data))
    else:
        return line
    if not items:
        return line
    for key, value in items:
        line += 1
        out[(*path, key)] = line
        line = expected_indent2_lines(value, (*path, key), line, out)
    return line + 1


@settings(max_examples=300, deadline=None)
@given(data=_json_data, ascii_only=st.booleans())
def test_json_property_indent2(data: Any, ascii_only: bool) -> None:
    text = json.dumps(data, indent=2, ensure_ascii=ascii_only)
    found = locate_json(text)
    expected: dict[KeyPath, int] = {}
    expected_indent2_lines(data, (), 1, expected)
    assert found == expected
    assert set(found) == set(all_paths(data))
    lines = text.split("\n")  # not splitlines(): U+2028 etc. are not line breaks here
    for path, line in found.items():
        if isinstance(path[-1], str):
            quoted = json.dumps(path[-1], ensure_ascii=ascii_only) + ":"
            assert lines[line - 1].lstrip().startswith(quoted)


@settings(max_examples=100, deadline=None)
@given(data=_json_data)
def test_json_property_compact_is_all_line_one(data: Any) -> None:
    found = locate_json(json.dumps(data))
    assert found == {path: 1 for path in all_paths(data)}


_BARE = re.compile(r"[A-Za-z0-9_-]+")


def toml_basic(text: str, *, multiline: bool = False) -> str:
    """A TOML basic string; control characters (and DEL) must be escaped."""
    out = []
    for i, ch in enumerate(text):
        if ch in '"\\':
            out.append("\\" + ch)
        elif multiline and ch == "\n" and i > 0:  # a newline right after """ would be trimmed
            out.append(ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    quote = '"""' if multiline else '"'
    return quote + "".join(out) + quote


def toml_key(key: str) -> str:
    if _BARE.fullmatch(key):
        return key
    if key and "'" not in key and all(ch >= " " and ch != "\x7f" for ch in key) and len(key) % 2:
        return f"'{key}'"
    return toml_basic(key)


class TomlWriter:
    """Serialises dicts to TOML and notes the line on which each path is written."""

    def __init__(self) -> None:
        self.chunks: list[str] = []
        self.line = 1
        self.expected: dict[KeyPath, int] = {}

    def write(self, chunk: str) -> None:
        self.chunks.append(chunk)
        self.line += chunk.count("\n")

    def mark(self, path: KeyPath) -> None:
        self.expected.setdefault(path, self.line)

    def value(self, value: Any, path: KeyPath, *, multiline_array: bool = False) -> None:
        if isinstance(value, dict):
            self.write("{ ")
            for i, (key, item) in enumerate(value.items()):
                self.write(", " if i else "")
                self.mark((*path, key))
                self.write(f"{toml_key(key)} = ")
                self.value(item, (*path, key))
            self.write(" }")
        elif isinstance(value, list):
            self.write("[")
            for i, item in enumerate(value):
                self.write("\n  # element comment\n  " if multiline_array else (", " if i else ""))
                self.mark((*path, i))
                self.value(item, (*path, i))
                self.write("," if multiline_array else "")
            self.write("\n]" if multiline_array else "]")
        elif isinstance(value, bool):
            self.write("true" if value else "false")
        elif isinstance(value, str):
            self.write(toml_basic(value, multiline="\n" in value or len(value) % 3 == 1))
        else:
            self.write(repr(value))

    def table(self, data: dict[str, Any], path: KeyPath, header: tuple[str, ...]) -> None:
        def as_header(key: str) -> bool:
            return len(key) % 2 == 0

        def is_table(key: str, value: Any) -> bool:
            return isinstance(value, dict) and as_header(key)

        def is_aot(key: str, value: Any) -> bool:
            aot = isinstance(value, list) and bool(value)
            return aot and all(isinstance(v, dict) for v in value) and as_header(key)

        for key, value in data.items():
            if not is_table(key, value) and not is_aot(key, value):
                self.mark((*path, key))
                self.write(f"{toml_key(key)} = ")
                self.value(value, (*path, key), multiline_array=len(key) % 3 == 0)
                self.write("  # trailing [comment] {x = 1}\n" if len(key) % 2 else "\n")
        for key, value in data.items():
            name = ".".join(toml_key(k) for k in (*header, key))
            if is_table(key, value):
                self.write("\n")
                self.mark((*path, key))
                self.write(f"[{name}]\n")
                self.table(value, (*path, key), (*header, key))
            elif is_aot(key, value):
                for i, element in enumerate(value):
                    self.write("\n")
                    self.mark((*path, key))
                    self.mark((*path, key, i))
                    self.write(f"[[{name}]]\n")
                    self.table(element, (*path, key, i), (*header, key))


_toml_scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
)
_toml_data = st.dictionaries(
    _keys,
    st.recursive(
        _toml_scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_keys, inner, max_size=4),
        max_leaves=25,
    ),
    max_size=6,
)


@settings(max_examples=300, deadline=None)
@given(data=_toml_data, crlf=st.booleans())
def test_toml_property_serialised_tables(data: dict[str, Any], crlf: bool) -> None:
    writer = TomlWriter()
    writer.table(data, (), ())
    text = "".join(writer.chunks)
    if crlf:
        text = text.replace("\n", "\r\n")
    assert tomllib.loads(text) == data
    found = locate_toml(text)
    assert found == writer.expected
    assert set(found) == set(all_paths(data))
    lines = text.split("\n")
    for path, line in found.items():
        if isinstance(path[-1], str):
            # Key/value lines, headers and inline tables all spell the key on its own line.
            assert toml_key(path[-1]) in lines[line - 1]
