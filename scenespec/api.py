"""The Python API: specs from files, dicts or text; renders to files, bytes, frames or a notebook cell.

    spec = scenespec.load("specs/linreg.toml")            # or a dict, or TOML/JSON text
    faster = spec.with_values({"frames.fps": 20})          # the API twin of --set
    animation = faster.render()                            # nothing written yet
    animation.save("linreg.mp4"); animation.to_bytes("gif"); next(animation.frames())
    spec.render(traces={"fit": my_trace})                  # a user's own numbers, no file in between

See docs/python-api.md. The command line is built on this module.
"""

from __future__ import annotations

import base64
import html
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from scenespec.errors import RenderError, SpecError
from scenespec.frame import Frame
from scenespec.live import FrameCallback, LiveRender
from scenespec.load import LoadedSpec, Override, load_data, load_text, with_overrides
from scenespec.load.loader import open_spec
from scenespec.load.sweep import PointSpec, Sweep, SweepPoint, read_sweep
from scenespec.output import Target, resolve_target
from scenespec.packages import is_packaged
from scenespec.pipeline import (
    InMemory,
    Prepared,
    RenderResult,
    check_budget_format,
    check_scene,
    check_scene_waiting,
    check_spec,
    given_fields,
    output_frames,
    render_into,
    resolve_and_schedule,
    sink_settings,
    sweep_points,
    write_output,
)
from scenespec.quality import quality_values
from scenespec.render.executors import Executor, SerialExecutor
from scenespec.render.sinks import screen
from scenespec.render.sinks.base import sink_for
from scenespec.resolve.resolve import resolve_sources, used_sources
from scenespec.resolve.stream import StreamingTrace
from scenespec.resolve.trace import Trace
from scenespec.sizes import parse_size
from scenespec.split import render_split
from scenespec.tasks import TaskRunner
from scenespec.transform.apply import DerivedTrace
from scenespec.validate.references import frames_source
from scenespec.validate.scene import Scene

EMBED_LIMIT_BYTES = 20_000_000
"""Largest animation a notebook cell embeds (matplotlib's `to_jshtml` stops at the same 20 MB)."""

GIF_INLINE_BYTES = 3_000_000
"""Above this a notebook cell shows an MP4 `<video>` instead of the GIF: the same animation, far smaller."""


def load(
    source: str | Path | Mapping[str, Any],
    overrides: Sequence[str] = (),
    *,
    format: str | None = None,
    base_dir: str | Path | None = None,
    split: bool = False,
) -> Spec:
    """A validated `Spec` from a path, a dict, or TOML/JSON text (bindings checked, nothing run).

    A `Path`, or a one-line string ending in `.toml`/`.json`, is a file; `"PACKAGE:NAME"` is an installed
    package's spec (`"scenespec:linreg"`, see docs/packages.md). Other strings are spec text:
    JSON when they start with `{`, else TOML (`format` says so explicitly). `overrides` are `--set`
    style `key.path=value` strings. `base_dir`: where relative paths in a dict or text spec point
    (default: the current folder; for a file, its folder). A spec with a `[sweep]` is checked point by point
    and becomes one scene of small multiples; with `split`, it is not expanded (render it with `render_split`).
    """
    return checked(read_spec(source, overrides, format=format, base_dir=base_dir), split=split)


def read_spec(
    source: str | Path | Mapping[str, Any],
    overrides: Sequence[str] = (),
    *,
    format: str | None = None,
    base_dir: str | Path | None = None,
) -> LoadedSpec:
    """The spec's data and locations, not yet validated: for callers that check it against their own traces."""
    loaded: LoadedSpec
    if isinstance(source, Mapping):
        loaded = load_data(source, overrides, base_dir=base_dir)
    elif isinstance(source, Path) or (
        isinstance(source, str)
        and "\n" not in source
        and (source.strip().lower().endswith((".toml", ".json")) or is_packaged(source.strip()))
    ):
        loaded = open_spec(source.strip() if isinstance(source, str) else source, overrides)
    elif isinstance(source, str):
        loaded = load_text(source, format, overrides, base_dir=base_dir)
    else:
        raise TypeError(f"a spec is a path, a dict or TOML/JSON text, not {type(source).__name__}")
    return loaded


