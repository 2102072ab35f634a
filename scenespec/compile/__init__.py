"""Compile stage: scene + traces -> artist graph."""

from scenespec.compile.compiler import compile_scene
from scenespec.compile.graph import ArtistGraph

__all__ = ["ArtistGraph", "compile_scene"]
