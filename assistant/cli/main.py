"""The `mixchat` command line. A stable contract: see DESIGN.md for every command.

Each command imports what it runs when it runs: the engine, the planners and the chat UI take
up to a second to import, and `mixchat versions` or `--help` should not wait for them.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from pathlib import Path
from typing import Annotated, Any, Literal, cast

import typer

from mixchat.assistant.cli.console import err, out, print_json, progress_bar
from mixchat.dsp.allocator import keep_block_buffers
from mixchat.dsp.errors import MixError
from mixchat.tools.errors import os_error_message

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="mixchat: a conversational mixing assistant. Stems in; a versioned, explained mix out.",
)

SessionOpt = Annotated[Path, typer.Option("--session", "-s", help="Session folder")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout")]


def _reports():  # noqa: ANN202
    """The report printers (rich tables: imported only by the commands that print one)."""
    from mixchat.assistant.cli import reports

    return reports


def _open(path: Path):  # noqa: ANN202
    from mixchat.tools.session import Session

    return Session.open(path)


@app.command()
def new(
    stems_dir: Annotated[Path, typer.Argument(help="Folder of stems (WAV/FLAC/AIFF/MP3)")],
    session: SessionOpt,
    genre: Annotated[str | None, typer.Option(help="Genre for targets (pop, rock, ...)")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Create a session: version 0 is the unity sum of the stems."""
    from mixchat.tools.workspace import create_session

    if genre:
        from mixchat.tools.genres import resolve_genre

        genre = resolve_genre(genre)
    with progress_bar("new session", quiet=json_out) as progress:
        created, warnings = create_session(stems_dir, session, genre=genre, progress=progress)
    for warning in warnings:
        err.print(f"[yellow]warning:[/] {warning}")
    if json_out:
        from mixchat.assistant.turn.summaries import session_summary

        print_json(session_summary(created))
    else:
        _reports().print_session(created)


@app.command()
def automix(
    session: SessionOpt,
    genre: Annotated[str | None, typer.Option(help="Genre for targets")] = None,
    json_out: JsonOpt = False,
) -> None:
    """The technical mix: gain staging, balance, EQ clean-up, masking, compression, space."""
    from mixchat.assistant.turn.actions import run_automix

    opened = _open(session)
    with progress_bar("automix", quiet=json_out) as progress:
        result = run_automix(opened, genre=genre, progress=progress)
    if json_out:
        print_json(result.model_dump(mode="json"))
    else:
        out.print(result.reply)


def _words(metavar: str, example: str) -> Any:
    """A free-text argument typed as words: quotes optional, the words are joined."""
    return typer.Argument(metavar=metavar, help=f"{example} (quotes optional)", show_default=False)


@app.command()
def say(
    session: SessionOpt,
    words: Annotated[list[str], _words("BRIEF", 'A brief in plain words, e.g. "make it darker"')],
    from_version: Annotated[int | None, typer.Option("--from", help="Parent version")] = None,
    json_out: JsonOpt = False,
) -> None:
    """One brief → tool calls → a new version, with what changed and why."""
    from mixchat.assistant.turn.conversation import handle_brief

    opened = _open(session)
    brief = " ".join(words)
    with progress_bar("thinking", quiet=json_out) as progress:
        result = handle_brief(opened, brief, parent=from_version, progress=progress)
    if json_out:
        print_json(result.model_dump(mode="json"))
    else:
        out.print(result.reply)


@app.command()
def versions(session: SessionOpt, json_out: JsonOpt = False) -> None:
    """List the versions of a session."""
    from mixchat.assistant.turn.summaries import damaged_versions, version_rows

    opened = _open(session)
    rows = version_rows(opened)
    for number in damaged_versions(opened, rows):
        err.print(f"warning: version {number} is damaged (unreadable file) and not listed")
    if json_out:
        print_json(rows)
    else:
        _reports().print_versions(rows)


@app.command()
def revert(
    session: SessionOpt,
    version: Annotated[int, typer.Argument(help="Version to return to")],
    json_out: JsonOpt = False,
) -> None:
    """Make a new version equal to VERSION (nothing is deleted)."""
    from mixchat.assistant.turn.actions import revert_to

    data = revert_to(_open(session), version)
    if json_out:
        print_json({k: data[k] for k in ("version", "parent", "reverted_to")})
    else:
        out.print(data["reply"])


@app.command()
def diff(
    session: SessionOpt,
    a: Annotated[int, typer.Argument()],
    b: Annotated[int, typer.Argument()],
    json_out: JsonOpt = False,
) -> None:
    """Settings and metric differences between versions A and B."""
    from mixchat.assistant.turn.summaries import version_diff

    data = version_diff(_open(session), a, b)
    if json_out:
        print_json(data)
    else:
        _reports().print_diff(data)


