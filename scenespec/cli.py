"""Command line: `scenespec render`, `trace`, `projector`, `validate`, `watch`, `schema`, `gallery`, `init`.

User mistakes print `file:line: key: message` and exit 2; output problems exit 1;
neither shows a traceback.

This module imports nothing heavy at the top: `--help` and `--version` answer in a few hundredths of a second,
and each command imports what it runs when it runs. Only the command being run gets its full set of options
(the output formats come from the sink registry, which imports the sinks and their libraries).

Run as the process's command (`main()` without arguments: `scenespec`, `python -m scenespec`), the objects the
imports made are moved out of the garbage collector's sight (`gc.freeze`) once the spec is loaded and again when
the command is done: Python's collections walk every tracked object, and after importing matplotlib, numpy and
the spec's models there are about 90,000 of them. The last collection, on the way out, took 0.3–0.5 s of a
2.5–3 s render to free memory the operating system takes back at once; during the render, the full
collections scanned them again; and forked workers touched the pages they share with this process by counting
them. Called with arguments (from Python, tests), `main` leaves the collector as it is.
"""

from __future__ import annotations

import argparse
import gc
import shlex
import sys
import warnings
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from scenespec import __version__
from scenespec.errors import PluginError, RenderError, SpecError, SpecWarning, did_you_mean
from scenespec.interrupt import description, exit_status, interrupts_raise, raise_if_interrupted
from scenespec.quality import PRESETS
from scenespec.sizes import parse_size
from scenespec.tasks import EXECUTORS

if TYPE_CHECKING:
    from scenespec.api import Spec
    from scenespec.output import Target
    from scenespec.pipeline import RenderResult
    from scenespec.tasks import TaskRunner

EXIT_SPEC_ERROR = 2
EXIT_RENDER_ERROR = 1
SPEC_HELP = "the spec file (.toml or .json), or an installed package's spec as PACKAGE:NAME (e.g. scenespec:linreg)"
EXIT_INTERRUPTED = 130  # Ctrl-C; SIGTERM exits 143, as a shell reports a process ended by either signal


def _extensions() -> str:
    """How -o selects a format, from the sink registry: `.gif, .png, …, a folder for png-sequence`."""
    from scenespec.render.sinks.base import sink_kinds

    kinds = sink_kinds().values()
    files = [extension for kind in kinds if kind.writes == "file" for extension in kind.extensions]
    folders = [f"a folder for {kind.name}" for kind in kinds if kind.writes == "folder"]
    return ", ".join(files + folders)


def _output_formats() -> tuple[str, ...]:
    from scenespec.render.sinks.base import output_formats

    return output_formats()


