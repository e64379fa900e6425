"""The chat UI's widgets: chat log, brief input with history, tracks, versions, meters, status."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.coordinate import Coordinate
from textual.reactive import reactive
from textual.suggester import SuggestFromList
from textual.widget import Widget
from textual.widgets import Collapsible, DataTable, Input, Markdown, ProgressBar, Sparkline, Static

from mixchat.assistant.tui.formatting import (
    call_text,
    loudness_text,
    reply_markdown,
    sections_bar,
    spectrum_caption,
    spectrum_values,
    track_rows,
    version_row,
)
from mixchat.assistant.tui.pictures import plot_widgets
from mixchat.dsp.errors import MixError
from mixchat.dsp.state import MixState
from mixchat.tools.session import ToolCallRecord


class ChatLog(VerticalScroll):
    """Briefs, Markdown replies with their tool calls, notes and comparison tables."""

    can_focus = False

    def on_mount(self) -> None:
        self.anchor()

    def _add(self, widget: Widget) -> Widget:
        self.mount(widget)
        self.anchor()
        return widget

    def add_user(self, text: str, *, parent: int | None = None) -> None:
        origin = f"  [dim](on v{parent})[/]" if parent is not None else ""
        self._add(Static(f"[b]›[/] {_escape(text)}{origin}", classes="user"))

    def add_reply(
        self,
        text: str,
        *,
        planner: str = "",
        version: int | None = None,
        tool_calls: Sequence[ToolCallRecord] = (),
        seconds: float | None = None,
        plots: Sequence[str] = (),
        pictures: str = "none",
    ) -> None:
        title = [planner + (" planner" if planner and planner != "automix" else "")]
        title.append(f"new version v{version}" if version is not None else "no new version")
        if seconds is not None:
            title.append(f"{seconds:.1f} s")
        parts: list[Widget] = [
            Static(" · ".join(t for t in title if t), classes="reply-title"),
            Markdown(reply_markdown(text), classes="reply-body"),
        ]
        shown = plot_widgets(list(plots), mode=pictures)
        if shown:
            parts.append(Horizontal(*shown, classes="plots"))
        if tool_calls:
            lines = "\n".join(call_text(c.tool, c.args) for c in tool_calls)
            parts.append(
                Collapsible(
                    Static(Text(lines), classes="calls"),
                    title=f"{len(tool_calls)} tool call(s)",
                    collapsed=True,
                )
            )
        self._add(Vertical(*parts, classes="reply"))

    def replay(self, records: list[dict[str, Any]], *, load: Any, limit: int) -> None:
        """The session's earlier chat; ``load(n)`` gives a version's planner and tool calls."""
        if len(records) > limit:
            self.add_note(f"… {len(records) - limit} earlier messages")
        for record in records[-limit:]:
            if record.get("role") == "user":
                self.add_user(record.get("text", ""), parent=record.get("version"))
                continue
            number, planner, calls = record.get("version"), "", ()
            if number is not None:
                try:
                    version = load(number)
                    planner, calls = version.planner, version.tool_calls
                except MixError:
                    pass
            self.add_reply(
                record.get("text", ""), planner=planner, version=number, tool_calls=calls
            )

    def add_markdown(self, text: str, *, title: str = "") -> None:
        parts: list[Widget] = [Markdown(text, classes="reply-body")]
        if title:
            parts.insert(0, Static(title, classes="reply-title"))
        self._add(Vertical(*parts, classes="reply standalone"))

    def add_table(self, title: Text, table: Any, footer: str) -> None:
        self._add(
            Vertical(
                Static(title, classes="reply-title"),
                Static(table, classes="comparison"),
                Static(footer, classes="calls"),
                classes="reply standalone",
            )
        )

    def add_note(self, text: str, *, error: bool = False) -> None:
        self._add(Static(_escape(text), classes="note error" if error else "note"))


def _escape(text: str) -> str:
    return text.replace("[", r"\[")


class BriefInput(Input):
    """The brief line: enter sends, up/down recall earlier briefs."""

    BINDINGS = [
        Binding("enter", "submit", "Send"),
        Binding("up", "history(-1)", "History", key_display="↑↓"),
        Binding("down", "history(1)", "History", show=False),
    ]

    def __init__(self, *, history: list[str], suggestions: list[str], **kwargs: Any) -> None:
        suggester = SuggestFromList(suggestions, case_sensitive=False) if suggestions else None
        super().__init__(suggester=suggester, **kwargs)
        self.history = history
        self.history_index = len(history)

    def remember(self, brief: str) -> None:
        if brief and (not self.history or self.history[-1] != brief):
            self.history.append(brief)
        self.history_index = len(self.history)

    def action_history(self, step: int) -> None:
        if not self.history:
            return
        self.history_index = max(0, min(len(self.history), self.history_index + step))
        self.value = (
            self.history[self.history_index] if self.history_index < len(self.history) else ""
        )
        self.cursor_position = len(self.value)


class TrackPanel(DataTable):
    """Each track's role, fader, pan and processing; what the shown version changed in yellow."""

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        self.add_column("track", key="track")
        self.add_column("role", key="role")
        self.add_column("gain", key="gain")
        self.add_column("pan", key="pan")
        self.add_column("EQ · dynamics · sends", key="processing")

    def show(self, state: MixState, parent: MixState | None) -> None:
        self.clear()
        for track, row in zip(state.tracks, track_rows(state, parent)):
            self.add_row(*row, key=track.name)


