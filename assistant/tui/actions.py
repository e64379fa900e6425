"""A/B comparison, playback (or WAVs when there is no audio device) and export for the chat UI.

A mixin for :class:`mixchat.assistant.tui.app.MixChatApp`: each action starts a thread worker through
the app's ``_start`` / ``_progress`` helpers and reports back with a Message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, cast

from textual import work

from mixchat.assistant.tui import playback
from mixchat.assistant.tui.dialogs import ExportDialog, ExportRequest, WriteWavsDialog
from mixchat.assistant.tui.formatting import comparison_table, comparison_title, settings_summary
from mixchat.assistant.tui.messages import CompareDone, WorkFailed, WorkNote
from mixchat.tools.errors import SessionError

if TYPE_CHECKING:
    from textual.app import App

    from mixchat.assistant.tui.widgets import ChatLog
    from mixchat.tools.session import Session

    _AppBase = App[Any]
else:
    _AppBase = object


class SessionActions(_AppBase):
    """Compare, play/stop/seek, A/B switching while playing, WAVs and export; mixed into the App."""

    if TYPE_CHECKING:
        # Provided by MixChatApp; declared here only for the type checker.
        session: Session | None
        current: int | None
        mark_a: int | None
        mark_b: int | None
        player: playback.Player | None
        loudness: dict[int, float]
        said_no_device: bool

        @property
        def log_view(self) -> ChatLog: ...
        def refresh_views(self) -> None: ...
        def _start(self, what: str) -> bool: ...
        def _progress(self, verb: str) -> Callable[[str, float], None]: ...
        def _finish(self) -> None: ...
        def _target_version(self) -> int | None: ...

    def _open_session(self) -> Session:
        """The open session, for workers that only start once one is open."""
        if self.session is None:
            raise SessionError("no session is open yet; open one with -s SESSION")
        return self.session

    def action_compare_marked(self) -> None:
        self.action_compare()

    def action_export_highlighted(self) -> None:
        self.action_export()

    def action_ab_switch_marked(self) -> None:
        self.action_ab_switch()

    def action_compare(self) -> None:
        if self.session is None or self.current is None:
            return
        parent = self.session.load(self.current).parent
        a = self.mark_a if self.mark_a is not None else parent
        b = self.mark_b if self.mark_b is not None else self.current
        if a is None or a == b:
            self.notify(
                "mark two different versions first (a and b in the version list)",
                severity="warning",
            )
            return
        if self._start(f"comparing v{a} and v{b}"):
            self.mark_a, self.mark_b = a, b
            self.refresh_views()
            self.run_compare(a, b)

    @work(thread=True, exit_on_error=False)
    def run_compare(self, a: int, b: int) -> None:
        try:
            from mixchat.assistant.turn.comparison import ab_compare

            data = ab_compare(self._open_session(), a, b, progress=self._progress("rendering"))
        except Exception as error:  # noqa: BLE001
            self.post_message(WorkFailed("the A/B comparison", str(error)))
        else:
            self.post_message(CompareDone(data))

    def on_compare_done(self, message: CompareDone) -> None:
        self._finish()
        data = message.data
        self.log_view.add_table(
            comparison_title(data), comparison_table(data), settings_summary(data)
        )

    def action_play_toggle(self) -> None:
        if self.player is not None and self.player.playing:
            self.action_stop()
        else:
            self.action_play()

    def _output_device(self, number: int) -> Any | None:
        """The output device; without one, say why (once) and offer the WAVs."""
        device, reason = playback.audio_output()
        if device is not None:
            return device
        if not self.said_no_device:
            self.said_no_device = True
            self.log_view.add_note(f"{reason}: playback writes WAVs you can open instead")
        pair = self.mark_a is not None and self.mark_b is not None and self.mark_a != self.mark_b
        what = f"v{number}" + (
            f" and the level-matched A/B (v{self.mark_a}, v{self.mark_b})" if pair else ""
        )
        folder = self._open_session().path / "renders"
        self.push_screen(
            WriteWavsDialog(reason=reason, what=what, folder=folder),
            lambda yes: self._write_wavs(number) if yes else None,
        )
        return None

    def _player_for(self, device: Any) -> playback.Player:
        if self.player is None or self.player.device is not device:
            self.player = playback.Player.for_session(device, self._open_session())
        return self.player

    def action_play(self) -> None:
        number = self._target_version()
        if number is None or self.session is None:
            return
        device = self._output_device(number)
        if device is not None and self._start(f"starting v{number}"):
            self.play_version(self._player_for(device), number)

    @work(thread=True, exit_on_error=False)
    def play_version(self, player: playback.Player, number: int) -> None:
        """Play ``number`` from where playback last was (the top the first time, or once the
        song has played to its end)."""
        try:
            ended = player.position_s >= self._open_session().meta.duration_s - 0.5
            ready = player.play(number, start_s=0.0 if ended else None)
        except Exception as error:  # noqa: BLE001
            self.post_message(WorkFailed("playback", str(error)))
            return
        self.post_message(WorkNote(self._playing_text(number, ready)))

    def _playing_text(self, number: int, ready: float) -> str:
        at = self.player.position_s if self.player is not None else 0.0
        minutes, seconds = divmod(int(at), 60)
        return (
            f"▶ playing v{number} from {minutes}:{seconds:02d} (first sound after {ready:.2f} s):"
            " ctrl+p stops, ctrl+o switches A/B at the same point (level-matched), alt+←/→ "
            "seek 5 s"
        )

    @work(thread=True, exit_on_error=False)
    def follow_version(self, number: int) -> None:
        """Playing: switch to a new version at the same position (a brief's result),
        crossfaded, at its own level."""
        player = self.player
        if player is None or not player.playing:
            return
        try:
            ready = player.switch(number)
        except Exception as error:  # noqa: BLE001
            self.post_message(WorkFailed("playback", str(error)))
            return
        self.post_message(WorkNote(self._playing_text(number, ready)))

    def _ab_pair(self) -> tuple[int, int] | None:
        if self.mark_a is not None and self.mark_b is not None and self.mark_a != self.mark_b:
            return self.mark_a, self.mark_b
        if self.session is None or self.current is None:
            return None
        parent = self.session.load(self.current).parent
        return (parent, self.current) if parent is not None else None

    def action_ab_switch(self) -> None:
        pair = self._ab_pair()
        if pair is None:
            self.notify("mark A and B first (a and b in the version list)", severity="warning")
            return
        device = self._output_device(pair[0])
        if device is None:
            return
        player = self._player_for(device)
        playing = player.version if player.playing else None
        target = pair[1] if playing == pair[0] else pair[0]
        if self._start(f"A/B: v{pair[0]} vs v{pair[1]}"):
            self.mark_a, self.mark_b = pair
            self.refresh_views()
            self.ab_switch(player, pair, target)

    @work(thread=True, exit_on_error=False)
    def ab_switch(self, player: playback.Player, pair: tuple[int, int], target: int) -> None:
        try:
            session = self._open_session()
            for number in pair:
                if number not in self.loudness:
                    self.loudness[number] = playback.version_lufs(session, number)
            gains = playback.matched_gains_db({n: self.loudness[n] for n in pair})
            if player.playing:
                player.switch(target, gain_db=gains[target])
            else:
                player.play(target, gain_db=gains[target])
        except Exception as error:  # noqa: BLE001
            self.post_message(WorkFailed("the A/B switch", str(error)))
            return
        label = "A" if target == pair[0] else "B"
        self.post_message(
            WorkNote(
                f"▶ {label}: v{target} at {player.position_s:.1f} s, level-matched "
                f"({gains[target]:+.1f} dB); ctrl+o switches back"
            )
        )

    def action_seek(self, seconds: float) -> None:
        if self.player is None or not self.player.playing:
            self.notify("nothing is playing", timeout=2)
            return
        self.player.seek(self.player.position_s + float(seconds))
        self.notify(f"at {self.player.position_s:.0f} s", timeout=1)

    def action_stop(self) -> None:
        if self.player is None or not self.player.playing:
            self.notify("nothing is playing", timeout=2)
            return
        self.player.stop()
        self.notify("stopped", timeout=2)
        if self.player.underflows:
            self.log_view.add_note(
                f"the sound card ran dry {self.player.underflows} time(s) while playing (short "
                "gaps): the machine was too busy to feed it in time"
            )

    def _write_wavs(self, number: int) -> None:
        if self._start(f"writing v{number}"):
            self.write_wavs(number, self.mark_a, self.mark_b)

    @work(thread=True, exit_on_error=False)
    def write_wavs(self, number: int, a: int | None, b: int | None) -> None:
        try:
            files = playback.write_wavs(
                self._open_session(), version=number, a=a, b=b, progress=self._progress("rendering")
            )
        except Exception as error:  # noqa: BLE001
            self.post_message(WorkFailed("writing the WAVs", str(error)))
            return
        self.post_message(WorkNote("Wrote " + ", ".join(files)))

    def action_export(self) -> None:
        number = self._target_version()
        if number is None or self.session is None:
            return
        self.push_screen(
            ExportDialog(session_path=self.session.path, version=number),
            lambda request: self._export(number, request),
        )

    def _export(self, number: int, request: ExportRequest | None) -> None:
        if request is not None and self._start(f"exporting v{number} as {request.fmt}"):
            self.run_export(number, request)

    @work(thread=True, exit_on_error=False)
    def run_export(self, number: int, request: ExportRequest) -> None:
        try:
            from mixchat.tools.export import export_version

            result = export_version(
                self._open_session(),
                version=number,
                fmt=cast(Literal["dawproject", "reaper", "stems"], request.fmt),
                out=request.out,
                force=request.force,
                progress=self._progress("exporting"),
            )
        except Exception as error:  # noqa: BLE001
            text = str(error).replace("pass --force to", "tick 'overwrite if it exists' to")
            self.post_message(WorkFailed("the export", text))
            return
        notes = "".join(f"\n  note: {n}" for n in result.notes)
        self.post_message(
            WorkNote(
                f"Exported v{number} as {request.fmt} to {result.path} ({len(result.files)} file{'s' if len(result.files) != 1 else ''}){notes}"
            )
        )