def _parser(only: str | None = None) -> argparse.ArgumentParser:
    """The command line; with `only`, the options of that command alone are read from the registries (the others
    are listed by name and help line, which is all `scenespec --help` shows of them)."""

    def full(command: str) -> bool:
        return only is None or only == command

    parser = argparse.ArgumentParser(
        prog="scenespec",
        description="Render animations of machine learning from declarative TOML/JSON specs.",
        epilog="Example: scenespec render specs/linreg.toml -o linreg.gif",
    )
    parser.add_argument("-V", "--version", action="version", version=f"scenespec {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    extensions = f" ({_extensions()})" if full("render") else ""
    render = commands.add_parser(
        "render",
        help="render a spec to a GIF, PNG(s), a video (mp4, webm) or the screen",
        description=f"Render a spec. The output format follows -o's extension{extensions} unless --format says "
        "otherwise. Default output: <spec name>.gif in the current folder.",
    )
    render.add_argument("spec", help=SPEC_HELP)
    render.add_argument("-o", "--output", help="output path (default: the spec's [output] or <spec name>.gif)")
    if full("render"):
        render.add_argument("--format", choices=_output_formats(), help="output format (default: from the output path)")
    render.add_argument("--dpi", type=int, help="override scene.dpi (pixels = size × dpi); wins over --quality")
    render.add_argument(
        "--quality",
        choices=list(PRESETS),
        help="draft: half the pixels, at most 10 fps; standard: the spec as written; high: twice the pixels per side; "
        "4k: 3840 px wide (see docs/animation.md)",
    )
    render.add_argument(
        "--max-size",
        type=_size,
        metavar="SIZE",
        help="GIF: fit under this many bytes (5MB, 500kB, 2MiB, 1000000) by fewer colours, then a lower scale, "
        "then a lower fps; nothing is written if even the smallest is too big",
    )
    render.add_argument(
        "--frame", type=int, metavar="N", help="write only frame N as a PNG (negative counts from the end)"
    )
    _add_overrides(render)
    render.add_argument("--dither", action="store_true", help="GIF: dither colours (for smooth 3D surfaces)")
    render.add_argument(
        "--workers",
        type=_positive_int,
        metavar="N",
        help="processes drawing frames (default: this process, and one per core once the frames left would take more "
        "than a second or two; 1 draws in the main process); with --executor dask "
        "and no --scheduler, the local cluster's worker processes",
    )
    render.add_argument(
        "--split",
        action="store_true",
        help="a spec with a [sweep]: one output per point (named <output>.<point>, e.g. linreg.lr=0.0001.gif) "
        "instead of small multiples; -o is then a folder or a name holding {point}; --workers: points at once",
    )
    _add_executor(render, "the spec is rendered as one task on the cluster and its output written here")
    _add_no_cache(render)
    render.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no summary")

    trace = commands.add_parser(
        "trace",
        help="save the numbers behind a scene (every source's trace) to .npz",
        description="Resolve the spec's sources (train, simulate or load) and save every trace in one .npz: "
        "keys <source>/static/<field>, <source>/stepped/<field> and <source>/__steps__ (see docs/traces.md).",
    )
    trace.add_argument("spec", help=SPEC_HELP)
    trace.add_argument("-o", "--output", help="the .npz file to write (default: <spec name>.npz)")
    trace.add_argument(
        "--source", dest="sources", action="append", default=[], metavar="NAME", help="only this source (repeatable)"
    )
    _add_overrides(trace)
    _add_no_cache(trace)
    trace.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")

    projector = commands.add_parser(
        "projector",
        help="write a source's embedding as a TensorBoard projector log folder",
        description="Resolve the spec's embedding source (the one recording a stepped `embedding`, or --source) and "
        "write a folder TensorBoard's projector reads (tensorboard --logdir LOGDIR): one tensor per checkpoint, a "
        "metadata TSV (label, index, other per-point fields), the sprite of the `images` (kept within TensorBoard's "
        "8192×8192 px) and projector_config.pbtxt. The folder is replaced whole (see docs/projector.md).",
    )
    projector.add_argument("spec", help=SPEC_HELP)
    projector.add_argument("-o", "--output", required=True, metavar="LOGDIR", help="the folder to write")
    projector.add_argument("--source", metavar="NAME", help="the source to export (default: the one with an embedding)")
    _add_overrides(projector)
    _add_no_cache(projector)
    projector.add_argument("-q", "--quiet", action="store_true", help="print only warnings")

    validate = commands.add_parser(
        "validate",
        help="check specs without rendering",
        description="Check specs (and their bindings) without running any source.",
    )
    validate.add_argument(
        "specs",
        nargs="+",
        help="spec files, PACKAGE:NAME specs, or folders searched for *.toml and *.json (skipping those with no "
        "spec key, such as a pyproject.toml)",
    )
    _add_overrides(validate)
    validate.add_argument(
        "--split", action="store_true", help="check a sweep's points only (a sweep that is rendered with --split)"
    )

    watch = commands.add_parser(
        "watch",
        help="follow a log or recording that another process is writing, and redraw as its steps arrive",
        description="Show a spec whose frames follow a csv, jsonl, tensorboard or recording source while another "
        "process writes it (a training run). Redraws when the file changes (file events, not a clock), skipping to "
        "the newest step when steps come faster than frames are drawn. Shows one window, or with -o rewrites a file "
        "at every change: a PNG holds the newest frame, a GIF or video the whole animation so far. Files are "
        "replaced whole, so Ctrl-C leaves a complete output. Waits for a log that does not exist yet.",
    )
    watch.add_argument("spec", help=SPEC_HELP)
    watch.add_argument(
        "-o", "--output", help="rewrite this file at every change instead of showing a window (.png: the newest frame)"
    )
    if full("watch"):
        watch.add_argument("--format", choices=[f for f in _output_formats() if f != "screen"], help="output format")
    _add_overrides(watch)
    watch.add_argument("-q", "--quiet", action="store_true", help="print only problems")

    commands.add_parser(
        "schema",
        help="print the JSON Schema of a spec",
        description="Print the JSON Schema of a spec, generated from the models (for editors; see docs/schema.md). "
        "Regenerate the committed copy with: python -m scenespec schema > docs/scenespec.schema.json",
    )

    gallery = commands.add_parser(
        "gallery",
        help="render specs into a static HTML gallery",
        description="Render every spec (GIF, MP4 and a poster PNG) and write a static site: an index with a card per "
        "spec and a page per spec. Only specs whose content changed are re-rendered (see docs/gallery.md).",
    )
    gallery.add_argument(
        "specs",
        nargs="*",
        default=["specs"],
        help="spec files, PACKAGE:NAME specs, or folders of *.toml and *.json (default: specs)",
    )
    gallery.add_argument("-o", "--output", default="gallery", help="the site's folder (default: gallery)")
    gallery.add_argument(
        "--workers",
        type=_positive_int,
        metavar="N",
        help="processes rendering specs, one spec each at a time (default: one per core); with --executor dask and "
        "no --scheduler, the local cluster's worker processes",
    )
    _add_executor(gallery, "each spec is a task on the cluster; the outputs are written here")
    gallery.add_argument("-q", "--quiet", action="store_true", help="print only failures")

    init = commands.add_parser(
        "init",
        help="start a spec in your project, from a built-in spec, a package's, a file or a starter",
        description="Write NAME.toml (NAME.json if NAME ends so) in --dir: a copy of --from, or a small commented "
        "starter. The data files the spec reads are copied beside it, and this installation's JSON Schema is "
        "written to .scenespec/scenespec.schema.json there, which the spec names for editors. Existing files are "
        "never overwritten without --force (see docs/packages.md).",
    )
    init.add_argument("name", metavar="NAME", help="the new spec's file name (.toml by default)")
    init.add_argument(
        "--from",
        dest="origin",
        metavar="SPEC",
        help="start from a built-in spec (linreg), an installed package's (PACKAGE:NAME) or a spec file",
    )
    init.add_argument("--dir", default=".", help="the folder to write into (default: the current folder)")
    init.add_argument("--force", action="store_true", help="overwrite the spec and data files if they exist")
    return parser


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _size(text: str) -> int:
    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _add_overrides(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY.PATH=VALUE",
        help="override a spec value, validated like the file, e.g. --set frames.fps=20 (repeatable)",
    )


def _add_executor(command: argparse.ArgumentParser, dask: str) -> None:
    command.add_argument(
        "--executor",
        choices=EXECUTORS,
        help=f"where the work runs: local (this machine's processes, the default) or dask ({dask}; needs "
        "pip install 'scenespec[dask]'; see docs/scaling.md)",
    )
    command.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="the Dask scheduler to use, e.g. tcp://host:8786 (implies --executor dask; without it, --executor dask "
        "starts a local cluster)",
    )