class VersionPanel(DataTable):
    """Every version: marks (▶ current, A, B), number, brief and summary."""

    BINDINGS = [Binding("enter", "select_cursor", "Build on this")]

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.add_column("", key="marks")
        self.add_column("#", key="number")
        self.add_column("brief", key="brief")
        self.add_column("summary", key="summary")

    def show(
        self, versions: list[Any], *, current: int | None, a: int | None, b: int | None
    ) -> None:
        keep = self.highlighted_version()
        self.clear()
        for version in versions:
            self.add_row(*version_row(version, current=current, a=a, b=b), key=str(version.version))
        target = keep if keep is not None else current
        if target is not None and str(target) in {str(v.version) for v in versions}:
            self.move_cursor(row=self.get_row_index(str(target)), animate=False)

    def highlighted_version(self) -> int | None:
        if not self.row_count:
            return None
        try:
            key = self.coordinate_to_cell_key(Coordinate(self.cursor_row, 0)).row_key
        except Exception:
            return None
        return int(key.value) if key.value is not None else None

    def point_at(self, number: int) -> None:
        if self.row_count:
            self.move_cursor(row=self.get_row_index(str(number)), animate=False)


class SectionsBar(Widget):
    """The song's sections as one line of labelled spans, sized to the widget."""

    sections: reactive[tuple] = reactive(tuple)
    duration_s: reactive[float] = reactive(0.0)

    def render(self) -> Text:
        return sections_bar(
            [dict(s) for s in self.sections], width=self.size.width, duration_s=self.duration_s
        )


class MetersStrip(Vertical):
    """LUFS and true peak, a band-share sparkline, and the section bar of the shown version."""

    def compose(self) -> ComposeResult:
        with Horizontal(id="meters-top"):
            yield Static("", id="loudness")
            yield Sparkline([], id="spectrum")
            yield Static("", id="spectrum-caption")
        with Horizontal(id="meters-bottom"):
            yield Static("sections", id="sections-label")
            yield SectionsBar(id="sections")

    def show(
        self, metrics: dict[str, Any], *, version: int, master_enabled: bool, duration_s: float
    ) -> None:
        mix = metrics.get("mix") or {}
        loudness = Text(f"v{version}  ", style="bold green")
        loudness.append_text(loudness_text(mix, master_enabled))
        self.query_one("#loudness", Static).update(loudness)
        self.query_one("#spectrum", Sparkline).data = spectrum_values(mix)
        self.query_one("#spectrum-caption", Static).update(Text(spectrum_caption(mix), style="dim"))
        bar = self.query_one(SectionsBar)
        bar.duration_s = duration_s
        bar.sections = tuple(tuple(sorted(s.items())) for s in metrics.get("sections") or [])


class StatusLine(Horizontal):
    """What the worker is doing ("thinking… planning") with a progress bar; hidden when idle."""

    def compose(self) -> ComposeResult:
        yield Static("", id="status-label")
        yield ProgressBar(total=100, show_eta=False, id="status-bar")

    def busy(self, label: str, fraction: float) -> None:
        self.add_class("busy")
        self.query_one("#status-label", Static).update(Text(label, style="bold"))
        self.query_one(ProgressBar).update(progress=max(0.0, min(1.0, fraction)) * 100)

    def idle(self) -> None:
        self.remove_class("busy")


class SidePanel(Vertical):
    """Tracks and versions; single-letter keys act on the highlighted version here."""

    BINDINGS = [
        Binding("a", "app.mark('A')", "Mark A"),
        Binding("b", "app.mark('B')", "Mark B"),
        Binding("c", "app.compare_marked", "Compare A/B"),
        Binding("p", "app.play", "Play"),
        Binding("s", "app.stop", "Stop"),
        Binding("x", "app.ab_switch_marked", "A/B switch"),
        Binding("left_square_bracket", "app.seek(-5)", "Seek", key_display="[ ]"),
        Binding("right_square_bracket", "app.seek(5)", "Seek", show=False),
        Binding("e", "app.export_highlighted", "Export"),
        Binding("escape,i", "app.focus_input", "Type a brief"),
        Binding("q", "app.quit", "Quit", show=False),
    ]
