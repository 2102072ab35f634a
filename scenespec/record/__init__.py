"""Recording a user's own training loop, and the rules that pick which steps are recorded.

`Recorder` writes a run as it goes (`recorder.py`, into a folder laid out as `layout.py` says, by
`store.py`), crash-safe; `read_recording` reads what is complete (`reader.py`); `RecordRule` (`rules.py`)
is the update-frequency rule shared with the built-in trainer.
"""

from scenespec.record.reader import EmptyRecording, read_recording
from scenespec.record.recorder import Recorder
from scenespec.record.rules import RecordRule

__all__ = ["EmptyRecording", "RecordRule", "Recorder", "read_recording"]
