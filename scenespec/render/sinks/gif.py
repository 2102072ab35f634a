"""GIF through Pillow (no ImageMagick): per-frame durations, loop or play once."""

from __future__ import annotations

import numpy as np
from PIL import Image

from scenespec.render.sinks.base import FileSink
from scenespec.schedule.frames import Frame


class GifSink(FileSink):
    """Keeps each frame as a 256-colour image (1 byte a pixel) and encodes them at the end."""

    def open(self) -> None:
        super().open()
        self.images: list[Image.Image] = []
        self.durations: list[int] = []

    def write(self, frame: Frame, rgb: np.ndarray) -> None:
        # Plots are mostly flat colours: an adaptive palette without dithering keeps edges clean.
        image = Image.fromarray(rgb, "RGB").quantize(
            colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
        )
        self.images.append(image)
        self.durations.append(frame.duration_ms)
        self.frames_written += 1

    def close(self) -> None:
        first, *rest = self.images
        options = {"loop": 0} if self.loop else {}
        first.save(self.temp, format="GIF", save_all=True, append_images=rest, duration=self.durations, **options)
        super().close()
