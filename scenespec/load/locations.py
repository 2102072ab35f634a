"""Map key paths of parsed TOML/JSON specs to the source lines they were written on.

``tomllib`` and ``json`` throw positions away, yet a validation error is only actionable when it
can say ``specs/linreg.toml:14: panels[0].layers[1].colr: unknown key``. The scanners below
re-walk text that has *already parsed successfully* and record, for every key path the stdlib
parser produces, the 1-based line where that key or array element starts. They trust the input
to be valid and never raise: on anything unexpected they return whatever was located so far.
"""

from __future__ import annotations

import bisect
import contextlib
import json
import string
import tomllib
from collections.abc import Mapping
from typing import NamedTuple, TypeVar

KeyPath = tuple[str | int, ...]
T = TypeVar("T")


class Location(NamedTuple):
    """Where a key of a loaded spec was written: the file (as errors name it; None for a dict) and its line.

    A spec built from several files (a base it extends, fragments it includes) keeps, for every key, the file
    it really came from, so an error in an inherited panel names the base's line, not the derived spec's.
    """

    file: str | None
    line: int | None


_BARE_KEY_CHARS = frozenset(string.ascii_letters + string.digits + "_-")
# A TOML scalar (number, bool, date/time) ends at one of these; dates may contain a space.
_TOML_SCALAR_END = frozenset(",]}\n#")
_JSON_SCALAR_END = frozenset(",]} \t\r\n")
_JSON_WHITESPACE = frozenset(" \t\r\n")


class _ScanError(Exception):
    """Raised on text the scanner does not understand, so the caller keeps partial results."""


