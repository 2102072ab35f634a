"""Load stage: a spec file, text or dict -> plain dict with source locations."""

from scenespec.load.loader import LoadedSpec, load_data, load_spec, load_text, parse_text, with_overrides
from scenespec.load.overrides import Override

__all__ = ["LoadedSpec", "Override", "load_data", "load_spec", "load_text", "parse_text", "with_overrides"]
