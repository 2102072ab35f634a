"""`scenespec gallery`: render specs and write a static HTML site about them (see docs/gallery.md)."""

from scenespec.gallery.build import GalleryResult, build_gallery

__all__ = ["GalleryResult", "build_gallery"]
