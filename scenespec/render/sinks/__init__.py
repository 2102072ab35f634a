"""Output formats: one module per format, each registering its `SinkKind` (see `base.py`)."""

from scenespec.render.sinks.base import (
    SINKS,
    Sink,
    SinkKind,
    SinkSettings,
    output_formats,
    register_sink,
    sink_for,
    sink_kind,
    sink_kinds,
)
from scenespec.render.sinks.tee import TeeSink

__all__ = [
    "SINKS",
    "Sink",
    "SinkKind",
    "SinkSettings",
    "TeeSink",
    "output_formats",
    "register_sink",
    "sink_for",
    "sink_kind",
    "sink_kinds",
]