@app.command()
def ab(
    session: SessionOpt,
    a: Annotated[int, typer.Argument()],
    b: Annotated[int, typer.Argument()],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Folder for the two WAVs")
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Level-matched A/B of two versions, with a metric table."""
    from mixchat.assistant.turn.comparison import ab_compare

    opened = _open(session)
    with progress_bar("A/B", quiet=json_out) as progress:
        data = ab_compare(opened, a, b, output=output, progress=progress)
    if json_out:
        print_json(data)
    else:
        _reports().print_ab(data)


@app.command()
def render(
    session: SessionOpt,
    output: Annotated[Path, typer.Option("-o", "--output", help="Output WAV/FLAC")],
    version: Annotated[int | None, typer.Option(help="Version (default: latest)")] = None,
    stems_dir: Annotated[
        Path | None, typer.Option(help="Also write every track post-fader and each bus return")
    ] = None,
    no_master: Annotated[bool, typer.Option("--no-master", help="Skip the master chain")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Render a version to an audio file."""
    from mixchat.tools.cached_render import check_output, render_cached

    opened = _open(session)
    data = None
    if stems_dir is None:  # a version in the render cache is written without the engine
        chosen = opened.load(version)
        data = render_cached(
            opened, output=check_output(output), version=chosen, master=not no_master
        )
    if data is None:
        from mixchat.assistant.turn.comparison import render_version

        with progress_bar("render", quiet=json_out) as progress:
            data = render_version(
                opened,
                output=output,
                version=version,
                stems_dir=stems_dir,
                master=not no_master,
                progress=progress,
            )
    if json_out:
        print_json(data)
    else:
        _reports().print_render(data)


@app.command()
def analyze(
    path: Annotated[Path, typer.Argument(help="Stems folder, session folder or audio file")],
    plots: Annotated[Path | None, typer.Option(help="Write PNG plots into this folder")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Measure loudness, tone, dynamics, stereo, sections and masking."""
    from mixchat.assistant.inspection.analyze import analyze_path

    with progress_bar("analyze", quiet=json_out) as progress:
        data = analyze_path(path, plots_dir=plots, progress=progress)
    if json_out:
        print_json(data)
    else:
        _reports().print_analysis(data)


@app.command()
def feedback(
    path: Annotated[Path, typer.Argument(help="Stems folder, session folder or finished mix")],
    plots: Annotated[Path | None, typer.Option(help="Write PNG plots into this folder")] = None,
    genre: Annotated[str | None, typer.Option(help="Genre for the tonal target")] = None,
    role: Annotated[
        str | None,
        typer.Option(help="Judge PATH as one stem of this role (vocal, bass, drums, ...)"),
    ] = None,
    stem: Annotated[
        str | None, typer.Option(help="Judge this stem of the session PATH, against the others")
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """A Mix-Check-style report: what holds the mix back, with numbers and actions.

    One audio file named for its part (bass.wav, Lead Vox.wav) or given --role is judged as
    a stem: clean-up faults, clipping, limiting, silence, printed reverb, channels, and how
    to export it; a finished mix's tonal targets are not applied to it."""
    from mixchat.assistant.inspection.feedback import feedback_for_path

    with progress_bar("feedback", quiet=json_out) as progress:
        data = feedback_for_path(
            path, plots_dir=plots, genre=genre, role=role, stem=stem, progress=progress
        )
    if json_out:
        print_json(data)
    else:
        _reports().print_feedback(data)


@app.command()
def master(
    input_path: Annotated[Path, typer.Argument(metavar="IN", help="Mix to master")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Mastered file")],
    target: Annotated[
        str, typer.Option(help="spotify, apple, youtube, club or a LUFS number")
    ] = "spotify",
    ceiling_db: Annotated[
        float, typer.Option("--ceiling-db", help="True-peak ceiling, dBTP")
    ] = -1.0,
    reference: Annotated[Path | None, typer.Option(help="Reference track to match")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Master a stereo mix to a platform loudness under a true-peak ceiling."""
    from mixchat.assistant.turn.comparison import master_file

    with progress_bar("master", quiet=json_out) as progress:
        data = master_file(
            input_path,
            output=output,
            target=target,
            ceiling_dbtp=ceiling_db,
            reference=reference,
            progress=progress,
        )
    if json_out:
        print_json(data)
    else:
        _reports().print_master(data)


@app.command()
def roles(
    session: SessionOpt,
    assignments: Annotated[
        str | None, typer.Argument(help='Corrections like "Audio_03=keys"')
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Show stem roles, or correct them ("Audio_03=keys, Gtr=guitar")."""
    from mixchat.assistant.turn.actions import set_roles

    opened = _open(session)
    from mixchat.assistant.turn.summaries import role_rows

    data = set_roles(opened, assignments) if assignments else role_rows(opened)
    if json_out:
        print_json(data)
    else:
        _reports().print_roles(data)


@app.command()
def ask(
    words: Annotated[
        list[str], _words("QUESTION", 'e.g. "what attack on a CL1B for a ballad vocal?"')
    ],
    session: Annotated[
        Path | None, typer.Option("--session", "-s", help="Use this session's measurements")
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Plugin and parameter questions, answered with numbers and sources."""
    from mixchat.assistant.turn.actions import answer

    question = " ".join(words)
    data = answer(question, session=_open(session) if session else None)
    if json_out:
        print_json(data)
    else:
        _reports().print_answer(data)


@app.command()
def screenshot(
    image: Annotated[Path, typer.Argument(help="PNG/JPEG screenshot of a plugin")],
    session: Annotated[Path | None, typer.Option("--session", "-s")] = None,
    role: Annotated[str | None, typer.Option(help="Role of the track the plugin is on")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Read a plugin screenshot and comment on its settings."""
    from mixchat.assistant.turn.actions import screenshot_feedback

    data = screenshot_feedback(image, session=_open(session) if session else None, role=role)
    if json_out:
        print_json(data)
    else:
        _reports().print_screenshot(data)


@app.command()
def export(
    session: SessionOpt,
    fmt: Annotated[str, typer.Option("--format", help="dawproject, reaper or stems")],
    output: Annotated[Path, typer.Option("-o", "--output")],
    version: Annotated[int | None, typer.Option(help="Version (default: latest)")] = None,
    force: Annotated[bool, typer.Option(help="Overwrite an existing destination")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Export a version to a DAW project or processed stems."""
    from mixchat.assistant.turn.comparison import export_session

    if fmt not in ("dawproject", "reaper", "stems"):
        raise typer.BadParameter(f"--format={fmt!r}: use dawproject, reaper or stems")
    export_fmt = cast(Literal["dawproject", "reaper", "stems"], fmt)  # checked just above
    opened = _open(session)
    with progress_bar("export", quiet=json_out) as progress:
        data = export_session(
            opened, fmt=export_fmt, output=output, version=version, force=force, progress=progress
        )
    if json_out:
        print_json(data)
    else:
        out.print(f"Exported {fmt} to {data['path']} ({len(data['files'])} files)")
        for note in data["notes"]:
            out.print(f"  note: {note}")


@app.command()
def batch(
    songs_dir: Annotated[Path, typer.Argument(help="Folder with one subfolder of stems per song")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder for the results")],
    target: Annotated[
        str, typer.Option(help="spotify, apple, youtube, club or a LUFS number")
    ] = "spotify",
    ceiling_db: Annotated[
        float, typer.Option("--ceiling-db", help="True-peak ceiling, dBTP")
    ] = -1.0,
    briefs: Annotated[
        Path | None, typer.Option(help="Text file: one brief per line, applied after the automix")
    ] = None,
    export_fmt: Annotated[
        str | None,
        typer.Option("--export", help="Also export each song: stems, dawproject or reaper"),
    ] = None,
    workers: Annotated[
        int | None, typer.Option(help="Songs at once (default: one per core of the cluster)")
    ] = None,
    address: Annotated[
        str | None,
        typer.Option(help="Join this Ray cluster (default: a local one on this machine)"),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Automix, brief, master and report every song of a catalogue, on Ray.

    Finished songs are skipped on a rerun; a song that fails is reported and the others go on.
    """
    from mixchat.assistant.batch.jobs import BatchOptions, read_briefs
    from mixchat.assistant.batch.runner import run_batch

    options = BatchOptions(
        target=target,
        ceiling_dbtp=ceiling_db,
        briefs=read_briefs(briefs) if briefs else (),
        export=cast(Any, export_fmt),  # BatchOptions checks the name
    )
    log_lines = not json_out and not err.is_terminal  # a log file gets a line per song
    with progress_bar("batch", quiet=json_out) as progress:

        def on_row(row: dict[str, Any], finished: int, total: int) -> None:
            progress(f"{finished}/{total} songs · {row['song']}: {row['status']}", finished / total)
            if log_lines:
                line = _reports().batch_progress_line(row, finished, total)
                err.print(line, markup=False, highlight=False, soft_wrap=True)

        data = run_batch(
            songs_dir, output, options=options, workers=workers, address=address, on_row=on_row
        )
    if json_out:
        print_json(data)
    else:
        _reports().print_batch(data, output)
    failed = data["summary"]["failed"]
    if failed:
        err.print(
            f"{failed} of {data['summary']['songs']} songs failed; see {output / 'batch.json'}"
        )
        raise typer.Exit(1)


@app.command()
def chat(
    stems_dir: Annotated[
        Path | None, typer.Argument(help="Stems folder (creates a session beside it)")
    ] = None,
    session: Annotated[Path | None, typer.Option("--session", "-s")] = None,
) -> None:
    """The terminal chat UI."""
    from mixchat.assistant.tui.app import run_chat

    run_chat(session=session, stems_dir=stems_dir)


@app.command()
def demo(
    no_ui: Annotated[
        bool, typer.Option("--no-ui", help="Print a scripted tour instead of opening the chat")
    ] = False,
    workdir: Annotated[
        Path | None, typer.Option(help="Where to build the demo (default: ./mixchat-demo)")
    ] = None,
) -> None:
    """Build a demo song session and open the chat (or print a scripted tour)."""
    from mixchat.assistant.cli.tour import run_demo

    run_demo(no_ui=no_ui, workdir=workdir or Path("mixchat-demo"))


@app.command()
def mcp(
    http: Annotated[
        int | None,
        typer.Option(
            "--http", metavar="PORT", min=1, max=65535, help="Serve streamable HTTP on PORT"
        ),
    ] = None,
    host: Annotated[
        str | None,
        typer.Option(metavar="ADDR", help="Address to listen on with --http (default: 127.0.0.1)"),
    ] = None,
    root: Annotated[
        list[Path] | None,
        typer.Option(
            "--root",
            metavar="DIR",
            help="A folder the tools may read and write (repeatable); without it, the paths "
            "each call names",
        ),
    ] = None,
) -> None:
    """The assistant as an MCP server for AI clients (stdio by default)."""
    if host is not None and http is None:
        raise typer.BadParameter("--host needs --http PORT (stdio has no address)")
    # Deferred: the MCP SDK and the whole assistant load only when the server starts.
    from mixchat.assistant.mcp.server import serve

    serve(http_port=http, host=host or "127.0.0.1", roots=root or [])


def _debugging() -> bool:
    """MIXCHAT_DEBUG=1: let an internal error's traceback through."""
    # Deferred: the settings need pydantic, which a plain `mixchat --help` never imports.
    from mixchat.tools.config import load_settings
    from mixchat.tools.errors import ConfigError

    try:
        return load_settings().debug
    except ConfigError:
        return False


INTERRUPTED = "mixchat: interrupted; versions already saved are intact"
INTERRUPTED_CODE = 130


def main() -> None:
    # Deferred like _debugging's: pydantic (config) only once a command is really run.
    from mixchat.tools.config import use_one_blas_thread

    use_one_blas_thread()
    keep_block_buffers()
    try:
        code = app(standalone_mode=False)
    except typer.Abort:
        err.print("aborted")
        sys.exit(130)
    except typer.Exit as error:
        sys.exit(error.exit_code)
    except typer.TyperException as error:
        show = getattr(error, "show", None)
        if callable(show):
            show()
        else:
            print(f"mixchat: {error}", file=sys.stderr)
        sys.exit(2)
    except MixError as error:
        print(f"mixchat: {error}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print(INTERRUPTED, file=sys.stderr)
        sys.exit(INTERRUPTED_CODE)
    except BrokenPipeError:
        os._exit(0)
    except OSError as error:
        print(f"mixchat: {os_error_message(error)}", file=sys.stderr)
        sys.exit(1)
    except Exception as error:  # noqa: BLE001 - the one place that turns bugs into one line
        if _debugging():
            raise
        print(
            f"mixchat: internal error ({type(error).__name__}: {error}); set MIXCHAT_DEBUG=1 for details",
            file=sys.stderr,
        )
        sys.exit(2)
    if code == INTERRUPTED_CODE:  # typer returns ctrl-C as this code, having said nothing
        print(INTERRUPTED, file=sys.stderr)
    _leave(code if isinstance(code, int) else 0)


def _leave(code: int) -> None:
    """Exit with ``code``. When the command left no other thread running, every version and
    file it wrote is complete and closed: the exit handlers run and the process ends there,
    without tearing the interpreter down object by object (after a brief's render that
    teardown costs 0.3-0.4 s of CPU, as much as a light brief's mixing)."""
    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)
    if threading.active_count() > 1 or run_exit_handlers is None:
        sys.exit(code)
    run_exit_handlers()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # a closed pipe: nothing more can be said anyway
        pass
    os._exit(code)
