"""`mixchat chat`: the terminal chat UI over one session.

Every brief goes through :func:`mixchat.assistant.turn.conversation.handle_brief` (the same path as
`mixchat say`) in a thread worker; results come back as Messages that refresh the chat log,
the track panel, the version list and the meters. All writes go through the session API, so
quitting at any time leaves the session intact.

The planners and the engine (pedalboard, scipy, librosa) take about a second to import, so
the workers import them, off the UI thread, and the window opens at once.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Header, Input, Static

from mixchat.assistant.tui import playback
from mixchat.assistant.tui.actions import SessionActions
from mixchat.assistant.tui.dialogs import PrepareScreen
from mixchat.assistant.tui.formatting import changed_tracks, session_path_for
from mixchat.assistant.tui.messages import BriefDone, WorkFailed, WorkNote
from mixchat.assistant.tui.widgets import (
    BriefInput,
    ChatLog,
    MetersStrip,
    SidePanel,
    StatusLine,
    TrackPanel,
    VersionPanel,
)
from mixchat.dsp.errors import MixError
from mixchat.tools.errors import SessionError
from mixchat.tools.session import Session

DEFAULT_SUGGESTIONS = (
    "make it darker",
    "the vocal gets buried when the chorus comes in",
    "more punch on the drums",
    "what attack on an 1176 for a rap vocal?",
)
CHAT_HISTORY_SHOWN = 30


class MixChatApp(SessionActions, App):
    CSS_PATH = "mixchat.tcss"
    TITLE = "mixchat"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [
        Binding("ctrl+z", "undo", "Undo", priority=True),
        Binding("ctrl+t", "compare", "A/B compare", priority=True),
        Binding("ctrl+p", "play_toggle", "Play/stop", priority=True),
        Binding("ctrl+o", "ab_switch", "A/B switch", priority=True),
        Binding("alt+left", "seek(-5)", "Seek", key_display="alt+←/→", priority=True),
        Binding("alt+right", "seek(5)", "Seek", show=False, priority=True),
        Binding("ctrl+s", "export", "Export", priority=True),
        Binding("escape", "focus_versions", "Versions"),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def __init__(
        self,
        *,
        session: Session | None = None,
        stems_dir: Path | None = None,
        session_path: Path | None = None,
        suggestions: Sequence[str] = (),
        pictures: str = "none",
    ) -> None:
        super().__init__()
        self.pictures = pictures  # how the terminal shows images (tui.pictures.probe_terminal)
        self.session = session
        self.stems_dir = stems_dir
        self.new_session_path = session_path
        self.suggestions = list(suggestions) or list(DEFAULT_SUGGESTIONS)
        self.current: int | None = None
        self.mark_a: int | None = None
        self.mark_b: int | None = None
        self.busy: str | None = None
        self.player: playback.Player | None = None
        self.loudness: dict[int, float] = {}  # each A/B version's integrated LUFS, as played
        self.said_no_device = False
        self.planner: Any = None
        self.failure = ""

    # --- layout ----------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header()
        yield MetersStrip(id="meters")
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield ChatLog(id="log")
                yield StatusLine(id="status")
                yield BriefInput(
                    history=[],
                    suggestions=self.suggestions,
                    placeholder=f"Type a brief or a question, e.g. {self.suggestions[0]}",
                    id="brief",
                )
            with SidePanel(id="side"):
                yield Static(
                    "Tracks  [dim](yellow: changed by the shown version)[/]", classes="panel-title"
                )
                yield TrackPanel(id="tracks")
                yield Static("Versions  [dim]▶ current · A · B[/]", classes="panel-title")
                yield VersionPanel(id="versions")
        yield Footer()

    @property
    def log_view(self) -> ChatLog:
        return self.query_one(ChatLog)

    def on_mount(self) -> None:
        self.warm_up()
        self.query_one(BriefInput).focus()
        if self.session is not None:
            self.open_session(self.session)
        elif self.stems_dir is not None:
            path = self.new_session_path or session_path_for(self.stems_dir)
            self.push_screen(PrepareScreen(stems_dir=self.stems_dir, session_path=path))
            self.prepare_session(self.stems_dir, path)

    @work(thread=True, exit_on_error=False)
    def warm_up(self) -> None:
        """Import the planner and engine off the UI thread, and pick the planner."""
        from mixchat.assistant.llm.choose import choose_planner
        from mixchat.assistant.moves.planner import OfflinePlanner
        from mixchat.assistant.turn import conversation  # noqa: F401  (warms the import)

        try:
            planner = choose_planner()
        except Exception as error:  # noqa: BLE001 (a misconfigured LLM falls back, visibly)
            planner = OfflinePlanner()
            self.call_from_thread(
                self.notify, f"{error}; using the offline planner", severity="warning"
            )
        self.call_from_thread(self._planner_ready, planner)

    def _planner_ready(self, planner: Any) -> None:
        self.planner = planner
        self._update_title()

    def _update_title(self) -> None:
        planner = "loading the planner…"
        if self.planner is not None:
            model = getattr(self.planner, "model_name", "")
            planner = f"{self.planner.name} planner" + (f" ({model})" if model else "")
        where = f"{self.session.path} · " if self.session else ""
        on = f" · on v{self.current}" if self.current is not None else ""
        self.sub_title = f"{where}{planner}{on}"

    # --- opening ---------------------------------------------------------------------
    @work(thread=True, exit_on_error=False)
    def prepare_session(self, stems_dir: Path, path: Path) -> None:
        screen = cast(PrepareScreen, self.screen)  # pushed by on_mount just before

        def report(scale: float, offset: float):  # noqa: ANN202
            def call(label: str, fraction: float) -> None:
                self.call_from_thread(screen.report, label, offset + scale * fraction)

            return call

        try:
            from mixchat.assistant.turn.actions import run_automix
            from mixchat.tools.workspace import create_session

            session, warnings = create_session(stems_dir, path, progress=report(0.4, 0.0))
        except Exception as error:  # noqa: BLE001 (shown to the user, never a crash)
            self.call_from_thread(self._prepare_failed, str(error))
            return
        try:
            run_automix(session, progress=report(0.6, 0.4))
        except Exception as error:  # noqa: BLE001
            warnings = [*warnings, f"automix failed ({error}); the session is at version 0"]
        self.call_from_thread(self._prepared, session, warnings)

    def _prepare_failed(self, error: str) -> None:
        self.failure = f"could not create the session: {error}"
        self.exit(return_code=1)

    def _prepared(self, session: Session, warnings: list[str]) -> None:
        self.pop_screen()
        self.open_session(session)
        for warning in warnings:
            self.log_view.add_note(warning)

    def open_session(self, session: Session) -> None:
        self.session = session
        self.current = session.latest_number()
        self._update_title()
        self._show_history(session)
        self.log_view.add_markdown(
            "**Try:** "
            + " · ".join(f"_{s}_" for s in self.suggestions)
            + "\n\nType a brief and press Enter. ↑/↓ recall earlier briefs; Esc moves to the "
            "versions (a/b mark A/B, c compares, p plays, e exports, Enter builds on a version).",
            title=f"Session {session.path.name}: {len(session.version_numbers())} version(s)",
        )
        self.refresh_views()

    def _show_history(self, session: Session) -> None:
        records = session.chat()
        briefs = self.query_one(BriefInput)
        for record in records:
            if record.get("role") == "user":
                briefs.remember(record.get("text", ""))
        self.log_view.replay(records, load=session.load, limit=CHAT_HISTORY_SHOWN)

    def refresh_views(self) -> None:
        if self.session is None or self.current is None:
            return
        try:
            versions = self.session.versions()
            shown = self.session.load(self.current)
            parent = self.session.load(shown.parent) if shown.parent is not None else None
        except MixError as error:
            self._error("reading the session", str(error))
            return
        self.query_one(TrackPanel).show(shown.state, parent.state if parent else None)
        self.query_one(VersionPanel).show(
            versions, current=self.current, a=self.mark_a, b=self.mark_b
        )
        self.query_one(MetersStrip).show(
            shown.metrics,
            version=shown.version,
            master_enabled=shown.state.master.enabled,
            duration_s=self.session.meta.duration_s,
        )
        self._update_title()

    # --- work ------------------------------------------------------------------------
    def _start(self, what: str) -> bool:
        if self.session is None:
            self.notify("no session is open yet", severity="warning")
            return False
        if self.busy:
            self.notify(f"still busy: {self.busy}; wait a moment", severity="warning")
            return False
        self.busy = what
        self.query_one(StatusLine).busy(f"{what}…", 0.02)
        return True

    def _progress(self, verb: str):  # noqa: ANN202
        def report(label: str, fraction: float) -> None:
            shown = "rendering" if "render" in label else verb
            text = f"{shown}…" if label == shown else f"{shown}… {label}"
            self.call_from_thread(self.query_one(StatusLine).busy, text, fraction)

        return report

    def _finish(self) -> None:
        self.busy = None
        self.query_one(StatusLine).idle()

    def _error(self, what: str, error: str) -> None:
        self.notify(error, title=f"{what} failed", severity="error", timeout=8)
        self.log_view.add_note(f"{what} failed: {error}", error=True)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        brief = event.value.strip()
        if not brief or not self._start("thinking"):
            return
        briefs = self.query_one(BriefInput)
        briefs.remember(brief)
        briefs.value = ""
        self.log_view.add_user(brief, parent=self.current)
        self.run_brief(brief, parent=self.current)

    @work(thread=True, exit_on_error=False)
    def run_brief(self, brief: str, *, parent: int | None, offline: bool = False) -> None:
        """Undo always uses the offline planner: it is exact and needs no model."""
        started = time.monotonic()
        try:
            from mixchat.assistant.moves.planner import OfflinePlanner
            from mixchat.assistant.turn import conversation

            result = conversation.handle_brief(
                self._open_session(),
                brief,
                parent=parent,
                planner=OfflinePlanner() if offline else self.planner,
                progress=self._progress("thinking"),
            )
        except MixError as error:
            self.post_message(WorkFailed("the brief", str(error)))
        except Exception as error:  # noqa: BLE001 (reported, never a crash)
            self.post_message(WorkFailed("the brief", f"{type(error).__name__}: {error}"))
        else:
            self.post_message(BriefDone(result, seconds=time.monotonic() - started))

    def on_brief_done(self, message: BriefDone) -> None:
        self._finish()
        result = message.result
        self.log_view.add_reply(
            result.reply,
            planner=result.planner,
            version=result.version,
            tool_calls=result.tool_calls,
            seconds=message.seconds,
            plots=result.plots,
            pictures=self.pictures,
        )
        if result.version is not None:
            self.current = result.version
            self.refresh_views()
            self.query_one(VersionPanel).point_at(self.current)
            self._note_changes()
            if self.player is not None and self.player.playing:
                self.follow_version(self.current)

    def _note_changes(self) -> None:
        if self.session is None:
            return
        shown = self.session.load(self.current)
        if shown.parent is None:
            return
        names = changed_tracks(shown.state, self.session.load(shown.parent).state)
        if names:
            self.notify(f"v{self.current}: changed {', '.join(names)}", timeout=4)

    def on_work_failed(self, message: WorkFailed) -> None:
        self._finish()
        self._error(message.what, message.error)

    def on_work_note(self, message: WorkNote) -> None:
        self._finish()
        self.log_view.add_note(message.text)

    # --- actions ---------------------------------------------------------------------
    def _target_version(self) -> int | None:
        """The highlighted version when the side panel has focus, else the current one."""
        if self._side_focused():
            return self.query_one(VersionPanel).highlighted_version()
        return self.current

    def _side_focused(self) -> bool:
        focused = self.focused
        return focused is not None and self.query_one(SidePanel) in focused.ancestors_with_self

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """In the side panel its single letters replace the ctrl+ keys in the footer."""
        if action in ("compare", "play_toggle", "export", "focus_versions", "ab_switch"):
            return not self._side_focused()
        return True

    def on_descendant_focus(self) -> None:
        self.refresh_bindings()

    def action_focus_input(self) -> None:
        self.query_one(BriefInput).focus()

    def action_focus_versions(self) -> None:
        versions = self.query_one(VersionPanel)
        versions.focus()
        if self.current is not None:
            versions.point_at(self.current)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id != "versions" or event.row_key.value is None:
            return
        self.current = int(event.row_key.value)
        self.refresh_views()
        self.log_view.add_note(f"now on v{self.current}: the next brief builds on it")

    def action_undo(self) -> None:
        if not self._start("undoing"):
            return
        self.log_view.add_user("undo that", parent=self.current)
        self.run_brief("undo that", parent=self.current, offline=True)

    def action_mark(self, which: str) -> None:
        number = self._target_version()
        if number is None:
            return
        if which == "A":
            self.mark_a = number
        else:
            self.mark_b = number
        self.refresh_views()
        self.notify(f"{which} = v{number}", timeout=3)

    async def action_quit(self) -> None:
        if self.player is not None:
            self.player.stop()
        self.exit()


def run_chat(
    *,
    session: Path | None = None,
    stems_dir: Path | None = None,
    suggestions: Sequence[str] = (),
) -> None:
    """Open the chat on ``session``, or create one beside ``stems_dir`` (with its automix)."""
    if session is None and stems_dir is None:
        raise SessionError("give a session (-s SESSION) or a stems folder (mixchat chat STEMS_DIR)")
    opened = None
    if session is not None and (stems_dir is None or (Path(session) / "session.json").exists()):
        opened = Session.open(Path(session))
    elif stems_dir is not None:
        from mixchat.tools.workspace import find_stem_files

        find_stem_files(Path(stems_dir))
    from mixchat.assistant.tui.pictures import probe_terminal

    app = MixChatApp(
        session=opened,
        stems_dir=Path(stems_dir) if stems_dir else None,
        session_path=Path(session) if session else None,
        suggestions=suggestions,
        pictures=probe_terminal(),  # asks the terminal: before the app owns the screen
    )
    app.run()
    if app.failure:
        raise SessionError(app.failure)
