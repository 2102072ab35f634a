"""Characters matplotlib's mathtext has no glyph for, collected instead of logged once per glyph.

A text with math (`$…$`) is drawn whole by mathtext, with its own fonts (`mathtext.fontset`) and no fallback to
other families: a Chinese word next to a formula has no glyphs even where a CJK font is installed. mathtext logs
each such glyph ("Font 'default' does not have a glyph for …") whenever the text is laid out; the scene's check
reports them once per text instead (`check.py`), and these messages are dropped while a scene is drawn.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from matplotlib.font_manager import FontProperties
from matplotlib.mathtext import MathTextParser

LOGGER = logging.getLogger("matplotlib.mathtext")  # the logger matplotlib._mathtext logs to
MESSAGE_START = "Font %r does not have a glyph for"


class _Collect(logging.Filter):
    """Drops mathtext's missing-glyph records, noting their characters."""

    def __init__(self) -> None:
        super().__init__()
        self.chars: list[str] = []

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(record.msg, str) and record.msg.startswith(MESSAGE_START) and isinstance(args, tuple):
            code = args[2]
            if isinstance(code, int):
                self.chars.append(chr(code))
            return False
        return True


@contextmanager
def glyph_messages_collected() -> Iterator[list[str]]:
    """Within the block, mathtext's missing-glyph messages are not logged; yields the characters they name."""
    collect = _Collect()
    LOGGER.filters.insert(0, collect)  # first: an enclosing block's filter, which drops the record, comes after
    try:
        yield collect.chars
    finally:
        LOGGER.removeFilter(collect)


def math_missing(text: str) -> list[str]:
    """The characters of `text` (a text with math) mathtext's fonts lack under the rcParams in effect."""
    with glyph_messages_collected() as missing:
        try:
            MathTextParser("path").parse(text, 72, FontProperties())  # a new parser: its cache is its own
        except ValueError:  # math that does not parse is a validation error, reported there
            return []
    return list(dict.fromkeys(missing))
