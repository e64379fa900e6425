"""Modal dialogs: export, the offer to write WAVs when there is no audio device, and the
progress screen shown while a stems folder becomes a session."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import (
    Button,
    Checkbox,
    Input,
    Label,
    ProgressBar,
    RadioButton,
    RadioSet,
    Static,
)

FORMAT_HELP = {
    "dawproject": "DAWproject (Bitwig, Studio One, Cubase…): one .dawproject file",
    "reaper": "REAPER project: a folder with the .rpp and its Media/",
    "stems": "processed stems: one WAV per track and bus, summing to the pre-master mix",
}


@dataclass(frozen=True)
class ExportRequest:
    fmt: str
    out: Path
    force: bool


def default_export_path(session_path: Path, *, version: int, fmt: str) -> Path:
    base = session_path / "exports" / f"v{version:04d}"
    return (
        base.with_name(base.name + ".dawproject")
        if fmt == "dawproject"
        else base.with_name(f"{base.name}_{fmt}")
    )


class ExportDialog(ModalScreen[ExportRequest | None]):
    """Choose a format and a destination for the shown version."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, *, session_path: Path, version: int) -> None:
        super().__init__()
        self.session_path = session_path
        self.version = version
        from mixchat.tools.export import FORMATS

        self.formats = FORMATS
        self.fmt = FORMATS[0]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(f"[b]Export version {self.version}[/]")
            with RadioSet(id="formats"):
                for index, fmt in enumerate(self.formats):
                    yield RadioButton(FORMAT_HELP.get(fmt, fmt), value=index == 0, name=fmt)
            yield Label("Output path")
            yield Input(str(self._default()), id="export-path")
            yield Checkbox("overwrite if it exists", id="force")
            yield Static("[dim]Enter exports · Tab moves · Esc cancels[/]")
            with Horizontal(classes="buttons"):
                yield Button("Export", variant="primary", id="export")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#export-path", Input).focus()

    def _default(self) -> Path:
        return default_export_path(self.session_path, version=self.version, fmt=self.fmt)

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        previous = str(self._default())
        self.fmt = event.pressed.name or self.formats[0]
        path = self.query_one("#export-path", Input)
        if path.value in ("", previous):
            path.value = str(self._default())

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._finish()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "export":
            self._finish()
        else:
            self.dismiss(None)

    def _finish(self) -> None:
        text = self.query_one("#export-path", Input).value.strip()
        if not text:
            self.notify("give an output path for the export", severity="warning")
            return
        force = self.query_one("#force", Checkbox).value
        self.dismiss(ExportRequest(fmt=self.fmt, out=Path(text).expanduser(), force=force))

    def action_cancel(self) -> None:
        self.dismiss(None)


class WriteWavsDialog(ModalScreen[bool]):
    """No audio device: offer to write the render(s) to the session's renders/ folder."""

    BINDINGS = [
        Binding("y", "answer(True)", "Write"),
        Binding("n,escape", "answer(False)", "Cancel"),
    ]

    def __init__(self, *, reason: str, what: str, folder: Path) -> None:
        super().__init__()
        self.reason, self.what, self.folder = reason, what, folder

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(f"[b]{self.reason}[/]")
            yield Static(f"Write {self.what} as WAV to {self.folder}/ instead?")
            with Horizontal(classes="buttons"):
                yield Button("Write WAVs (y)", variant="primary", id="yes")
                yield Button("Cancel (n)", id="no")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class PrepareScreen(Screen):
    """Shown while a stems folder becomes a session and gets its automix."""

    def __init__(self, *, stems_dir: Path, session_path: Path) -> None:
        super().__init__()
        self.stems_dir, self.session_path = stems_dir, session_path

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="prepare"):
            yield Static(f"[b]New session[/] from {self.stems_dir}")
            yield Static(f"→ {self.session_path}", classes="dim")
            yield Static("starting…", id="prepare-label")
            yield ProgressBar(total=100, show_eta=False, id="prepare-bar")

    def report(self, label: str, fraction: float) -> None:
        self.query_one("#prepare-label", Static).update(label)
        self.query_one(ProgressBar).update(progress=max(0.0, min(1.0, fraction)) * 100)