def checked(loaded: LoadedSpec, *, split: bool = False) -> Spec:
    """The validated Spec (a sweep expanded into small multiples, unless `split`)."""
    ready, scene, waiting = check_spec(loaded, split=split)
    return Spec(ready, scene, frozenset(waiting), origin=loaded if ready is not loaded else None, split=split)


@dataclass(frozen=True)
class Spec:
    """A validated scene and where it came from. Immutable: `with_values` returns a new one."""

    loaded: LoadedSpec
    scene: Scene
    waiting: frozenset[str] = frozenset()
    """Sources whose bindings could not be judged when the spec was loaded (a recording whose run had not
    begun): judged when the spec is rendered."""
    origin: LoadedSpec | None = None
    """A sweep's spec as loaded, with its `[sweep]` (`loaded` is then the expanded scene, or the first point)."""
    split: bool = False
    """Loaded with `split=True`: a sweep rendered one output per point (`render_split`)."""

    @property
    def sweep(self) -> Sweep | None:
        """The spec's `[sweep]`, or None."""
        return read_sweep(self.origin) if self.origin is not None else None

    @property
    def point(self) -> SweepPoint | None:
        """The point of a sweep this spec is (from `points()`), else None."""
        return self.loaded.point if isinstance(self.loaded, PointSpec) else None

    def points(self) -> list[Spec]:
        """The spec at each point of its sweep, in product order (each has `point`: `label`, `slug`, values);
        [self] for a spec without a sweep."""
        if self.origin is None:
            return [self]
        return [Spec(point, *_scene_waiting(point)) for point in sweep_points(self.origin)]

    def render_split(
        self,
        out: str | Path | None = None,
        format: str | None = None,
        *,
        frame: int | None = None,
        cache: bool = True,
        runner: TaskRunner | None = None,
        workers: int | None = None,
    ) -> list[RenderResult]:
        """Render each point of the sweep to its own file: `out` is None (the default output, `linreg.gif` ->
        `linreg.lr=0.0001.gif`), an existing folder, or a name holding `{point}`. Each point is a task of `runner`
        (default: `workers` local processes) returning its bytes; files are written atomically here."""
        if self.origin is None:
            raise RenderError("render_split: the spec has no [sweep]")
        points = [spec.loaded for spec in self.points()]
        assert all(isinstance(point, PointSpec) for point in points)
        return render_split(
            [p for p in points if isinstance(p, PointSpec)],
            None if out is None else str(out),
            format,
            frame=frame,
            cache=cache,
            runner=runner,
            workers=workers,
        )

    @property
    def name(self) -> str:
        """The file's stem, or `scene` for a dict or text: default output names start with it."""
        return self.loaded.name

    @property
    def data(self) -> dict[str, Any]:
        """The spec as plain data (a copy), e.g. to change and `load` again."""
        return self.scene.model_dump(mode="json", exclude_unset=True)

    def with_values(self, values: Mapping[str, Any]) -> Spec:
        """A new, validated Spec with `{"frames.fps": 20, "panels.0.title": "…"}` set (like `--set`)."""
        overrides = [Override.of(key, value) for key, value in values.items()]
        return checked(with_overrides(self.origin or self.loaded, overrides), split=self.split)

    def prepare(
        self,
        traces: InMemory | None = None,
        *,
        cache: bool = True,
        progress: bool | None = False,
        runner: TaskRunner | None = None,
    ) -> Prepared:
        """Resolve the sources (or take `traces`), and schedule the frames. A sweep's sources run as tasks of
        `runner` (default: local processes)."""
        traces = dict(traces or {})
        scene = self.scene
        if traces or self.waiting:
            now = check_scene(self.loaded, traces)  # bindings against the traces given, and recordings begun since
            scene = now if self.waiting else self.scene
        return resolve_and_schedule(self.loaded, scene, cache=cache, traces=traces, progress=progress, runner=runner)

    def live(
        self,
        traces: InMemory,
        out: str | Path | None = None,
        format: str | None = None,
        *,
        on_frame: FrameCallback | None = None,
        cache: bool = True,
        newest: bool = False,
    ) -> LiveRender:
        """Draw frames while a `StreamingTrace` grows: each `append` draws the frames it makes final.

        `traces` must give the timeline's source (`frames.source`) as a `StreamingTrace`; other sources may
        be given as traces or are resolved now. With `out` the frames go to that file, committed when the
        trace (or the returned `LiveRender`) is closed; `on_frame(frame, rgb)` sees each frame as it is drawn.
        Panels with `limits = "final"` grow with the data, since later data is not known yet. With `newest`
        nothing is drawn as steps arrive: `draw_newest()` draws the newest, skipping those in between (no `out`).
        """
        streams = {name: t for name, t in traces.items() if isinstance(t, StreamingTrace)}
        fields = given_fields(self.loaded, self.scene, traces)
        check_scene(self.loaded, traces)
        timeline = frames_source(self.scene, fields)
        if timeline not in streams:
            raise SpecError([self.loaded.problem(
                f"a live render follows a StreamingTrace, and the timeline's source {timeline!r} was not given as one",
                ("frames", "source"),
            )])  # fmt: skip
        fixed = {name: t for name, t in traces.items() if isinstance(t, Trace)}
        others = [n for n in used_sources(self.scene, timeline) if n not in traces]
        fixed |= resolve_sources(self.scene, self.loaded, fields, others, cache=cache)
        sink = None
        if out is not None:
            target = resolve_target(self.scene, self.loaded, str(out), format, None)
            if target.format in ("screen", "png"):
                raise RenderError(f"a live render writes an animation or frames, not {target.format!r}")
            sink = sink_for(target.format, target.path, sink_settings(self.scene))
        return LiveRender(self.loaded, self.scene, timeline, streams, fixed, sink, on_frame, newest=newest)

    def default_output(self, format: str | None = None, frame: int | None = None) -> Target:
        """Where `scenespec render` writes when not told: the spec's `[output]`, else `<name>.gif` here."""
        return resolve_target(self.scene, self.loaded, None, format, frame)

    def render(
        self,
        out: str | Path | None = None,
        format: str | None = None,
        traces: InMemory | None = None,
        *,
        frame: int | None = None,
        workers: int | None = None,
        executor: Executor | None = None,
        progress: bool | None = False,
        cache: bool = True,
        runner: TaskRunner | None = None,
        quality: str | None = None,
        max_size: int | str | None = None,
    ) -> Animation:
        """Resolve and schedule, and with `out` write the output; returns the `Animation`.

        With no `out` nothing is written: the Animation renders when asked (`save`, `to_bytes`, `frames`,
        or shown in a notebook). `format="screen"` plays it in a window. `traces={"fit": trace}` binds a
        source to an in-memory `Trace` instead of running it. `frame`: only that frame (negative from the end).
        `quality`: `draft`, `standard`, `high` or `4k` (`with_quality`). `max_size`: a GIF `out`'s size budget,
        bytes or `"5MB"`, met by fewer colours, a lower scale, then a lower fps (`animation.result.fit` says which).
        """
        if quality is not None and quality != "standard":
            return self.with_quality(quality).render(
                out, format, traces, frame=frame, workers=workers, executor=executor, progress=progress,
                cache=cache, runner=runner, max_size=max_size,
            )  # fmt: skip
        started = time.perf_counter()
        budget = parse_size(max_size) if isinstance(max_size, str) else max_size
        target = None
        if format == "screen" or out is not None:
            target = resolve_target(self.scene, self.loaded, None if out is None else str(out), format, frame)
            if target.format == "screen":
                screen.require_display()
            if budget is not None:
                check_budget_format(target.format)
        elif budget is not None:
            raise RenderError("max_size: a size budget needs an output file (out)")
        if self.split and self.origin is not None:
            raise RenderError("this sweep was loaded with split=True: render it with render_split()")
        prepared = self.prepare(traces, cache=cache, progress=progress, runner=runner)
        animation = Animation(self, prepared, frame=frame, workers=workers, executor=executor, progress=progress)
        if target is not None:
            animation.result = animation._write(target, started, budget)
        return animation

    def with_quality(self, quality: str, dpi: int | None = None) -> Spec:
        """A new Spec at a quality preset (`--quality`): `draft`, `standard`, `high` or `4k`, with the dpi and fps
        of the table in docs/animation.md computed from this spec's own; `dpi` (`--dpi`) wins over the preset's."""
        scene = self.points()[0].scene if self.split else self.scene  # --split: each point is one output
        values = quality_values(scene, quality) | ({} if dpi is None else {"scene.dpi": dpi})
        overrides = [Override.of(key, value, origin=f"quality {quality!r}") for key, value in values.items()]
        return checked(with_overrides(self.origin or self.loaded, overrides), split=self.split)


