"""`mixchat demo`: a synthesized song, a session, the automix, then the chat or a short tour."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from mixchat.assistant.cli import reports
from mixchat.assistant.cli.console import out, progress_bar
from mixchat.assistant.demo.song import build_demo_stems
from mixchat.assistant.turn.actions import run_automix
from mixchat.assistant.turn.comparison import ab_compare, render_version
from mixchat.assistant.turn.conversation import handle_brief
from mixchat.tools.session import Session
from mixchat.tools.workspace import create_session

TOUR_BRIEFS = (
    "the vocal gets buried when the chorus comes in",
    "make it a touch darker",
    "more punch on the drums",
)
SUGGESTED_BRIEFS = (
    *TOUR_BRIEFS,
    "push the second chorus 2 dB harder",
    "master it for Spotify",
    "undo that",
)


def _fresh_session_path(workdir: Path) -> Path:
    number = 1
    while (workdir / f"demo-{number}.mix").exists():
        number += 1
    return workdir / f"demo-{number}.mix"


def prepare_demo(workdir: Path, *, quiet: bool = False) -> Session:
    """Demo stems (built once) and a new session with its automix version."""
    workdir.mkdir(parents=True, exist_ok=True)
    stems_dir = workdir / "stems"
    if not any(stems_dir.glob("*.flac")):
        out.print(f"Synthesizing a demo song into {stems_dir} …")
        song = build_demo_stems(stems_dir)
        out.print(
            f"  {len(song.files)} stems, {song.duration_s:.0f} s at {song.tempo_bpm:g} BPM: "
            + ", ".join(song.files)
        )
    path = _fresh_session_path(workdir)
    with progress_bar("new session", quiet=quiet) as progress:
        session, _ = create_session(stems_dir, path, progress=progress)
    with progress_bar("automix", quiet=quiet) as progress:
        run_automix(session, progress=progress)
    return session


def run_demo(*, no_ui: bool, workdir: Path) -> None:
    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    if not no_ui and interactive:
        from mixchat.assistant.tui.app import run_chat

        session = prepare_demo(workdir)
        run_chat(session=session.path, suggestions=SUGGESTED_BRIEFS)
        return
    run_tour(workdir)


def _step(title: str) -> None:
    out.rule(f"[bold]{title}")


def run_tour(workdir: Path) -> None:
    started = time.monotonic()
    _step("1. A demo song, synthesized from code")
    session = prepare_demo(workdir, quiet=True)
    reports.print_session(session)
    automix = session.load()
    _step(f"2. Automix → version {automix.version}")
    out.print(automix.reply or automix.summary)
    first = automix.version
    for number, brief in enumerate(TOUR_BRIEFS, start=3):
        _step(f"{number}. Brief: “{brief}”")
        out.print(handle_brief(session, brief).reply)
    last = session.latest_number()
    _step(f"{3 + len(TOUR_BRIEFS)}. A/B: automix (v{first}) vs latest (v{last}), level-matched")
    ab_dir = workdir / "ab"
    reports.print_ab(ab_compare(session, first, last, output=ab_dir))
    _step(f"{4 + len(TOUR_BRIEFS)}. Master for Spotify (−14 LUFS, −1 dBTP)")
    out.print(handle_brief(session, "master it for Spotify").reply)
    master_path = workdir / "demo_master.wav"
    rendered = render_version(session, output=master_path)
    reports.print_render(rendered)
    _step("Where things are")
    out.print(
        f"Session: {session.path}  ({len(session.version_numbers())} versions; `mixchat versions -s {session.path}`)"
    )
    out.print(f"Master:  {master_path}")
    out.print(f"A/B:     {ab_dir}")
    out.print(f"Chat:    mixchat chat -s {session.path}")
    out.print(f"[dim]Tour took {time.monotonic() - started:.1f} s, offline planner, no network.[/]")
