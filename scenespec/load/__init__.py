"""Load stage: spec file -> plain dict with source locations."""

from scenespec.load.loader import LoadedSpec, load_spec, parse_text

__all__ = ["LoadedSpec", "load_spec", "parse_text"]