def _scene_waiting(loaded: LoadedSpec) -> tuple[Scene, frozenset[str]]:
    scene, waiting = check_scene_waiting(loaded)
    return scene, frozenset(waiting)


class Animation:
    """A rendered (or ready to render) scene: save it, get its bytes or frames, or show it in a notebook."""

    def __init__(
        self,
        spec: Spec,
        prepared: Prepared,
        *,
        frame: int | None = None,
        workers: int | None = None,
        executor: Executor | None = None,
        progress: bool | None = False,
    ) -> None:
        self.spec = spec
        self.prepared = prepared
        self.frame = frame
        self.workers = workers
        self.executor = executor
        self.progress = progress
        self.result: RenderResult | None = None
        """What `render(out=…)` wrote, or the last `save`."""
        self._bytes: dict[str, bytes] = {}

    @property
    def traces(self) -> dict[str, Trace | DerivedTrace]:
        return self.prepared.traces

    def frame_list(self, format: str = "gif") -> list[Frame]:
        """The frames an output of `format` shows (a PNG alone shows the last frame)."""
        return output_frames(self.prepared, format, self.frame)

    def __len__(self) -> int:
        return len(self.frame_list())

    @property
    def fps(self) -> float:
        return self.spec.scene.frames.fps

    def frames(self) -> Iterator[np.ndarray]:
        """Every frame as an RGB uint8 array (height, width, 3), drawn in this process as you iterate."""
        frames = self.frame_list()
        yield from SerialExecutor().frames(self.prepared.recipe(), frames)

    def save(self, path: str | Path, format: str | None = None) -> RenderResult:
        """Write the animation to `path` (format from the extension unless given), atomically."""
        target = resolve_target(self.spec.scene, self.spec.loaded, str(path), format, None)
        if target.format == "screen":
            raise RenderError("save writes a file; use render(format='screen') to play it in a window")
        self.result = self._write(target, time.perf_counter())
        return self.result

    def to_bytes(self, format: str = "gif") -> bytes:
        """The bytes the file of `format` would hold: `gif`, `png` (the last frame, or the chosen one), `mp4`,
        `webm`, or `png-sequence` (a zip of the frames' PNGs). Rendered in memory; kept for the next call."""
        if format not in self._bytes:
            if format == "screen":
                raise RenderError("to_bytes: the screen has no bytes; use render(format='screen')")
            sink = sink_for(format, None, sink_settings(self.spec.scene))
            frames = self.frame_list(format)
            render_into(
                self.prepared, frames, sink, executor=self.executor, workers=self.workers, progress=self.progress
            )
            self._bytes[format] = sink.getvalue()
        return self._bytes[format]

    def _write(self, target: Target, started: float, max_size: int | None = None) -> RenderResult:
        return write_output(
            self.prepared,
            target,
            self.frame,
            started=started,
            executor=self.executor,
            workers=self.workers,
            progress=self.progress,
            max_size=max_size,
        )

    # --- notebooks ---------------------------------------------------------------------------------------

    def to_html(self, kind: str = "auto", embed_limit: int = EMBED_LIMIT_BYTES) -> str:
        """HTML showing the animation, everything embedded as base64.

        `kind`: `gif` (an `<img>`), `video` (an MP4 `<video controls>`), `scrubber` (every frame as a PNG
        with a slider and play button, like matplotlib's `to_jshtml`), or `auto`: the GIF while it is small
        (≤ 3 MB), else the video. Past `embed_limit` bytes a scrubber falls back to the video, and a video
        too large to embed is replaced by a note saying how to save it: a notebook never swells by tens of MB.
        """
        if kind not in ("auto", "gif", "video", "scrubber"):
            raise ValueError(f"kind must be auto, gif, video or scrubber, not {kind!r}")
        if kind == "scrubber":
            page = self._scrubber(embed_limit)
            if page is not None:
                return page
            kind = "video"
        if kind in ("auto", "gif"):
            gif = self.to_bytes("gif")
            if kind == "gif" and len(gif) > embed_limit:
                kind = "video"
            elif kind == "gif" or len(gif) <= GIF_INLINE_BYTES:
                return _img_tag(gif, self.spec)
        video = self.to_bytes("mp4")
        if len(video) > embed_limit:
            return (
                f"<p>scenespec: this animation's video is {len(video) / 1e6:.1f} MB, over the "
                f"{embed_limit / 1e6:.0f} MB embed limit; save it with <code>animation.save('{self.spec.name}.mp4')"
                "</code>.</p>"
            )
        data = base64.b64encode(video).decode("ascii")
        return f'<video controls loop autoplay muted playsinline src="data:video/mp4;base64,{data}"></video>'

    def _scrubber(self, embed_limit: int) -> str | None:
        """A frame scrubber page, or None when its frames would pass `embed_limit`."""
        from PIL import Image

        images: list[str] = []
        total = 0
        for rgb in self.frames():
            buffer = _png_bytes(Image.fromarray(rgb, "RGB"))
            total += len(buffer) * 4 // 3
            if total > embed_limit:
                return None
            images.append(base64.b64encode(buffer).decode("ascii"))
        return _scrubber_html(images, [f.duration_ms for f in self.frame_list()], self.spec.scene.frames.loop)

    def _repr_html_(self) -> str:
        return self.to_html()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"text/html": self.to_html(), "text/plain": repr(self)}

    def __repr__(self) -> str:
        scene = self.spec.scene.scene
        width, height = (round(side * scene.dpi) for side in scene.size)
        return f"<scenespec.Animation {self.spec.name!r}: {len(self)} frames, {width}×{height} px, {self.fps:g} fps>"


