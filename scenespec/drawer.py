"""A drawing process for live views: training sends its steps and goes on; the process draws the newest one.

Drawing a frame takes longer than a few batches of a small network, so a live view drawn in the training loop
slows training several times over (article 002's redraw-per-batch problem, in time rather than in figures).
Here the training process only sends each recorded step down a socket, from a sender thread, so a send never
waits. A separate Python process (not a thread: drawing holds the GIL) reads the steps as they come and draws
the newest one whenever it is free, skipping the steps in between when it falls behind. In a window the process
shows the frame itself; for a notebook it sends the frame back as PNG bytes, which the training process puts in
its one display when it next polls (between batches: displaying from another thread is not safe in a kernel).

The process is started with `python -m scenespec.drawer`, not `multiprocessing`, so the user's script is not
imported again in it (a script without an `if __name__ == "__main__"` guard would train twice); it ends when the
training process ends, however that ends (`lifeline`), and when the socket closes.
"""

from __future__ import annotations

import contextlib
import math
import os
import pickle
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

if TYPE_CHECKING:
    from scenespec.load import LoadedSpec

ViewKind = Literal["window", "notebook", "none"]
SEND_BUFFER_BYTES = 8 << 20
"""Socket buffer: steps queue in the kernel while the process starts, rather than in the sender thread."""
DRAWER_NICENESS = 10
"""The drawing process runs at a lower priority than training: when both want the same core, training wins."""
DRAWING_SHARE = 0.5
"""At most this share of a core goes to drawing: after a frame the process rests as long as the frame took (the
steps that arrive meanwhile are read, and the newest is drawn next). Training keeps the rest of the machine."""
GUI_TICK_S = 0.05
"""How often an idle window process handles window events (moves, resizes, closing): not a redraw."""


@dataclass
class Shown:
    """What the drawing process reported: the steps it drew (in order) and, for a notebook, the newest PNG."""

    steps: list[int] = field(default_factory=list)
    png: bytes | None = None
    png_step: int | None = None
    closed: bool = False
    error: str | None = None


class DrawingProcess:
    """The training side: start the process, `append` steps (never blocks), `poll` for frames, `close` at the end.

    `on_png(step, png)` receives, at `poll`, the newest frame drawn since the last poll (notebook views only).
    """

    def __init__(
        self,
        loaded: LoadedSpec,
        source: str,
        static: dict[str, np.ndarray],
        stepped: list[str],
        view: ViewKind,
        on_png: Callable[[int, bytes], None] | None = None,
    ) -> None:
        self.view = view
        self.on_png = on_png
        self.shown = Shown()
        ours, theirs = socket.socketpair()
        for end in (ours, theirs):
            end.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER_BYTES)
            end.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SEND_BUFFER_BYTES)
        command = [sys.executable, "-m", "scenespec.drawer", str(theirs.fileno()), str(os.getpid())]
        self.process = subprocess.Popen(command, pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL)
        theirs.close()
        self._conn = Connection(ours.detach())
        self._outbox: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._sender = threading.Thread(target=self._send_all, name="scenespec-drawer-send", daemon=True)
        self._sender.start()
        start = {"loaded": loaded, "source": source, "static": static, "stepped": stepped, "view": view}
        self._send(("start", start))

    def append(self, step: int, row: dict[str, Any]) -> None:
        """Send one recorded step to be drawn (the frames it skips are not lost: the caller keeps the trace)."""
        self._send(("step", int(step), row))

    def poll(self) -> Shown:
        """Read what the process reported so far; show the newest notebook frame; raise if drawing failed."""
        while not self.shown.closed and self._conn.poll():
            self._receive()
        self._deliver()
        return self.shown

    def close(self, timeout: float = 600.0) -> Shown:
        """No more steps: wait until the process has drawn the last one (a window stays open until this process
        ends), then return what was shown."""
        self._send(("close",))
        deadline = time.monotonic() + timeout
        while not self.shown.closed:
            if not self._conn.poll(max(0.0, deadline - time.monotonic())):
                self.stop()
                raise RuntimeError(f"the live view's drawing process did not finish within {timeout:g} s")
            self._receive()
        self._deliver()
        if self.view != "window":
            self.stop()
        return self.shown

    def stop(self) -> None:
        """End the process now (its window closes)."""
        self._outbox.put(None)
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._conn.close()

    def _send(self, message: tuple[Any, ...]) -> None:
        self._outbox.put(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))

    def _send_all(self) -> None:
        while (data := self._outbox.get()) is not None:
            try:
                self._conn.send_bytes(data)
            except OSError:  # the process ended: `poll` or `close` reports why
                return

    def _receive(self) -> None:
        try:
            message = self._conn.recv()
        except (EOFError, OSError):
            code = self.process.wait()
            self.shown.closed = True
            self.shown.error = self.shown.error or f"the live view's drawing process ended (exit code {code})"
            return
        kind = message[0]
        if kind == "shown":
            self.shown.steps.append(message[1])
        elif kind == "png":
            self.shown.steps.append(message[1])
            self.shown.png_step, self.shown.png = message[1], message[2]
        elif kind == "closed":
            self.shown.closed = True
        elif kind == "error":
            self.shown.error = message[1]
            self.shown.closed = True

    def _deliver(self) -> None:
        if self.shown.error is not None:
            error, self.shown.error = self.shown.error, None
            self.stop()
            raise RuntimeError(error)
        if self.shown.png is not None and self.on_png is not None:
            assert self.shown.png_step is not None
            self.on_png(self.shown.png_step, self.shown.png)
            self.shown.png = None


