"""The `mixchat` command line. A stable contract: see DESIGN.md for every command.

Each command imports what it runs when it runs: the engine, the planners and the chat UI take
up to a second to import, and `mixchat versions` or `--help` should not wait for them.
"""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path
from typing import Annotated, Any, Literal, cast

import typer

from mixchat.assistant.cli import reports
from mixchat.assistant.cli.console import err, out, print_json, progress_bar
from mixchat.dsp.allocator import keep_block_buffers
from mixchat.dsp.errors import MixError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="mixchat: a conversational mixing assistant. Stems in; a versioned, explained mix out.",
)

SessionOpt = Annotated[Path, typer.Option("--session", "-s", help="Session folder")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout")]


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
        print_json(reports.session_summary(created))
    else:
        reports.print_session(created)


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
        print_json(result)
    else:
        out.print(result["reply"])


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
        print_json(result)
    else:
        out.print(result["reply"])


@app.command()
def versions(session: SessionOpt, json_out: JsonOpt = False) -> None:
    """List the versions of a session."""
    opened = _open(session)
    rows = reports.version_rows(opened)
    listed = {row["version"] for row in rows}
    for number in opened.version_numbers():
        if number not in listed:
            err.print(f"warning: version {number} is damaged (unreadable file) and not listed")
    if json_out:
        print_json(rows)
    else:
        reports.print_versions(rows)


@app.command()
def revert(
    session: SessionOpt,
    version: Annotated[int, typer.Argument(help="Version to return to")],
    json_out: JsonOpt = False,
) -> None:
    """Make a new version equal to VERSION (nothing is deleted)."""
    opened = _open(session)
    source = opened.load(version)
    made = opened.commit(
        source.state,
        parent=opened.latest_number(),
        kind="revert",
        brief=f"revert to version {version}",
        summary=f"same settings as version {version}",
        reply=f"Version {opened.latest_number() + 1} restores the settings of version {version}.",
        metrics=source.metrics,
    )
    opened.log_chat(role="assistant", text=made.reply, version=made.version)
    if json_out:
        print_json({"version": made.version, "parent": made.parent, "reverted_to": version})
    else:
        out.print(made.reply)


@app.command()
def diff(
    session: SessionOpt,
    a: Annotated[int, typer.Argument()],
    b: Annotated[int, typer.Argument()],
    json_out: JsonOpt = False,
) -> None:
    """Settings and metric differences between versions A and B."""
    from mixchat.tools.compare import metric_rows, state_diff

    opened = _open(session)
    va, vb = opened.load(a), opened.load(b)
    data = {
        "a": a,
        "b": b,
        "settings": [{"setting": k, "a": x, "b": y} for k, x, y in state_diff(va.state, vb.state)],
        "metrics": metric_rows(va.metrics, vb.metrics),
    }
    if json_out:
        print_json(data)
    else:
        reports.print_diff(data)


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
        reports.print_ab(data)


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
        reports.print_render(data)


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
        reports.print_analysis(data)


@app.command()
def feedback(
    path: Annotated[Path, typer.Argument(help="Stems folder, session folder or finished mix")],
    plots: Annotated[Path | None, typer.Option(help="Write PNG plots into this folder")] = None,
    genre: Annotated[str | None, typer.Option(help="Genre for the tonal target")] = None,
    json_out: JsonOpt = False,
) -> None:
    """A Mix-Check-style report: what holds the mix back, with numbers and actions."""
    from mixchat.assistant.inspection.feedback import feedback_for_path

    with progress_bar("feedback", quiet=json_out) as progress:
        data = feedback_for_path(path, plots_dir=plots, genre=genre, progress=progress)
    if json_out:
        print_json(data)
    else:
        reports.print_feedback(data)


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
        reports.print_master(data)


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
    data = set_roles(opened, assignments) if assignments else reports.role_rows(opened)
    if json_out:
        print_json(data)
    else:
        reports.print_roles(data)


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
        reports.print_answer(data)


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
        reports.print_screenshot(data)


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
    from mixchat.tools.export import export_version

    if fmt not in ("dawproject", "reaper", "stems"):
        raise typer.BadParameter(f"--format={fmt!r}: use dawproject, reaper or stems")
    export_fmt = cast(Literal["dawproject", "reaper", "stems"], fmt)  # checked just above
    opened = _open(session)
    with progress_bar("export", quiet=json_out) as progress:
        result = export_version(
            opened, version=version, fmt=export_fmt, out=output, force=force, progress=progress
        )
    data = {
        "format": fmt,
        "path": str(result.path),
        "files": [str(f) for f in result.files],
        "notes": list(result.notes),
    }
    if json_out:
        print_json(data)
    else:
        out.print(f"Exported {fmt} to {result.path} ({len(result.files)} files)")
        for note in result.notes:
            out.print(f"  note: {note}")


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


def _debugging() -> bool:
    """MIXCHAT_DEBUG=1: let an internal error's traceback through."""
    # Deferred: the settings need pydantic, which a plain `mixchat --help` never imports.
    from mixchat.tools.config import load_settings
    from mixchat.tools.errors import ConfigError

    try:
        return load_settings().debug
    except ConfigError:
        return False


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
        print("mixchat: interrupted; versions already saved are intact", file=sys.stderr)
        sys.exit(130)
    except BrokenPipeError:
        os._exit(0)
    except OSError as error:
        where = f"{error.filename}: " if error.filename else ""
        hint = (
            "free some disk space and run it again"
            if error.errno == errno.ENOSPC
            else "check the path and its permissions"
        )
        print(
            f"mixchat: {where}{error.strerror or error}; {hint} (saved versions are intact)",
            file=sys.stderr,
        )
        sys.exit(1)
    except Exception as error:  # noqa: BLE001 - the one place that turns bugs into one line
        if _debugging():
            raise
        print(
            f"mixchat: internal error ({type(error).__name__}: {error}); set MIXCHAT_DEBUG=1 for details",
            file=sys.stderr,
        )
        sys.exit(2)
    sys.exit(code if isinstance(code, int) else 0)