class _Scanner:
    """A cursor over the source with cheap position-to-line lookup and a sink for results."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 1 if text.startswith("\ufeff") else 0
        # Only "\n" ends a line (CRLF counts once); bisect turns an offset into a line number.
        self.newlines = [i for i, ch in enumerate(text) if ch == "\n"]
        self.found: dict[KeyPath, int] = {}

    def line(self) -> int:
        """1-based line of the cursor: one more than the newlines strictly before it."""
        return bisect.bisect_left(self.newlines, self.pos) + 1

    def peek(self) -> str:
        return self.text[self.pos : self.pos + 1]

    def at(self, token: str) -> bool:
        return self.text.startswith(token, self.pos)

    def expect(self, token: str) -> None:
        if not self.at(token):
            raise _ScanError(f"expected {token!r} at offset {self.pos}")
        self.pos += len(token)


class _TomlScanner(_Scanner):
    """Walks TOML tables, key/value pairs and values, tracking arrays of tables by count."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        # Concrete path of each ``[[array]]`` -> elements seen so far, so that later headers
        # that pass through it refer to its last element, as TOML specifies.
        self.aot_counts: dict[KeyPath, int] = {}

    def run(self) -> None:
        table: KeyPath = ()
        while True:
            self.skip_blank(newlines=True)
            start = self.pos
            if start >= len(self.text):
                return
            if self.at("[["):
                table = self.header(array=True)
            elif self.at("["):
                table = self.header(array=False)
            else:
                self.key_value(table)
            if self.pos == start:
                raise _ScanError("no progress")

    def skip_blank(self, *, newlines: bool) -> None:
        """Skip spaces, tabs and comments, and also line breaks when ``newlines`` is set."""
        text = self.text
        while self.pos < len(text):
            ch = text[self.pos]
            if ch in " \t" or (newlines and ch in "\r\n"):
                self.pos += 1
            elif ch == "#":
                end = text.find("\n", self.pos)
                self.pos = len(text) if end < 0 else end
            else:
                return

    def header(self, *, array: bool) -> KeyPath:
        """Handle ``[a.b]`` / ``[[a.b]]`` and return the concrete path of the new table."""
        line = self.line()
        self.pos += 2 if array else 1
        keys = self.key()
        self.expect("]]" if array else "]")
        path: KeyPath = ()
        for key in keys[:-1] if array else keys:
            path += (key,)
            self.found.setdefault(path, line)
            if path in self.aot_counts:
                path += (self.aot_counts[path] - 1,)
        if array:
            path += (keys[-1],)
            self.found.setdefault(path, line)
            index = self.aot_counts.get(path, 0)
            self.aot_counts[path] = index + 1
            path += (index,)
            self.found.setdefault(path, line)
        return path

    def key(self) -> list[str]:
        """Parse a possibly dotted, possibly quoted key into its parts."""
        parts: list[str] = []
        while True:
            self.skip_blank(newlines=False)
            parts.append(self.simple_key())
            self.skip_blank(newlines=False)
            if not self.at("."):
                return parts
            self.pos += 1

    def simple_key(self) -> str:
        start = self.pos
        ch = self.peek()
        if ch == '"':
            self.skip_basic_string()
            raw = self.text[start : self.pos]
            try:  # Let tomllib decode the escapes so keys match the parsed data exactly.
                return str(tomllib.loads(f"k = {raw}")["k"])
            except tomllib.TOMLDecodeError:
                return raw[1:-1]
        if ch == "'":
            self.skip_literal_string()
            return self.text[start + 1 : self.pos - 1]
        while self.pos < len(self.text) and self.text[self.pos] in _BARE_KEY_CHARS:
            self.pos += 1
        if self.pos == start:
            raise _ScanError(f"expected a key at offset {start}")
        return self.text[start : self.pos]

    def key_value(self, table: KeyPath) -> None:
        """Record ``key = value`` (dotted keys record every prefix) relative to ``table``."""
        line = self.line()
        path = table
        for key in self.key():
            path += (key,)
            self.found.setdefault(path, line)
        self.expect("=")
        self.skip_blank(newlines=False)
        self.value(path)

    def value(self, path: KeyPath) -> None:
        ch = self.peek()
        if ch == '"':
            self.skip_basic_string()
        elif ch == "'":
            self.skip_literal_string()
        elif ch == "[":
            self.array(path)
        elif ch == "{":
            self.inline_table(path)
        else:
            start = self.pos
            while self.pos < len(self.text) and self.text[self.pos] not in _TOML_SCALAR_END:
                self.pos += 1
            if self.pos == start:
                raise _ScanError(f"expected a value at offset {start}")

    def array(self, path: KeyPath) -> None:
        self.pos += 1
        index = 0
        while True:
            self.skip_blank(newlines=True)
            if self.at("]"):
                self.pos += 1
                return
            self.found.setdefault((*path, index), self.line())
            self.value((*path, index))
            index += 1
            self.skip_blank(newlines=True)
            if self.at(","):
                self.pos += 1
            elif not self.at("]"):
                raise _ScanError(f"expected ',' or ']' at offset {self.pos}")

    def inline_table(self, path: KeyPath) -> None:
        self.pos += 1
        while True:
            # Newlines are not TOML 1.0 but are harmless to accept (TOML 1.1 allows them).
            self.skip_blank(newlines=True)
            if self.at("}"):
                self.pos += 1
                return
            self.key_value(path)
            self.skip_blank(newlines=True)
            if self.at(","):
                self.pos += 1
            elif not self.at("}"):
                raise _ScanError(f"expected ',' or '}}' at offset {self.pos}")

    def skip_basic_string(self) -> None:
        """Skip ``"..."`` or ``\"\"\"...\"\"\"``, honouring backslash escapes."""
        text = self.text
        multi = self.at('"""')
        self.pos += 3 if multi else 1
        while True:
            ch = text[self.pos]  # IndexError on unterminated input is caught by the caller.
            if ch == "\\":
                self.pos += 2
            elif multi and self.at('"""'):
                self.pos += 3
                self.skip_closing_extras('"')
                return
            elif not multi and ch == '"':
                self.pos += 1
                return
            else:
                self.pos += 1

    def skip_literal_string(self) -> None:
        """Skip ``'...'`` or ``'''...'''``; literal strings have no escapes."""
        delim = "'''" if self.at("'''") else "'"
        end = self.text.find(delim, self.pos + len(delim))
        if end < 0:
            raise _ScanError("unterminated literal string")
        self.pos = end + len(delim)
        if len(delim) == 3:
            self.skip_closing_extras("'")

    def skip_closing_extras(self, quote: str) -> None:
        """Up to two quotes right before a multi-line closer belong to the content."""
        for _ in range(2):
            if self.at(quote):
                self.pos += 1


