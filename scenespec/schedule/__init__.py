"""Schedule stage: frames from the timeline."""

from scenespec.schedule.frames import Frame, schedule, select_steps

__all__ = ["Frame", "schedule", "select_steps"]