# The drawing process


def _read_all(conn: Connection, inbox: queue.SimpleQueue[bytes | None]) -> None:
    """Move every message into `inbox` as it arrives, so the training side's socket never fills; None at EOF."""
    while True:
        try:
            inbox.put(conn.recv_bytes())
        except (EOFError, OSError):
            inbox.put(None)
            return


def _png(rgb: np.ndarray) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="png", compress_level=1)
    return buffer.getvalue()


def _serve(conn: Connection, inbox: queue.SimpleQueue[bytes | None]) -> None:
    """Set up the live render from the first message, then draw the newest step whenever steps have arrived."""
    from scenespec.api import Spec
    from scenespec.frame_views import WindowView
    from scenespec.resolve.stream import StreamingTrace

    data = inbox.get()
    if data is None:
        return
    _, start = pickle.loads(data)
    view: ViewKind = start["view"]
    stream = StreamingTrace(static=start["static"], stepped=start["stepped"])
    spec = Spec(start["loaded"], _scene(start["loaded"], start["source"], stream))
    window = WindowView() if view == "window" else None
    live = spec.live({start["source"]: stream}, newest=True)
    closing = False
    rested_until = 0.0  # after a frame, the process rests as long as drawing it took (`DRAWING_SHARE`)
    while True:
        now = time.monotonic()
        ready = closing or (live.behind and now >= rested_until)
        timeout = GUI_TICK_S if window is not None else None
        if live.behind and not ready:
            timeout = min(timeout or math.inf, rested_until - now)
        try:
            data = inbox.get_nowait() if ready else inbox.get(timeout=timeout)
        except queue.Empty:
            data = b""
        while data:
            message = pickle.loads(data)
            if message[0] == "step":
                stream.append(message[1], **message[2])
            elif message[0] == "close":
                closing = True
            try:
                data = inbox.get_nowait()
            except queue.Empty:
                data = b""
        if data is None:  # the training process went away
            return
        if closing:
            live.close()
            frames = [live.shown] if live.shown is not None else []
        elif live.behind and time.monotonic() >= rested_until:
            started = time.monotonic()
            frame = live.draw_newest()
            frames = [frame] if frame is not None else []
            took = time.monotonic() - started
            rested_until = started + took / DRAWING_SHARE
        else:
            frames = []
            if window is not None:
                window.idle()
        for frame in frames:
            rgb = live.last_rgb
            assert rgb is not None
            if window is not None:
                window(frame, rgb)
            if view == "notebook":
                conn.send(("png", frame.step, _png(rgb)))
            else:
                conn.send(("shown", frame.step))
        if closing:
            conn.send(("closed",))
            if window is not None:  # keep showing the last frame until the training process ends
                while inbox.get() is not None:
                    pass
            return


def _scene(loaded: LoadedSpec, source: str, stream: Any) -> Any:
    from scenespec.pipeline import check_scene

    return check_scene(loaded, {source: stream})


def main(argv: list[str]) -> int:
    fd, parent = int(argv[0]), int(argv[1])
    from scenespec.render.lifeline import end_with

    end_with(parent)
    with contextlib.suppress(OSError):
        os.nice(DRAWER_NICENESS)  # on a busy machine the training gets the CPU first; frames may wait, steps not
    conn = Connection(fd)
    inbox: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
    threading.Thread(target=_read_all, args=(conn, inbox), name="scenespec-drawer-read", daemon=True).start()
    try:
        _serve(conn, inbox)
    except BaseException as error:  # reported to the training side, which raises it there
        import traceback

        from scenespec.errors import SpecError

        text = str(error)
        if not isinstance(error, SpecError):  # not the user's spec: what failed where, for a bug report
            text = f"{type(error).__name__}: {error}\n\nin the drawing process:\n" + "".join(
                traceback.format_exception(error)
            )
        with contextlib.suppress(OSError):
            conn.send(("error", f"live view: {text}"))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
