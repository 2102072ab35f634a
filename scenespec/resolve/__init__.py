"""Resolve stage: sources -> traces."""

from scenespec.resolve.trace import Trace, TraceField

__all__ = ["Trace", "TraceField"]