def _add_no_cache(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--no-cache",
        dest="cache",
        action="store_false",
        help="run every source afresh: neither read nor write the trace cache (see docs/cache.md)",
    )


def _spec_files(items: Sequence[str], quiet: bool = False) -> list[Path]:
    """The spec files among `items` (folders are searched); says which files found in a folder are not specs."""
    from scenespec.spec_files import find_spec_files, skipped_note

    found = find_spec_files(items)
    for file in [] if quiet else found.skipped:
        print(skipped_note(file))
    return found.specs


def _cmd_render(args: argparse.Namespace) -> int:
    from scenespec.api import load
    from scenespec.tasks import executor_of, runner_from_options

    executor = executor_of(args.executor, args.scheduler)
    overrides = list(args.overrides) + ([f"scene.dpi={args.dpi}"] if args.dpi is not None else [])
    overrides += ["output.dither=true"] if args.dither else []
    spec = load(Path(args.spec), overrides, split=args.split)
    if args.process_ends:
        gc.freeze()  # the imports' and the spec's objects live until the process ends (see the module's docstring)
    if args.quality not in (None, "standard"):
        spec = spec.with_quality(args.quality, dpi=args.dpi)
    if args.max_size is not None and (args.split or executor == "dask"):
        print("error: --max-size renders here, one output: not with --split or --executor dask", file=sys.stderr)
        return EXIT_RENDER_ERROR
    with ExitStack() as stack:
        # a sweep's points (--split) or sources (small multiples) are tasks, on the cluster with --executor dask
        runner = None
        if executor == "dask" and spec.sweep is not None:
            runner = stack.enter_context(runner_from_options("dask", args.scheduler, args.workers))
        if args.split:
            return _render_split(spec, args, runner)
        target = spec.default_output(args.format, args.frame) if args.output is None else None
        if executor == "dask" and runner is None:
            result = _render_on_cluster(args, spec, target)
        else:
            animation = spec.render(
                out=args.output if target is None else target.path,
                format=args.format or (target.format if target is not None else None),
                frame=args.frame,
                progress=False if args.quiet else None,
                cache=args.cache,
                workers=args.workers,
                runner=runner,
                max_size=args.max_size,
            )
            assert animation.result is not None
            result = animation.result
    if not args.quiet and result.target.path is not None:
        width, height = result.pixels
        noun = "frame" if result.frames == 1 else "frames"
        print(
            f"wrote {result.target.path} ({result.target.format}): {result.frames} {noun}, "
            f"{width}×{height} px, in {result.seconds:.1f} s" + (f" ({result.fit.describe()})" if result.fit else "")
        )
    return 0