def _png_bytes(image: Any) -> bytes:
    import io

    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _img_tag(gif: bytes, spec: Spec) -> str:
    title = html.escape(spec.scene.scene.title or spec.name, quote=True)
    return f'<img alt="{title}" src="data:image/gif;base64,{base64.b64encode(gif).decode("ascii")}"/>'


def _scrubber_html(images: list[str], durations: list[int], loop: bool) -> str:
    """A self-contained frame scrubber: slider, play/pause, step buttons; frames as base64 PNGs."""
    import json
    import uuid

    uid = "scenespec_" + uuid.uuid4().hex[:12]
    frames = json.dumps(images)
    return f"""<div id="{uid}" class="scenespec-scrubber">
<img id="{uid}_img" src="data:image/png;base64,{images[0]}"/><br/>
<button onclick="{uid}.step(-1)">&#9664;</button>
<button onclick="{uid}.toggle()" id="{uid}_play">&#9654;</button>
<button onclick="{uid}.step(1)">&#9654;&#10073;</button>
<input id="{uid}_slider" type="range" min="0" max="{len(images) - 1}" value="0" oninput="{uid}.show(+this.value)"/>
<span id="{uid}_label">1 / {len(images)}</span>
<script>
var {uid} = (function() {{
  var frames = {frames}, durations = {json.dumps(durations)}, loop = {json.dumps(loop)};
  var img = document.getElementById("{uid}_img"), slider = document.getElementById("{uid}_slider");
  var label = document.getElementById("{uid}_label"), timer = null, index = 0;
  function show(i) {{
    index = i; img.src = "data:image/png;base64," + frames[i]; slider.value = i;
    label.textContent = (i + 1) + " / " + frames.length;
  }}
  function tick() {{
    var next = index + 1;
    if (next >= frames.length) {{ if (!loop) {{ timer = null; return; }} next = 0; }}
    show(next); timer = setTimeout(tick, durations[next]);
  }}
  return {{
    show: show,
    step: function(d) {{ show((index + d + frames.length) % frames.length); }},
    toggle: function() {{
      if (timer) {{ clearTimeout(timer); timer = null; }} else {{ timer = setTimeout(tick, durations[index]); }}
    }}
  }};
}})();
</script></div>"""