class _JsonScanner(_Scanner):
    """Recursive-descent walk over JSON objects and arrays; notes keys that repeat within an object."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.duplicates: list[tuple[KeyPath, int, int]] = []
        """(path, line, line of the first occurrence) of every key given again in its object."""

    def run(self) -> None:
        self.skip_ws()
        self.value(())

    def skip_ws(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in _JSON_WHITESPACE:
            self.pos += 1

    def record(self, path: KeyPath, line: int) -> None:
        """Last duplicate key wins in ``json.loads``, so drop what an earlier one recorded."""
        if path in self.found:
            if isinstance(path[-1], str):
                self.duplicates.append((path, line, self.found[path]))
            for stale in [p for p in self.found if p[: len(path)] == path]:
                del self.found[stale]
        self.found[path] = line

    def value(self, path: KeyPath) -> None:
        ch = self.peek()
        if ch == "{":
            self.obj(path)
        elif ch == "[":
            self.array(path)
        elif ch == '"':
            self.string()
        else:
            start = self.pos
            while self.pos < len(self.text) and self.text[self.pos] not in _JSON_SCALAR_END:
                self.pos += 1
            if self.pos == start:
                raise _ScanError(f"expected a value at offset {start}")

    def string(self) -> str:
        """Skip a string and return its raw source text, quotes included."""
        start = self.pos
        self.pos += 1
        while True:
            ch = self.text[self.pos]
            if ch == "\\":
                self.pos += 2
            elif ch == '"':
                self.pos += 1
                return self.text[start : self.pos]
            else:
                self.pos += 1

    def obj(self, path: KeyPath) -> None:
        self.pos += 1
        self.skip_ws()
        if self.at("}"):
            self.pos += 1
            return
        while True:
            self.skip_ws()
            line = self.line()
            if not self.at('"'):
                raise _ScanError(f"expected a key at offset {self.pos}")
            child = (*path, json.loads(self.string()))
            self.record(child, line)
            self.skip_ws()
            self.expect(":")
            self.skip_ws()
            self.value(child)
            self.skip_ws()
            if self.at(","):
                self.pos += 1
            else:
                self.expect("}")
                return

    def array(self, path: KeyPath) -> None:
        self.pos += 1
        self.skip_ws()
        if self.at("]"):
            self.pos += 1
            return
        index = 0
        while True:
            self.skip_ws()
            self.record((*path, index), self.line())
            self.value((*path, index))
            index += 1
            self.skip_ws()
            if self.at(","):
                self.pos += 1
            else:
                self.expect("]")
                return


def locate_toml(text: str) -> dict[KeyPath, int]:
    """Line of every table, key and array element in TOML ``text`` (first occurrence wins)."""
    scanner = _TomlScanner(text)
    # Best effort by design: a location must never break error reporting.
    with contextlib.suppress(Exception):
        scanner.run()
    return scanner.found


def locate_json(text: str) -> dict[KeyPath, int]:
    """Line of every object key and array element in JSON ``text``; the root is not recorded."""
    scanner = _JsonScanner(text)
    # Best effort by design: a location must never break error reporting.
    with contextlib.suppress(Exception):
        scanner.run()
    return scanner.found


def json_duplicate_keys(text: str) -> list[tuple[KeyPath, int, int]]:
    """(key path, line, line of the first occurrence) of every key JSON ``text`` gives twice in one object."""
    scanner = _JsonScanner(text)
    with contextlib.suppress(Exception):
        scanner.run()
    return scanner.duplicates


def line_for(locations: Mapping[KeyPath, T], path: KeyPath) -> T | None:
    """Line (or `Location`) of `path`, or of its nearest located ancestor (walk up by dropping the last
    element); None if nothing located (e.g. empty path not present).

    Errors often concern keys that are missing or were synthesised, so the closest written
    ancestor is the most useful place to point at.
    """
    for end in range(len(path), -1, -1):
        line = locations.get(path[:end])
        if line is not None:
            return line
    return None