def _render_split(spec: Spec, args: argparse.Namespace, runner: TaskRunner | None = None) -> int:
    if spec.sweep is None:
        print("error: --split renders the points of a [sweep], and the spec has none", file=sys.stderr)
        return EXIT_SPEC_ERROR
    results = spec.render_split(
        args.output, args.format, frame=args.frame, cache=args.cache, workers=args.workers, runner=runner
    )
    for result in [] if args.quiet else results:
        width, height = result.pixels
        noun = "frame" if result.frames == 1 else "frames"
        print(f"wrote {result.target.path} ({result.target.format}): {result.frames} {noun}, {width}×{height} px")
    if not args.quiet and results:
        print(f"{len(results)} points in {results[-1].seconds:.1f} s")
    return 0


def _render_on_cluster(args: argparse.Namespace, spec: Spec, target: Target | None) -> RenderResult:
    """`render --executor dask`: the output checked here, rendered as one task, written here."""
    from scenespec.output import resolve_target
    from scenespec.tasks import runner_from_options
    from scenespec.tasks.render_task import render_on

    target = target or resolve_target(spec.scene, spec.loaded, args.output, args.format, args.frame)
    with runner_from_options("dask", args.scheduler, args.workers) as runner:
        return render_on(runner, spec.loaded, spec.scene, target, args.frame, cache=args.cache)


def _cmd_trace(args: argparse.Namespace) -> int:
    from scenespec.pipeline import write_traces

    result = write_traces(
        args.spec, args.output, args.overrides, args.sources, cache=args.cache, progress=False if args.quiet else None
    )
    if not args.quiet:
        count = len(result.traces)
        print(f"wrote {result.path}: {count} {'source' if count == 1 else 'sources'} in {result.seconds:.1f} s")
        for name, trace in result.traces.items():
            print(f"  {name}: {len(trace.steps)} steps ({int(trace.steps[0])}..{int(trace.steps[-1])})")
            for group, arrays in (("static", trace.static), ("stepped", trace.stepped)):
                for field, values in arrays.items():
                    shape = "×".join(str(n) for n in values.shape) or "scalar"
                    print(f"    {name}/{group}/{field}: {shape} {values.dtype}")
    return 0


def _cmd_projector(args: argparse.Namespace) -> int:
    from scenespec.projector.command import write_projector

    result = write_projector(
        args.spec, args.output, args.overrides, args.source, cache=args.cache, progress=False if args.quiet else None
    )
    exported = result.exported
    for warning in exported.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if not args.quiet:
        steps = list(exported.names)
        sprite = "no sprite" if exported.sprite is None else "sprite {}×{} px".format(*exported.sprite.pixels)
        print(
            f"wrote {exported.folder}: source {result.source}, {len(steps)} checkpoints ({steps[0]}..{steps[-1]}), "
            f"{exported.points} points × {exported.dims} dims, {sprite}, in {result.seconds:.1f} s"
        )
        print(f"  view it with: tensorboard --logdir {exported.folder}")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    # not through scenespec.api, whose render part imports matplotlib: checking a spec needs none of it
    from scenespec.checking import check_spec
    from scenespec.load.loader import open_spec

    failed = 0
    files = _spec_files(args.specs)
    if not files:
        print("error: no spec files found", file=sys.stderr)
        return EXIT_SPEC_ERROR
    for file in files:
        try:
            check_spec(open_spec(file, list(args.overrides)), split=args.split)
        except SpecError as exc:
            failed += 1
            print(f"error: {exc}", file=sys.stderr)
        else:
            print(f"ok: {file}")
    return EXIT_SPEC_ERROR if failed else 0


def _cmd_watch(args: argparse.Namespace) -> int:
    from scenespec.watch.command import watch

    return watch(Path(args.spec), args.overrides, args.output, args.format, quiet=args.quiet)


def _cmd_schema(args: argparse.Namespace) -> int:
    from scenespec.schema import generate

    sys.stdout.write(generate())
    return 0


def _cmd_gallery(args: argparse.Namespace) -> int:
    from scenespec.gallery import build_gallery
    from scenespec.packages import is_packaged, packaged_file
    from scenespec.tasks import runner_from_options

    # a package's spec by its file: the gallery hashes the file's bytes and shows its text
    items = [str(packaged_file(item)) if is_packaged(item) else item for item in args.specs]
    files = _spec_files(items, quiet=args.quiet)
    if not files:
        print("error: no spec files found", file=sys.stderr)
        return EXIT_SPEC_ERROR
    with runner_from_options(args.executor, args.scheduler, args.workers) as runner:
        result = build_gallery(
            files, args.output, workers=args.workers, runner=runner, report=None if args.quiet else print
        )
    for entry in result.failed:
        print(f"error: {entry.name} failed: {entry.error}", file=sys.stderr)
    if not args.quiet:
        print(
            f"gallery: {len(result.entries)} specs ({result.count('rendered')} rendered, "
            f"{result.count('unchanged')} unchanged, {len(result.failed)} failed) -> {result.out / 'index.html'}"
        )
    if any(entry.error_kind == "spec" for entry in result.failed):
        return EXIT_SPEC_ERROR
    return EXIT_RENDER_ERROR if result.failed else 0


def _cmd_init(args: argparse.Namespace) -> int:
    from scenespec.init_command import start_spec

    started = start_spec(args.name, args.origin, args.dir, force=args.force)
    print(f"wrote {started.spec} (from {started.origin})")
    for file in started.data:
        print(f"wrote {file} (a file the spec reads or builds on)")
    for file in started.not_copied:
        print(f"note: the spec reads {file}, outside its folder: not copied")
    print(f"wrote {started.schema} (this installation's JSON Schema, named by the spec for editors)")
    folder = Path(args.dir)
    where = "" if folder.resolve() == Path.cwd().resolve() else f"cd {shlex.quote(str(folder))} && "
    print(f"next: {where}scenespec render {shlex.quote(started.spec.name)}")
    return 0


COMMANDS = {
    "render": _cmd_render,
    "trace": _cmd_trace,
    "projector": _cmd_projector,
    "validate": _cmd_validate,
    "watch": _cmd_watch,
    "schema": _cmd_schema,
    "gallery": _cmd_gallery,
    "init": _cmd_init,
}


def _command_named(argv: Sequence[str]) -> str | None:
    """The command word: the first argument that is not an option (the top level has only -h and -V)."""
    return next((arg for arg in argv if not arg.startswith("-")), None)


def _unknown_command(parser: argparse.ArgumentParser, argv: Sequence[str]) -> None:
    """argparse lists every command for a misspelt one; say which one was probably meant instead (exits 2)."""
    command = _command_named(argv)
    if command is not None and command not in COMMANDS:
        parser.error(f"unknown command {command!r}{did_you_mean(command, COMMANDS)} (commands: {', '.join(COMMANDS)})")


@contextmanager
def spec_warnings_printed() -> Iterator[None]:
    """Print each `SpecWarning` as `warning: file:line: key: message` (other warnings as Python prints them)."""
    with warnings.catch_warnings():
        show = warnings.showwarning

        def print_warning(
            message: Warning | str,
            category: type[Warning],
            filename: str,
            lineno: int,
            file: TextIO | None = None,
            line: str | None = None,
        ) -> Any:
            if issubclass(category, SpecWarning):
                print(f"warning: {message}", file=sys.stderr)
            else:
                show(message, category, filename, lineno, file, line)

        warnings.showwarning = print_warning
        yield


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command in `argv` (default: this process's command line) and return its exit status.

    Without `argv`, this is the process's command, and the process ends when it returns: the garbage collector
    is then kept from walking the objects the imports made (see the module's docstring)."""
    try:
        return _run(sys.argv[1:] if argv is None else list(argv), process_ends=argv is None)
    finally:
        if argv is None:
            gc.freeze()  # nothing to gain from Python's last collection on the way out: the memory goes anyway


def _run(arguments: list[str], process_ends: bool) -> int:
    command = _command_named(arguments)
    parser = _parser(only=command or "")
    _unknown_command(parser, arguments)
    args = parser.parse_args(arguments)
    args.process_ends = process_ends
    try:
        with interrupts_raise(), spec_warnings_printed():
            status = COMMANDS[args.command](args)
            raise_if_interrupted()
            return status
    except SpecError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_SPEC_ERROR
    except (RenderError, PluginError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_RENDER_ERROR
    except OSError as exc:  # disk full, permissions changed mid-render, …: output left as it was
        print(f"error: cannot write output: {exc}", file=sys.stderr)
        return EXIT_RENDER_ERROR
    except KeyboardInterrupt as interrupt:  # Ctrl-C, or SIGTERM (`Terminated`)
        print(f"\n{description(interrupt)}; any earlier output was left as it was", file=sys.stderr)
        return exit_status(interrupt)


if __name__ == "__main__":
    sys.exit(main())
